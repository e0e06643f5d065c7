"""How complaint facts read to a person: verb and field labels, choice values, the priority breakdown.
Shared by the detail page, the API and (later) reports, so a word is translated in one place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.complaints.models import (
    Channel,
    Complaint,
    ComplaintEvent,
    ImpactScope,
    Severity,
    Urgency,
    WarrantyStatus,
)
from closeloop.complaints.priority import FACTOR_LABELS
from closeloop.complaints.workflow import HandlingPath, Status
from closeloop.customers.models import CustomerTier
from closeloop.sla.models import EscalationWho, PauseReason, Target

VERB_LABELS = {
    "created": gettext_lazy("recorded the complaint"),
    "triaged": gettext_lazy("triaged"),
    "assigned": gettext_lazy("reassigned"),
    "updated": gettext_lazy("edited"),
    "marked_invalid": gettext_lazy("marked it invalid"),
    "marked_duplicate": gettext_lazy("marked it as a duplicate"),
    "duplicate_linked": gettext_lazy("linked a duplicate"),
    "attachment_added": gettext_lazy("added an attachment"),
    "handling_started": gettext_lazy("started handling"),
    "action_created": gettext_lazy("added an action"),
    "action_started": gettext_lazy("started an action"),
    "action_done": gettext_lazy("reported an action done"),
    "action_verified": gettext_lazy("verified an action's effect"),
    "action_rejected": gettext_lazy("sent an action back"),
    "action_overdue": gettext_lazy("an action passed its due date: its owner was reminded"),
    "resolved": gettext_lazy("resolved it and asked the customer"),
    "closed": gettext_lazy("recorded the customer's satisfaction and closed it"),
    "reopened": gettext_lazy("reopened it: the customer is not satisfied"),
    "action_commented": gettext_lazy("commented on an action"),
    "action_evidence_added": gettext_lazy("added evidence to an action"),
    "escalated_to_8d": gettext_lazy("escalated it to a full 8D"),
    "8d_linked": gettext_lazy("put it on an 8D"),
    "8d_complaint_linked": gettext_lazy("8D: another complaint joined the case"),
    "8d_opened": gettext_lazy("8D: the case was opened"),
    "8d_step_submitted": gettext_lazy("8D: a step was submitted for approval"),
    "8d_step_approved": gettext_lazy("8D: a step was approved"),
    "8d_step_returned": gettext_lazy("8D: a step was sent back"),
    "8d_cost_verified": gettext_lazy("8D: finance verified the cost"),
    "8d_summary_reviewed": gettext_lazy("8D: the sales manager reviewed what the customer is told"),
    "8d_closed": gettext_lazy("8D: the case was closed"),
    "8d_reopened": gettext_lazy("8D: the case was reopened"),
    "8d_cancelled": gettext_lazy("8D: the case was cancelled (no 8D needed)"),
    "returned_to_quick": gettext_lazy("back to quick resolution: no 8D needed"),
    "handling_report_drafted": gettext_lazy("drafted a handling report for the customer"),
    "handling_report_submitted": gettext_lazy("asked the sales manager to approve the handling report"),
    "handling_report_approved": gettext_lazy("approved the handling report"),
    "handling_report_returned": gettext_lazy("sent the handling report back"),
    "handling_report_sent": gettext_lazy("sent the handling report to the customer"),
    "handling_report_accepted": gettext_lazy("recorded that the customer accepted the handling report"),
    "handling_report_rejected": gettext_lazy("recorded that the customer rejected the handling report"),
    "clock_paused": gettext_lazy("paused the deadlines: the complaint waits on the customer"),
    "clock_resumed": gettext_lazy("resumed the deadlines"),
    "deadline_warning": gettext_lazy("sent a deadline reminder"),
    "deadline_breached": gettext_lazy("recorded a missed deadline"),
    "deadline_escalated": gettext_lazy("escalated a missed deadline"),
    "deadline_rescheduled": gettext_lazy("rescheduled a deadline: the year's working calendar was loaded"),
}

CHOICES_BY_FIELD: dict[str, Any] = {
    "status": Status,
    "channel": Channel,
    "severity": Severity,
    "urgency": Urgency,
    "impact_scope": ImpactScope,
    "handling_path": HandlingPath,
    "warranty_status": WarrantyStatus,
    "customer_tier": CustomerTier,
}


def verb_label(verb: str) -> str:
    return str(VERB_LABELS.get(verb, verb))


def field_label(field: str) -> str:
    try:
        return str(getattr(Complaint._meta.get_field(field), "verbose_name", field))
    except Exception:  # noqa: BLE001 — an unknown field name is shown as it is
        return field


def value_label(field: str, value: Any) -> str:
    """A stored event value as a person reads it: choice codes become their translated label."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    choices = CHOICES_BY_FIELD.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def changes_display(changes: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "field": field_label(ch["field"]),
            "old": value_label(ch["field"], ch.get("old")),
            "new": value_label(ch["field"], ch.get("new")),
        }
        for ch in changes
    ]


def breakdown_display(breakdown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored priority breakdown with translated factor and value labels, and bar widths."""
    top = max([int(r["points"]) for r in breakdown] + [1])
    rows = []
    for r in breakdown:
        factor = r["factor"]
        value: Any = r["value"]
        if factor == "customer_value":
            shown = _("%(amount)s CNY a year") % {"amount": f"{float(value):,.0f}"}
        elif factor == "customer_tier":
            shown = value_label("customer_tier", value)
        else:
            shown = value_label(factor, value)
        rows.append(
            {
                "factor": factor,
                "label": _(FACTOR_LABELS.get(factor, factor)),
                "value": shown,
                "points": int(r["points"]),
                "width": round(100 * int(r["points"]) / top),
            }
        )
    return rows


def _when(iso: Any) -> str:
    try:
        return timezone.localtime(dt.datetime.fromisoformat(str(iso))).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)


def _label(choices: Any, code: Any) -> str:
    return str(choices(code).label) if code in choices.values else str(code or "")


# The verbs event_detail writes a line for.
DETAIL_VERBS = frozenset(
    {
        "clock_paused",
        "clock_resumed",
        "deadline_warning",
        "deadline_rescheduled",
        "deadline_breached",
        "deadline_escalated",
    }
)


def event_detail(verb: str, data: dict[str, Any]) -> str:
    """The line under a timeline row of the deadlines' clock and scan, in the reader's language: why it
    paused, which target, who was told at which step. Empty for other verbs."""
    if verb not in DETAIL_VERBS or not isinstance(data, dict):
        return ""
    told = ", ".join(str(n) for n in data.get("told") or []) or _("nobody to tell")
    target = _label(Target, data.get("target"))
    if verb == "clock_paused":
        return _label(PauseReason, data.get("reason"))
    if verb == "clock_resumed":
        return _("paused since %(since)s (%(reason)s)") % {
            "since": _when(data.get("paused_since")),
            "reason": _label(PauseReason, data.get("reason")),
        }
    if verb == "deadline_warning":
        return _("%(target)s: %(percent)s%% of the time used; told: %(told)s") % {
            "target": target,
            "percent": data.get("percent"),
            "told": told,
        }
    if verb == "deadline_rescheduled":
        return _("%(target)s: due %(old)s, now %(due_at)s") % {
            "target": target,
            "old": _when(data.get("old_due_at")),
            "due_at": _when(data.get("due_at")),
        }
    if verb == "deadline_breached":
        return _("%(target)s was due %(due_at)s") % {"target": target, "due_at": _when(data.get("due_at"))}
    if verb == "deadline_escalated":
        return _("%(target)s, step %(level)s (%(who)s); told: %(told)s") % {
            "target": target,
            "level": data.get("level"),
            "who": _label(EscalationWho, data.get("who")),
            "told": told,
        }
    return ""


# The keys of an event's data that its timeline row shows.
TIMELINE_DATA_KEYS = ("investigation", "step", "original", "duplicate", "name", "title", "owner")


def timeline_entries(events: Iterable[ComplaintEvent]) -> list[dict[str, Any]]:
    """The complaint page's timeline rows, in the order given, with every label worked out here in one
    pass so that the template only places them:

    ``code`` and ``verb`` (the verb and its label); ``actor`` (True when a person acted), ``who`` (their
    name, or "System") and ``initials``; ``iso`` and ``when`` (the time in the current time zone, ISO 8601
    and to the minute); ``detail`` (event_detail); ``note``; the TIMELINE_DATA_KEYS of the event's data
    (None when absent); ``changes`` (changes_display; empty for "created", whose values the page shows
    above the timeline)."""
    system = _("System")
    rows = []
    for e in events:
        data = e.data if isinstance(e.data, dict) else {}
        local = timezone.localtime(e.created_at)
        actor = e.actor
        rows.append(
            {
                "code": e.verb,
                "verb": verb_label(e.verb),
                "actor": actor is not None,
                "who": str(actor) if actor is not None else system,
                "initials": actor.initials if actor is not None else "",
                "iso": local.isoformat(),
                "when": local.strftime("%Y-%m-%d %H:%M"),
                "detail": event_detail(e.verb, e.data),
                "note": e.note,
                **{key: data.get(key) for key in TIMELINE_DATA_KEYS},
                "changes": changes_display(e.changes) if e.changes and e.verb != "created" else [],
            }
        )
    return rows
