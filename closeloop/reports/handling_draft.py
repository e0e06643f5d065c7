"""The first draft of a handling report, assembled from what is already recorded: nobody retypes the
complaint, the 8D's findings or its actions. Reads only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionKind, ActionStatus
from closeloop.complaints.models import Complaint


def _content(complaint: Complaint) -> dict[int, dict[str, Any]]:
    if complaint.investigation_id is None:
        return {}
    from closeloop.investigations.models import Discipline

    return {
        d.step: d.content or {}
        for d in Discipline.objects.filter(investigation_id=complaint.investigation_id).only(
            "step", "content"
        )
    }


def _lines(items: list[str]) -> str:
    """A bullet per distinct non-empty item, in order."""
    seen: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return "\n".join(f"- {i}" for i in seen)


def _actions(complaint: Complaint, kinds: set[str]) -> list[str]:
    rows = Action.objects.filter(complaint=complaint, kind__in=kinds).exclude(status=ActionStatus.CANCELLED)
    return [a.title for a in rows.order_by("due_date", "pk")]


def handling_report_draft_text(complaint: Complaint) -> dict[str, str]:
    """The four sections — what was reported, what was found, what was done now, what was changed so it
    will not happen again — from the complaint, its 8D content (D2–D7) and its actions. Sections with
    nothing recorded yet are empty, for the handler to write."""
    c = complaint
    d = _content(c)
    reported = [c.description.strip()]
    facts = []
    if c.product_id:
        facts.append(_("Product: %(product)s") % {"product": c.product})
    if c.lot:
        facts.append(_("Lot: %(lot)s") % {"lot": c.lot})
    if c.quantity_affected:
        facts.append(_("Quantity affected: %(qty)s") % {"qty": c.quantity_affected})
    if c.customer_requirement:
        facts.append(_("Your requirement: %(req)s") % {"req": c.customer_requirement})
    reported.append("；".join(facts) if facts else "")

    d4 = d.get(4, {})
    found = [d4.get("occurrence_root_cause", ""), d4.get("escape_root_cause", "")]
    if not any(found) and d.get(2):
        found = [d[2].get("what", "")]

    d3 = d.get(3, {})
    done = [r.get("action", "") for r in d3.get("rows", [])]
    done += _actions(c, {ActionKind.CONTAINMENT})
    if c.resolution:
        done.append(c.resolution)

    d5 = d.get(5, {})
    d7 = d.get(7, {})
    prevention = [r.get("action", "") for r in d5.get("corrective", [])]
    prevention += [
        f"{r.get('document', '')} {r.get('old_revision', '')}→{r.get('new_revision', '')}".strip()
        for r in d7.get("changes", [])
    ]
    prevention += _actions(c, {ActionKind.PREVENTIVE, ActionKind.HORIZONTAL})
    if d7.get("lessons_learned"):
        prevention.append(d7["lessons_learned"])

    return {
        "reported": "\n".join(x for x in reported if x),
        "found": _lines(found),
        "done_now": _lines(done),
        "prevention": _lines(prevention),
    }
