"""How 8D timeline rows read to a person (translated in one place for the page and reports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

VERB_LABELS = {
    "opened": _("opened the 8D"),
    "complaint_linked": _("added a complaint to the case"),
    "step_saved": _("saved a step"),
    "step_submitted": _("submitted a step for approval"),
    "step_approved": _("approved a step"),
    "step_returned": _("sent a step back"),
    "team_member_set": _("changed the team"),
    "team_member_removed": _("took someone off the team"),
    "cost_verified": _("verified the cost (财务认证)"),
    "summary_reviewed": _("reviewed what the customer is told"),
    "signoff_requested": _("asked for the D8 sign-offs"),
    "closed": _("closed the 8D"),
    "reopened": _("reopened the 8D"),
    "cancelled": _("cancelled the 8D: not needed"),
}


def verb_label(verb: str) -> str:
    return str(VERB_LABELS.get(verb, verb))
