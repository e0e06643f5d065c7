"""The built-in 8D layout as a list of plain blocks (headings, fields, tables, pictures, diagrams).

:func:`eightd_blocks` decides *what* the report says and in which order, in one language; ``pdf.py`` and
``docx.py`` only decide how each kind of block looks. So the PDF and the Word document carry the same
facts, and a new field is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from closeloop.investigations.workflow import Step
from closeloop.reports.eightd import labels as L
from closeloop.reports.eightd.images import EvidenceImage
from closeloop.reports.eightd.lang import Lang, fmt_date, fmt_datetime, fmt_money
from closeloop.reports.eightd.records import ActionRow, Approval, CauseRow, EightDReport, Signoff


@dataclass(frozen=True)
class Title:
    title: str
    subtitle: str
    number: str
    subject: str


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Note:
    """A small line of our own (an approval, a date)."""

    text: str


@dataclass(frozen=True)
class Field:
    """A label and a recorded text."""

    label: str
    value: str


@dataclass(frozen=True)
class KeyValues:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Grid:
    """A table: ``header`` then ``rows``; ``widths`` are fractions of the text width; ``marks`` give one
    mark per row: "" | "verified" | "refuted" | "total" (how a row is emphasised)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    marks: tuple[str, ...] = ()
    key: str = ""  # what the table holds (5w2h, containment…), for tests and styling


@dataclass(frozen=True)
class Fishbone:
    problem: str
    causes: tuple[CauseRow, ...]
    bone_labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WhyChains:
    chains: tuple[tuple[str, str, tuple[str, ...]], ...]  # (kind label, problem, whys)
    problem_label: str
    why_label: str  # "Why %(n)s" already in the document's language, with %(n)s left in


@dataclass(frozen=True)
class Pictures:
    images: tuple[EvidenceImage, ...]


Block = Title | Heading | Note | Field | KeyValues | Grid | Fishbone | WhyChains | Pictures
BONES = ("man", "machine", "material", "method", "environment", "measurement")


def _when(value: Any) -> str:
    return fmt_datetime(value) if value else ""


def _approval_note(lang: Lang, a: Approval | None) -> Note | None:
    if a is None:
        return None
    parts = [L.step_status(lang, a.status)]
    if a.approved_by:
        parts.append(f"{lang.t(L.COL['approved'])}: {a.approved_by} {_when(a.approved_at)}")
    elif a.submitted_by:
        parts.append(f"{lang.t(L.COL['submitted'])}: {a.submitted_by} {_when(a.submitted_at)}")
    return Note(" · ".join(parts))


def _dept(lang: Lang, zh: str, en: str) -> str:
    return lang.pair(zh, en) if zh else ""


def _actions_grid(lang: Lang, rows: tuple[ActionRow, ...], key: str) -> Grid:
    t = lang.t
    return Grid(
        header=(
            t(L.COL["action"]),
            t(L.COL["owner"]),
            t(L.COL["due"]),
            t(L.COL["tracker"]),
            t(L.COL["done"]),
            t(L.COL["verified"]),
        ),
        rows=tuple(
            (
                a.title + (f"\n{a.description}" if a.description else ""),
                "\n".join(x for x in (a.owner, _dept(lang, a.department, a.department_en)) if x),
                f"{fmt_date(a.start_date) or '—'} – {fmt_date(a.due_date)}",
                a.tracker,
                "\n".join(x for x in (L.action_status(lang, a.status), _when(a.done_at), a.done_note) if x),
                "\n".join(x for x in (a.verified_by, _when(a.verified_at), a.verification_note) if x),
            )
            for a in rows
        ),
        widths=(0.22, 0.15, 0.15, 0.1, 0.19, 0.19),
        key=key,
    )


def _signoff(lang: Lang, label: Any, s: Signoff) -> tuple[str, str, str]:
    if not s.by:
        return lang.t(label), lang.t(L.SECTION["pending"]), ""
    by = s.by if s.current else f"{s.by} ({lang.t(L.SECTION['not_current'])})"
    return lang.t(label), by, _when(s.at)


def _money_grid(lang: Lang, rows: Any, label_of: Any, head: Any, total: Any, key: str) -> Grid:
    t = lang.t
    body = [(label_of(lang, m.code), fmt_money(m.amount), m.note) for m in rows]
    body.append((t(L.SECTION["total"]), fmt_money(total), ""))
    return Grid(
        header=(t(head), t(L.COL["amount"]), t(L.COL["note"])),
        rows=tuple(body),
        widths=(0.3, 0.2, 0.5),
        marks=tuple([""] * (len(body) - 1) + ["total"]),
        key=key,
    )


def eightd_blocks(data: EightDReport, lang: Lang) -> list[Block]:
    """The built-in report, D0–D8, in ``lang`` (call inside ``translation.override(lang.active)``)."""
    t = lang.t
    h = data.header
    approvals = {a.step: a for a in data.approvals}
    out: list[Block] = [
        Title(t(L.TITLE), t(L.SUBTITLE), h.number, h.title),
        KeyValues(
            (
                (t(L.HEAD["number"]), h.number),
                (t(L.HEAD["status"]), L.case_status(lang, h.status)),
                (t(L.HEAD["customer"]), "、".join(h.customers)),
                (t(L.HEAD["product"]), "、".join(h.products)),
                (t(L.HEAD["complaints"]), "、".join(x.number for x in h.complaints)),
                (t(L.HEAD["lots"]), "、".join(h.lots)),
                (t(L.HEAD["received"]), _when(h.received_at)),
                (t(L.HEAD["opened"]), _when(h.opened_at)),
                (t(L.HEAD["closed"]), _when(h.closed_at)),
                (t(L.HEAD["owner"]), " · ".join(x for x in (h.owner.name, h.owner.department) if x)),
            )
        ),
        Heading(t(L.SECTION["approvals"]), 2),
        Grid(
            header=(t(L.COL["step"]), t(L.COL["status"]), t(L.COL["submitted"]), t(L.COL["approved"])),
            rows=tuple(
                (
                    L.step_title(lang, a.step),
                    L.step_status(lang, a.status),
                    f"{a.submitted_by} {_when(a.submitted_at)}".strip(),
                    f"{a.approved_by} {_when(a.approved_at)}".strip(),
                )
                for a in data.approvals
            ),
            widths=(0.34, 0.16, 0.25, 0.25),
            key="approvals",
        ),
    ]

    def step(n: int) -> None:
        out.append(Heading(L.step_title(lang, n)))
        note = _approval_note(lang, approvals.get(n))
        if note:
            out.append(note)

    def pictures(n: int) -> None:
        images = data.images_for(n)
        if images:
            out.append(Heading(t(L.SECTION["images"]), 2))
            out.append(Pictures(images))

    step(Step.D0)
    out += [
        Field(t(L.SECTION["needs_8d"]), lang.yes_no(data.d0.needs_8d)),
        Field(t(L.SECTION["reason"]), data.d0.reason),
        Field(t(L.SECTION["emergency"]), data.d0.emergency_actions),
    ]
    pictures(Step.D0)

    step(Step.D1)
    out.append(Field(t(L.SECTION["goal"]), data.goal))
    out.append(
        Grid(
            header=(t(L.COL["name"]), t(L.COL["role"]), t(L.COL["department"]), t(L.COL["responsibility"])),
            rows=tuple(
                (m.name, L.role(lang, m.role), _dept(lang, m.department, m.department_en), m.responsibility)
                for m in h.team
            ),
            widths=(0.25, 0.2, 0.25, 0.3),
            key="team",
        )
    )

    step(Step.D2)
    for x in h.complaints:
        out.append(Field(f"{t(L.SECTION['reported'])} · {x.number} {x.title}", x.description))
        if x.requirement:
            out.append(Field(t(L.SECTION["requirement"]), x.requirement))
    out.append(Heading(t(L.SECTION["w5h2"]), 2))
    out.append(
        Grid(
            header=(t(L.COL["item"]), t(L.COL["text"])),
            rows=tuple((L.w5h2(lang, k), v) for k, v in data.d2.w5h2),
            widths=(0.28, 0.72),
            key="5w2h",
        )
    )
    out.append(Heading(t(L.SECTION["is_is_not"]), 2))
    out.append(
        Grid(
            header=(t(L.COL["dimension"]), t(L.COL["is"]), t(L.COL["is_not"])),
            rows=tuple((r.dimension, r.is_text, r.is_not_text) for r in data.d2.is_is_not),
            widths=(0.2, 0.4, 0.4),
            key="is_is_not",
        )
    )
    pictures(Step.D2)

    step(Step.D3)
    d3 = data.d3
    rows = [
        (L.location(lang, r.location), r.action, str(r.qty_checked), str(r.qty_bad), lang.yes_no(r.effective))
        for r in d3.rows
    ]
    rows.append((t(L.SECTION["total"]), "", str(d3.qty_checked), str(d3.qty_bad), ""))
    out += [
        Grid(
            header=(
                t(L.COL["location"]),
                t(L.COL["action"]),
                t(L.COL["qty_checked"]),
                t(L.COL["qty_bad"]),
                t(L.COL["effective"]),
            ),
            rows=tuple(rows),
            widths=(0.2, 0.44, 0.12, 0.12, 0.12),
            marks=tuple([""] * (len(rows) - 1) + ["total"]),
            key="containment",
        ),
        Field(t(L.SECTION["suspect_lots"]), "、".join(d3.suspect_lots)),
        Field(t(L.SECTION["effectiveness"]), d3.effectiveness),
    ]
    pictures(Step.D3)

    step(Step.D4)
    d4 = data.d4
    out += [
        Heading(t(L.SECTION["fishbone"]), 2),
        Fishbone(d4.problem, d4.causes, {b: L.cause_category(lang, b) for b in BONES}),
        Heading(t(L.SECTION["causes"]), 2),
        Grid(
            header=(t(L.COL["category"]), t(L.COL["cause"]), t(L.COL["verdict"]), t(L.COL["evidence"])),
            rows=tuple(
                (
                    L.cause_category(lang, k.category),
                    f"{k.id} {k.text}",
                    L.choice(lang, L.CAUSE_STATUS, k.status),
                    k.evidence,
                )
                for k in d4.causes
            ),
            widths=(0.16, 0.34, 0.14, 0.36),
            marks=tuple(k.status if k.status in ("verified", "refuted") else "" for k in d4.causes),
            key="causes",
        ),
        Heading(t(L.SECTION["why"]), 2),
        WhyChains(
            tuple((L.choice(lang, L.ROOT_KINDS, w.kind), w.problem, w.whys) for w in d4.why_chains),
            problem_label=t(L.SECTION["problem"]),
            why_label=t(L.SECTION["why_n"], n="%(n)s"),
        ),
    ]
    for kind, text, cause in (
        ("occurrence", d4.occurrence_root_cause, d4.occurrence_cause),
        ("escape", d4.escape_root_cause, d4.escape_cause),
    ):
        linked = f"\n({cause.id} {cause.text})" if cause else ""
        out.append(Field(t(L.SECTION[kind]), text + linked if text else text))
    pictures(Step.D4)

    step(Step.D5)
    out.append(
        Grid(
            header=(t(L.COL["root_cause"]), t(L.COL["action"]), t(L.COL["verification"])),
            rows=tuple(
                (L.choice(lang, L.ROOT_KINDS, r.root_cause), r.action, r.verification) for r in data.d5
            ),
            widths=(0.2, 0.45, 0.35),
            key="corrective_plan",
        )
    )
    pictures(Step.D5)

    step(Step.D6)
    d6 = data.d6
    removed = lang.yes_no(d6.containment_removed)
    if d6.containment_removed_on:
        removed = f"{removed} ({fmt_date(d6.containment_removed_on)})"
    out += [
        Heading(t(L.SECTION["implemented"]), 2),
        _actions_grid(lang, d6.actions, "corrective_actions"),
        Field(t(L.SECTION["validation"]), d6.validation_results),
        Field(t(L.SECTION["containment_removed"]), removed),
    ]
    pictures(Step.D6)

    step(Step.D7)
    d7 = data.d7
    out += [
        Heading(t(L.SECTION["documents"]), 2),
        Grid(
            header=(t(L.COL["doc_type"]), t(L.COL["document"]), t(L.COL["revision"])),
            rows=tuple(
                (L.doc_type(lang, x.doc_type), x.document, f"{x.old_revision or '—'} → {x.new_revision}")
                for x in d7.changes
            ),
            widths=(0.22, 0.58, 0.2),
            key="documents",
        ),
        Heading(t(L.SECTION["horizontal"]), 2),
    ]
    if d7.horizontal:
        out.append(_actions_grid(lang, d7.horizontal, "horizontal"))
    if d7.horizontal_not_applicable or not d7.horizontal:
        out.append(Field(t(L.SECTION["horizontal_na"]), d7.horizontal_not_applicable))
    out.append(Field(t(L.SECTION["lessons"]), d7.lessons_learned))
    pictures(Step.D7)

    step(Step.D8)
    d8 = data.d8
    out += [
        Heading(t(L.SECTION["costs"]), 2),
        _money_grid(lang, d8.costs, L.cost_item, L.COL["item"], d8.cost_total, "costs"),
    ]
    if d8.recoveries:
        out += [
            Heading(t(L.SECTION["recoveries"]), 2),
            _money_grid(
                lang, d8.recoveries, L.recovery_source, L.COL["source"], d8.recovered_total, "recoveries"
            ),
        ]
    out += [
        Field(t(L.SECTION["net"]), fmt_money(d8.net_cost)),
        Field(t(L.SECTION["recognition"]), d8.recognition),
        Field(t(L.SECTION["summary"]), d8.customer_summary),
        Heading(t(L.SECTION["signoffs"]), 2),
        Grid(
            header=(t(L.COL["signoff"]), t(L.COL["by"]), t(L.COL["at"])),
            rows=(
                _signoff(lang, L.SECTION["cost_verified"], d8.cost_verified),
                _signoff(lang, L.SECTION["summary_reviewed"], d8.summary_reviewed),
            ),
            widths=(0.45, 0.3, 0.25),
            key="signoffs",
        ),
    ]
    pictures(Step.D8)
    none = Note(t(L.SECTION["none"]))
    return [none if isinstance(b, Grid) and not b.rows else b for b in out]
