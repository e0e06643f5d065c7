"""Each 8D step's gate: what a step still lacks before it may be submitted, as sentences for people.
Pure: it reads the step's parsed content (:mod:`closeloop.investigations.content`) and the facts the
service gathers from the database (:class:`GateFacts`); no ORM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from closeloop.investigations.content import (
    W5H2,
    D0Content,
    D1Content,
    D2Content,
    D3Content,
    D4Content,
    D5Content,
    D6Content,
    D7Content,
    D8Content,
    _Content,
)
from closeloop.investigations.workflow import TeamRole


@dataclass(frozen=True)
class GateFacts:
    """What a gate reads besides the step's own content (gathered by the service from the database)."""

    team_roles: tuple[str, ...] = ()
    team_departments: int = 0
    # kind -> (total, not yet verified or cancelled) for the case's tracked actions
    actions: dict[str, tuple[int, int]] = field(default_factory=dict)
    unfinished_actions: int = 0
    cost_verified: bool = False
    summary_reviewed: bool = False


def _blank(value: str) -> bool:
    return not (value or "").strip()


def missing(step: int, content: _Content, facts: GateFacts) -> list[str]:
    """The gate: what step ``step`` still lacks before it may be submitted (empty when complete)."""
    out: list[Any] = []
    if isinstance(content, D0Content):
        if content.needs_8d is None:
            out.append(_("Say whether an 8D is needed."))
        elif content.needs_8d is False:
            out.append(_("The case says no 8D is needed: handle the complaint on the quick path instead."))
        if _blank(content.emergency_actions):
            out.append(_("Describe the emergency response (or say why none is needed)."))
    elif isinstance(content, D1Content):
        if TeamRole.LEADER not in facts.team_roles:
            out.append(_("Name the team leader."))
        if TeamRole.CHAMPION not in facts.team_roles:
            out.append(_("Name the champion."))
        if len(facts.team_roles) < 3:
            out.append(_("A team has at least three people."))
        if facts.team_departments < 2:
            out.append(_("The team should come from at least two departments."))
    elif isinstance(content, D2Content):
        for key, label in W5H2.items():
            if _blank(getattr(content, key)):
                out.append(_("Fill in 5W2H: %(field)s.") % {"field": label})
        if not any(r.is_text and r.is_not_text for r in content.is_is_not):
            out.append(_("Fill at least one IS / IS NOT row (both sides)."))
    elif isinstance(content, D3Content):
        if not content.rows:
            out.append(_("Record the containment at one location at least."))
        for i, r in enumerate(content.rows, start=1):
            if _blank(r.action):
                out.append(_("Containment row %(n)s: say what was done.") % {"n": i})
            if r.effective is None:
                out.append(_("Containment row %(n)s: say whether it was effective.") % {"n": i})
        if not content.suspect_lots:
            out.append(_("List the suspect lots (or “none”)."))
        if _blank(content.effectiveness):
            out.append(_("Say how the containment's effectiveness was checked."))
    elif isinstance(content, D4Content):
        verified = [c for c in content.causes if c.status == "verified"]
        if not verified:
            out.append(_("No cause is verified: a root cause needs evidence, not a guess."))
        for c in content.causes:
            if c.status != "candidate" and _blank(c.evidence):
                out.append(_("Cause “%(cause)s”: give the evidence for its verdict.") % {"cause": c.text})
        for kind, label in (("occurrence", _("occurrence")), ("escape", _("escape (non-detection)"))):
            text = getattr(content, f"{kind}_root_cause")
            cause = content.cause(getattr(content, f"{kind}_cause_id"))
            if _blank(text):
                out.append(_("State the %(kind)s root cause.") % {"kind": label})
            if cause is None or cause.status != "verified":
                out.append(_("The %(kind)s root cause must rest on a verified cause.") % {"kind": label})
            chains = [
                ch for ch in content.why_chains if ch.kind == kind and len([w for w in ch.whys if w]) >= 3
            ]
            if not chains:
                out.append(_("Ask why at least three times for the %(kind)s root cause.") % {"kind": label})
    elif isinstance(content, D5Content):
        for kind, label in (("occurrence", _("occurrence")), ("escape", _("escape (non-detection)"))):
            rows = [r for r in content.corrective if r.root_cause == kind and not _blank(r.action)]
            if not rows:
                out.append(
                    _("Choose a permanent corrective action for the %(kind)s root cause.") % {"kind": label}
                )
            elif any(_blank(r.verification) for r in rows):
                out.append(_("Say how each %(kind)s corrective action will be verified.") % {"kind": label})
    elif isinstance(content, D6Content):
        total, unfinished = facts.actions.get("corrective", (0, 0))
        if not total:
            out.append(_("Plan the corrective actions (department, start, finish, tracker)."))
        elif unfinished:
            out.append(_("%(n)s corrective action(s) not yet verified by their tracker.") % {"n": unfinished})
        if _blank(content.validation_results):
            out.append(_("Record the validation results."))
        if not content.containment_removed:
            out.append(_("Confirm the containment has been removed."))
    elif isinstance(content, D7Content):
        if not any(not _blank(c.document) and not _blank(c.new_revision) for c in content.changes):
            out.append(_("Record the documents changed (FMEA, control plan, …) with their new revision."))
        for i, change in enumerate(content.changes, start=1):
            if _blank(change.document) or _blank(change.new_revision):
                out.append(_("Document change %(n)s: name the document and its new revision.") % {"n": i})
        total, unfinished = facts.actions.get("horizontal", (0, 0))
        if not total and _blank(content.horizontal_not_applicable):
            out.append(_("Deploy to similar products or lines (横向展开), or say why it does not apply."))
        elif unfinished:
            out.append(_("%(n)s horizontal-deployment action(s) not yet verified.") % {"n": unfinished})
        if _blank(content.lessons_learned):
            out.append(_("Write down the lessons learned."))
    elif isinstance(content, D8Content):
        if not content.costs:
            out.append(_("Record the cost of poor quality by item."))
        if not facts.cost_verified:
            out.append(_("Finance has not verified the cost (财务认证)."))
        if _blank(content.recognition):
            out.append(_("Recognise the team's work."))
        if _blank(content.customer_summary):
            out.append(_("Write what the customer is told."))
        elif not facts.summary_reviewed:
            out.append(_("The sales manager has not reviewed what the customer is told."))
        if facts.unfinished_actions:
            out.append(_("%(n)s action(s) of this 8D are still open.") % {"n": facts.unfinished_actions})
    return [str(m) for m in out]
