"""The 8D step forms: one declared layout per step (fields, row tables, their labels and widgets),
turned into bound fields for the template and back into step content for the services.

The services and the pydantic models in ``content.py`` decide what is valid; this module only maps
between form inputs (``rows-0-qty_bad``) and content paths (``rows.0.qty_bad``), so an error lands
beside its input and nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from closeloop.investigations.content import (
    CAUSE_CATEGORIES,
    COST_ITEMS,
    DOC_TYPES,
    LOCATIONS,
    RECOVERY_SOURCES,
    W5H2,
)

YES_NO: list[tuple[str, Any]] = [("", _("—")), ("yes", _("Yes")), ("no", _("No"))]
ROOT_KINDS: dict[str, Any] = {"occurrence": _("Occurrence"), "escape": _("Escape (non-detection)")}
CAUSE_STATUS: dict[str, Any] = {
    "candidate": _("Candidate"),
    "verified": _("Verified"),
    "refuted": _("Refuted"),
}


@dataclass(frozen=True)
class Spec:
    """One input. ``kind``: text, textarea, lines (one item per line), yesno, bool, date, int, money,
    choice, cause (one of the step's own cause ids), or rows (a table of ``columns``)."""

    name: str
    label: Any
    kind: str = "text"
    choices: dict[str, Any] | None = None
    columns: tuple[Spec, ...] = ()
    help: Any = ""
    wide: bool = False


def _choice(name: str, label: Any, choices: dict[str, Any]) -> Spec:
    return Spec(name, label, "choice", choices)


STEP_SPECS: dict[int, list[Spec]] = {
    0: [
        Spec("needs_8d", _("Is an 8D needed?"), "yesno"),
        Spec("reason", _("Why (or why not)"), "textarea"),
        Spec("emergency_actions", _("Emergency response: what was done at once"), "textarea", wide=True),
    ],
    1: [Spec("goal", _("The team's goal"), "textarea", wide=True)],
    2: [
        *[Spec(key, label, "textarea") for key, label in W5H2.items()],
        Spec(
            "is_is_not",
            _("IS / IS NOT"),
            "rows",
            columns=(
                Spec("dimension", _("Dimension (what, where, when, how many)")),
                Spec("is_text", _("IS")),
                Spec("is_not_text", _("IS NOT")),
            ),
        ),
    ],
    3: [
        Spec(
            "rows",
            _("Containment per location"),
            "rows",
            columns=(
                _choice("location", _("Location"), LOCATIONS),
                Spec("action", _("Action")),
                Spec("qty_checked", _("Checked"), "int"),
                Spec("qty_bad", _("Found bad"), "int"),
                Spec("effective", _("Effective?"), "yesno"),
            ),
        ),
        Spec("suspect_lots", _("Suspect lots (one per line)"), "lines"),
        Spec("effectiveness", _("How the effectiveness was checked"), "textarea"),
    ],
    4: [
        Spec(
            "causes",
            _("Candidate causes (fishbone)"),
            "rows",
            columns=(
                Spec("id", _("Id")),
                _choice("category", _("5M1E"), CAUSE_CATEGORIES),
                Spec("text", _("Cause")),
                _choice("status", _("Verdict"), CAUSE_STATUS),
                Spec("evidence", _("Evidence")),
            ),
        ),
        Spec(
            "why_chains",
            _("5-Why chains"),
            "rows",
            columns=(
                _choice("kind", _("For"), ROOT_KINDS),
                Spec("problem", _("Problem")),
                Spec("whys", _("Why? (one per line)"), "lines"),
            ),
        ),
        Spec("occurrence_root_cause", _("Occurrence root cause (发生原因)"), "textarea"),
        Spec("occurrence_cause_id", _("…resting on cause"), "cause"),
        Spec("escape_root_cause", _("Escape root cause (流出原因)"), "textarea"),
        Spec("escape_cause_id", _("…resting on cause"), "cause"),
    ],
    5: [
        Spec(
            "corrective",
            _("Permanent corrective actions"),
            "rows",
            columns=(
                _choice("root_cause", _("Root cause"), ROOT_KINDS),
                Spec("action", _("Action")),
                Spec("verification", _("How its effect will be verified")),
            ),
        )
    ],
    6: [
        Spec("validation_results", _("Validation results"), "textarea", wide=True),
        Spec("containment_removed", _("Containment removed"), "bool"),
        Spec("containment_removed_on", _("Removed on"), "date"),
    ],
    7: [
        Spec(
            "changes",
            _("Documents changed"),
            "rows",
            columns=(
                _choice("doc_type", _("Kind"), DOC_TYPES),
                Spec("document", _("Document")),
                Spec("old_revision", _("From revision")),
                Spec("new_revision", _("To revision")),
            ),
        ),
        Spec("horizontal_not_applicable", _("Horizontal deployment does not apply because"), "textarea"),
        Spec("lessons_learned", _("Lessons learned"), "textarea", wide=True),
    ],
    8: [
        Spec(
            "costs",
            _("Cost of poor quality"),
            "rows",
            columns=(
                _choice("item", _("Item"), COST_ITEMS),
                Spec("amount", _("Amount (CNY)"), "money"),
                Spec("note", _("Note")),
            ),
        ),
        Spec(
            "recoveries",
            _("Recoveries"),
            "rows",
            columns=(
                _choice("source", _("From"), RECOVERY_SOURCES),
                Spec("amount", _("Amount (CNY)"), "money"),
                Spec("note", _("Note")),
            ),
        ),
        Spec("recognition", _("Team recognition"), "textarea"),
        Spec("customer_summary", _("What the customer is told"), "textarea", wide=True),
    ],
}


def _cell_from_post(spec: Spec, raw: str) -> Any:
    raw = raw.strip()
    if spec.kind == "yesno":
        return {"yes": True, "no": False}.get(raw)
    if spec.kind == "bool":
        return raw in ("on", "1", "true", "yes")
    if spec.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if spec.kind in ("date",):
        return raw or None
    return raw


def content_from_post(
    step: int, post: QueryDict, *, add_row: str = ""
) -> tuple[dict[str, Any], dict[str, int]]:
    """Step content from the posted form, and how many blank rows each table shows again.

    Rows left wholly blank are dropped; a number left blank takes its default. ``add_row`` names a table
    that gets one more blank row (the "Add row" button, which saves nothing)."""
    content: dict[str, Any] = {}
    extra: dict[str, int] = {}
    for spec in STEP_SPECS[step]:
        if spec.kind != "rows":
            raw = post.get(spec.name, "")
            content[spec.name] = _cell_from_post(spec, raw)
            continue
        count = _int(post.get(f"{spec.name}-count"), 0)
        rows: list[dict[str, Any]] = []
        for i in range(min(count, 60)):
            raws = {c.name: post.get(f"{spec.name}-{i}-{c.name}", "") for c in spec.columns}
            if all(not raw.strip() for raw in raws.values()):
                continue
            row: dict[str, Any] = {}
            for c in spec.columns:
                value = _cell_from_post(c, raws[c.name])
                if c.kind in ("int", "money") and value == "":
                    continue  # the model's default
                row[c.name] = value
            rows.append(row)
        content[spec.name] = rows
        extra[spec.name] = 1 + (1 if add_row == spec.name else 0)
    return content, extra


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass
class Bound:
    spec: Spec
    name: str
    value: Any
    display: str
    errors: list[str] = field(default_factory=list)
    rows: list[list[Bound]] = field(default_factory=list)
    options: dict[str, str] | None = None  # choices known only from the content (a D4 cause's ids)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def label(self) -> Any:
        return self.spec.label

    @property
    def choices(self) -> list[tuple[str, Any]]:
        if self.spec.kind == "yesno":
            return YES_NO
        options = self.options if self.options is not None else self.spec.choices or {}
        return [("", "—"), *options.items()]


def _display(spec: Spec, value: Any) -> tuple[Any, str]:
    """(form value, read-only text) for a stored value."""
    if spec.kind == "yesno":
        v = "yes" if value is True else "no" if value is False else ""
        return v, str(dict(YES_NO).get(v, "—")) if v else "—"
    if spec.kind == "bool":
        return bool(value), str(_("Yes") if value else _("No"))
    if spec.kind == "lines":
        items = [str(x) for x in (value or [])]
        return "\n".join(items), "；".join(items) or "—"
    if spec.kind == "choice":
        v = "" if value is None else str(value)
        return v, str((spec.choices or {}).get(v, v)) or "—"
    v = "" if value is None else str(value)
    return v, v or "—"


def _cause_options(content: dict[str, Any]) -> dict[str, str]:
    """The causes on the fishbone (as stored or as typed), by id, for the root-cause selects."""
    out: dict[str, str] = {}
    for cause in content.get("causes") or []:
        if isinstance(cause, dict) and str(cause.get("id") or "").strip():
            cid = str(cause["id"]).strip()
            out[cid] = f"{cid} · {cause.get('text') or ''}".strip(" ·")
    return out


def bind(
    step: int,
    content: dict[str, Any],
    errors: dict[str, list[Any]] | None = None,
    *,
    extra: dict[str, int] | None = None,
) -> list[Bound]:
    """Bound fields for ``content`` (stored or as posted), with errors placed by content path."""
    errors = {k.removeprefix("content."): [str(m) for m in v] for k, v in (errors or {}).items()}
    out: list[Bound] = []
    for spec in STEP_SPECS[step]:
        if spec.kind == "cause":
            options = _cause_options(content)
            value, _text = _display(spec, content.get(spec.name))
            if value and value not in options:  # typed but no longer a cause: keep it visible
                options[value] = value
            text = options.get(value, "—")
            out.append(Bound(spec, spec.name, value, text, errors.get(spec.name, []), options=options))
            continue
        if spec.kind != "rows":
            value, text = _display(spec, content.get(spec.name))
            out.append(Bound(spec, spec.name, value, text, errors.get(spec.name, [])))
            continue
        stored = list(content.get(spec.name) or [])
        blanks = (extra or {}).get(spec.name, 1)
        rows: list[list[Bound]] = []
        for i, row in enumerate([*stored, *([{}] * blanks)]):
            cells = []
            for c in spec.columns:
                value, text = _display(c, row.get(c.name))
                path = f"{spec.name}.{i}.{c.name}"
                cells.append(Bound(c, f"{spec.name}-{i}-{c.name}", value, text, errors.get(path, [])))
            rows.append(cells)
        table_errors = [m for k, v in errors.items() if k == spec.name for m in v]
        row_errors = [
            m for k, v in errors.items() if k.startswith(f"{spec.name}.") and k.count(".") == 1 for m in v
        ]
        b = Bound(spec, spec.name, len(rows), "", table_errors + row_errors, rows)
        b.value = len(rows)
        b.display = str(len(stored))
        out.append(b)
    return out


def unplaced_errors(step: int, errors: dict[str, list[Any]]) -> list[str]:
    """Errors whose path names no input of the step's form (shown above the form)."""
    names = {s.name for s in STEP_SPECS[step]}
    return [
        str(m) for k, v in errors.items() if k.removeprefix("content.").split(".")[0] not in names for m in v
    ]
