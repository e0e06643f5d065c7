"""What each notification says, rendered at display time in the reader's language. Pure: no ORM.

A notification stores a ``verb`` and its ``data`` (plain JSON values); :func:`notification_text` fills
the verb's translated template with them. Adding a verb means adding one entry to
:data:`VERB_MESSAGES` (and its data keys to whatever builds the data); rows of an unknown verb still
render (as the verb code), so old rows survive a verb being retired.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils import translation
from django.utils.translation import gettext_lazy as _

VERB_MESSAGES: dict[str, Any] = {
    "complaint_received": _("New complaint %(number)s from %(customer)s: %(title)s"),
    # Translators: a complaint was accepted (triaged); customer is the customer's name.
    "complaint_accepted": _("Complaint %(number)s accepted: %(title)s (%(customer)s)"),
    # Translators: reason is why the complaint was rejected as invalid.
    "complaint_rejected": _("Complaint %(number)s was rejected as invalid: %(reason)s"),
    "complaint_assigned": _("Complaint %(number)s is now yours: %(title)s"),
    "action_assigned": _("New action for you on %(number)s: “%(title)s”, due %(due_date)s"),
    # Translators: owner is the person who did the action; note says what was done.
    "action_done": _("%(owner)s completed “%(title)s” on %(number)s: %(note)s"),
    "action_verified": _("Your action “%(title)s” on %(number)s was verified"),
    "action_rejected": _("Your action “%(title)s” on %(number)s was sent back: %(note)s"),
    "action_overdue": _("Action “%(title)s” on %(number)s is overdue (due %(due_date)s)"),
    # Translators: case is an 8D case number, step an 8D step such as D4.
    "step_submitted": _("8D %(case)s: %(step)s was submitted for approval: %(title)s"),
    "step_approved": _("8D %(case)s: %(step)s was approved"),
    "step_returned": _("8D %(case)s: %(step)s was returned: %(note)s"),
    "investigation_closed": _("8D %(case)s was closed: %(title)s"),
    "investigation_reopened": _("8D %(case)s was reopened at %(step)s: %(note)s"),
    "customer_summary_review": _("8D %(case)s: the customer summary waits for your review"),
    "cost_verification": _("8D %(case)s: the quality costs wait for your verification"),
    "handling_report_review": _("Handling report v%(version)s of %(number)s waits for your approval"),
    "handling_report_approved": _("Handling report v%(version)s of %(number)s was approved"),
    "handling_report_returned": _("Handling report v%(version)s of %(number)s was sent back: %(note)s"),
    # Translators: to is the customer contact's email address.
    "report_sent": _("Handling report v%(version)s of %(number)s was sent to %(to)s"),
    # Translators: answer is “accepted” or “rejected”.
    "report_answered": _("The customer %(answer)s handling report v%(version)s of %(number)s %(reason)s"),
    # Translators: satisfied is “satisfied” or “not satisfied”; score is 1–5.
    "verdict_recorded": _("Customer verdict on %(number)s: %(satisfied)s, score %(score)s"),
    # Translators: target is a deadline such as “Closure”; percent is how much of its time is used.
    "deadline_warning": _(
        "%(number)s (%(title)s): %(percent)s%% of the time for “%(target)s” is used, due %(due_at)s"
    ),
    "deadline_breached": _("Overdue: “%(target)s” of %(number)s (%(title)s) was due %(due_at)s"),
    # Translators: one message for all of an import's new complaints that concern the reader; file is the
    # imported file's name, serious how many of them are serious.
    "complaints_imported": _("%(count)s new complaints from the import of %(file)s (%(serious)s serious)"),
    # Translators: owner is the complaint's owner (may be empty).
    "deadline_escalated": _(
        "Escalated: “%(target)s” of %(number)s (%(title)s) is overdue since %(due_at)s; owner %(owner)s"
    ),
}

# What each event is called where people choose events (notification rules, preferences).
EVENT_LABELS: dict[str, Any] = {
    "complaint_received": _("Complaint received"),
    "complaint_accepted": _("Complaint accepted (triaged)"),
    "complaint_assigned": _("Complaint assigned"),
    "complaint_rejected": _("Complaint rejected as invalid"),
    "step_submitted": _("8D step submitted"),
    "step_approved": _("8D step approved"),
    "step_returned": _("8D step sent back"),
    "investigation_closed": _("8D closed"),
    "investigation_reopened": _("8D reopened"),
    "customer_summary_review": _("8D customer summary to review"),
    "cost_verification": _("8D quality costs to verify"),
    "action_assigned": _("Action assigned"),
    "action_done": _("Action completed"),
    "action_verified": _("Action verified"),
    "action_rejected": _("Action sent back"),
    "action_overdue": _("Action overdue"),
    "deadline_warning": _("Deadline approaching"),
    "deadline_breached": _("Deadline missed"),
    "deadline_escalated": _("Deadline escalated"),
    "handling_report_review": _("Handling report to approve"),
    "handling_report_approved": _("Handling report approved"),
    "handling_report_returned": _("Handling report sent back"),
    "report_sent": _("Report sent to the customer"),
    "report_answered": _("Customer's answer to a report"),
    "verdict_recorded": _("Customer verdict"),
}

# Verbs that tell, in one message, of many events of another verb (the import digest of the complaints
# an import received): they read and are muted as that event, and the rules of that event route them.
DIGEST_OF: dict[str, str] = {"complaints_imported": "complaint_received"}


def event_label(verb: str) -> str:
    """The name of ``verb``'s event in the active language (a digest's is its events'; the code itself if
    unknown)."""
    label = EVENT_LABELS.get(DIGEST_OF.get(verb, verb))
    return str(label) if label is not None else verb


REASON_LABELS: dict[str, Any] = {
    "role_sales_manager": _("You are a sales manager."),
    "role_quality_manager": _("You are a quality manager."),
    "role_purchasing_manager": _("You are a purchasing manager."),
    "role_general_manager": _("You are the general manager."),
    "role_finance": _("You work in finance."),
    "requester": _("You asked for this action."),
    "recorder": _("You recorded this complaint."),
    "sales_owner": _("You are the customer's salesperson."),
    "sales_manager_of_owner": _("You manage the customer's salesperson."),
    "owner": _("You are the owner."),
    "team_member": _("You are on the 8D team."),
    "approver": _("You approve this step."),
    "tracker": _("You track this action and verify its effect."),
    "department_manager": _("You manage the responsible department."),
    "rule_role": _("A notification rule names your role."),
    "rule_department": _("A notification rule names your department."),
    "rule_named": _("A notification rule names you."),
    "report_author": _("You drafted this report."),
    "escalation_owner": _("You own the complaint whose deadline was missed."),
    "escalation_no_owner": _(
        "Nobody owns the complaint whose deadline was missed: you are a quality manager."
    ),
    "escalation_department_manager": _(
        "A missed deadline was escalated to you as the owner's department manager."
    ),
    "escalation_quality_manager": _("A missed deadline was escalated to you as a quality manager."),
    "escalation_general_manager": _("A missed deadline was escalated to you as the general manager."),
}

# Data values that are codes rather than words, rendered in the reader's language.
_VALUE_LABELS: dict[str, dict[Any, Any]] = {
    "satisfied": {True: _("satisfied"), False: _("not satisfied")},
    "answer": {True: _("accepted"), False: _("rejected")},
}


class _Renderable(Protocol):
    verb: str
    data: Any


class _Blank(dict[str, str]):
    """A mapping for ``%`` formatting in which a missing key reads as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


def value_labels_register(key: str, labels: dict[Any, Any]) -> None:
    """Say how another app's codes stored under ``data[key]`` read (lazy labels), e.g. the deadline
    targets, registered by the sla app when it is ready, so this module needs no models."""
    _VALUE_LABELS[key] = labels


def _value(key: str, value: Any) -> str:
    labels = _VALUE_LABELS.get(key)
    if labels is not None and value in labels:
        return str(labels[value])
    return "" if value is None else str(value)


def notification_text(n: _Renderable) -> str:
    """The notification's message in the active language.

    Never raises for bad data: missing keys read as empty strings, non-dict data as no data, and a
    translation with a broken placeholder falls back to the untranslated template.
    """
    template = VERB_MESSAGES.get(n.verb)
    if template is None:
        return n.verb
    data = n.data if isinstance(n.data, dict) else {}
    values = _Blank({str(k): _value(str(k), v) for k, v in data.items()})
    try:
        return (str(template) % values).strip()
    except (KeyError, ValueError, TypeError):
        with translation.override(None):  # the msgid, untranslated
            return (str(template) % values).strip()


def reason_label(code: str) -> str:
    """“Why did I get this” for a reason code, in the active language (the code itself if unknown)."""
    label = REASON_LABELS.get(code)
    return str(label) if label is not None else code
