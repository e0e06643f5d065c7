"""What the complaint page shows: its template context, built for the user looking at it. Read-only:
the views in ``complaints.views`` and ``complaints.views_handling`` render it after their services act.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join

from closeloop.accounts.models import User
from closeloop.accounts.selectors import active_users
from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionKind
from closeloop.complaints import handling, presentation
from closeloop.complaints.forms import DuplicateForm, InvalidForm, ResolveForm, TriageForm, VerdictForm
from closeloop.complaints.models import Complaint
from closeloop.complaints.page_rows import complaint_page_rows
from closeloop.complaints.workflow import FINAL_STATUSES, Status, can_transition
from closeloop.core import clock
from closeloop.core.views import request_user
from closeloop.customers.pii import email_for, phone_for
from closeloop.reports.models import HandlingReport
from closeloop.sla.models import PauseReason
from closeloop.sla.selectors import deadline_rows


def triage_on_demand(c: Complaint) -> bool:
    """Whether the complaint page draws the triage form only when asked (and offers to put it away):
    once triaged, a correction; while new, the page's task, shown inline."""
    return c.status != Status.NEW


def triage_initial(c: Complaint) -> dict[str, Any]:
    """The triage form's initial values: the complaint's current ones, with its version for the
    optimistic lock."""
    return {
        "version": c.version,
        "category": c.category.code if c.category else "",
        "severity": c.severity,
        "urgency": c.urgency,
        "impact_scope": c.impact_scope,
        "safety_risk": c.safety_risk,
        "handling_path": c.handling_path,
        "owner": c.owner_id,
        "department": c.department_id,
        "site": c.site.code if c.site else "",
    }


# The timeline shows the newest TIMELINE_CAP events; ``?timeline=all`` shows every one.
TIMELINE_CAP = 50


def timeline_context(request: HttpRequest, c: Complaint, events: list[Any]) -> dict[str, Any]:
    """``events``: the newest TIMELINE_CAP + 1 events (every one with ``?timeline=all``), newest first."""
    more = len(events) > TIMELINE_CAP and request.GET.get("timeline") != "all"
    return {
        "timeline": presentation.timeline_entries(events[:TIMELINE_CAP] if more else events),
        "timeline_all_url": f"{reverse('complaints:detail', args=[c.number])}?timeline=all#timeline"
        if more
        else "",
    }


def page_context(request: HttpRequest, c: Complaint, **forms: Any) -> dict[str, Any]:
    """The complaint page. A form is built only where the page shows it (the triage forms for those who
    may triage it now, the triage form itself only while the complaint is new or when asked for; the
    resolution and verdict forms for its handlers at that stage), unless the caller passes one back with
    its errors."""
    user = request_user(request)
    can_triage = user.has_perm("complaints.triage_complaint") and can_transition(c.status, Status.TRIAGED)
    can_handle = handling.complaint_can_handle(user=user, complaint=c)
    version = {"version": c.version}
    # Every child row in one statement (see page_rows); one more event than the cap tells whether
    # the timeline is cut.
    whole = request.GET.get("timeline") == "all"
    rows = complaint_page_rows(complaint_id=c.pk, timeline_cap=None if whole else TIMELINE_CAP + 1)
    # The triage form is the page's task while the complaint is new; once triaged it is a correction,
    # drawn on demand (GET of the triage URL, or ``?triage=edit`` without script), which saves most of
    # the page's rendering for everyone who only reads it.
    triage_form = forms.get("triage_form") or (
        TriageForm(initial=triage_initial(c), current_site=c.site)
        if can_triage and (not triage_on_demand(c) or request.GET.get("triage") == "edit")
        else None
    )
    return {
        "complaint": c,
        "contact_phone": phone_for(user, c.contact.phone) if c.contact else "",
        "contact_email": email_for(user, c.contact.email) if c.contact else "",
        "breakdown": presentation.breakdown_display(c.priority_breakdown),
        **timeline_context(request, c, rows.events),
        "attachments": rows.attachments,
        "duplicates": rows.duplicates,
        # The page names the original by number and title only (the page query does not join it).
        "duplicate_of": Complaint.objects.only("number", "title").filter(pk=c.duplicate_of_id).first()
        if c.duplicate_of_id is not None
        else None,
        "can_triage": can_triage,
        "can_attach": user.has_perm("complaints.add_attachment") and c.status not in FINAL_STATUSES,
        "triage_form": triage_form,
        # Once triaged, the form was asked for and can be put away again.
        "triage_cancel": triage_on_demand(c),
        "invalid_form": forms.get("invalid_form") or (InvalidForm(initial=version) if can_triage else None),
        "duplicate_form": forms.get("duplicate_form")
        or (DuplicateForm(initial=version) if can_triage else None),
        "conflict": forms.get("conflict"),
        "attach_errors": forms.get("attach_errors", []),
        "can_handle": can_handle,
        "start_error": forms.get("start_error"),
        "resolve_form": forms.get("resolve_form")
        or (ResolveForm(initial=version) if can_handle and c.status == "in_progress" else None),
        "verdict_form": forms.get("verdict_form")
        or (VerdictForm(initial=version) if can_handle and c.status == "awaiting_customer" else None),
        "verdicts": rows.verdicts,
        "escalate_error": forms.get("escalate_error"),
        "deadlines": deadline_rows(rows.deadlines, now=clock.now()),
        "clock_pause": rows.clock_pause,
        "pause_reasons": PauseReason.choices,
        "pause_error": forms.get("pause_error"),
        "can_pause_clock": c.status not in FINAL_STATUSES and can_handle,
        **case_context(user, c),
        **actions_context(rows.actions, triage_form=triage_form),
        **handling_card_context(user=user, complaint=c, versions=rows.handling_reports),
    }


def handling_card_context(
    *, user: User, complaint: Complaint, versions: list[HandlingReport] | None = None
) -> dict[str, Any]:
    from closeloop.reports.handling_selectors import handling_card_context as card

    return card(user=user, complaint=complaint, versions=versions)


def case_context(user: User, c: Complaint) -> dict[str, Any]:
    """The complaint's 8D at a glance, and the open cases it could join."""
    from closeloop.investigations import selectors as case_selectors
    from closeloop.investigations.workflow import Step

    out: dict[str, Any] = {"case": None, "case_progress": None, "open_cases": []}
    if c.investigation_id is not None and c.investigation is not None:
        out["case"] = c.investigation
        out["case_progress"] = case_selectors.step_summary(investigation=c.investigation)
    if c.status in ("triaged", "in_progress") and c.handling_path != "8d":
        # Each with its step's label, looked up once for all (the model's get_..._display rebuilds
        # the choices on every call).
        steps = {value: str(label) for value, label in Step.choices}
        cases = [
            (oc.number, oc.title, steps.get(oc.current_step, ""))
            for oc in case_selectors.investigation_open_choices(user=user)
        ]
        # Up to 50 cases, offered in two lists: written here at once rather than by the template
        # engine option by option (a few milliseconds of a triaged complaint's page).
        out["open_cases"] = cases
        out["open_case_options"] = format_html_join(
            "", '<option value="{}">{} · {} ({})</option>', ((n, n, t, step) for n, t, step in cases)
        )
        out["open_case_options_short"] = format_html_join(
            "", '<option value="{}">{} · {}</option>', ((n, n, t) for n, t, _step in cases)
        )
    out["can_choose_reopen_step"] = user.has_perm("investigations.approve_step")
    return out


def actions_context(actions: list[Action], *, triage_form: TriageForm | None) -> dict[str, Any]:
    """``actions``: the complaint's actions in due-date order, each with its owner. The new action's
    owners are the triage form's, when the page shows it: the same people, read once for both."""
    today = clock.today()
    owners = active_users() if triage_form is None else triage_form.fields["owner"].queryset  # type: ignore[attr-defined]
    return {
        "actions": actions,
        "overdue_actions": [a for a in actions if a.is_overdue(today)],
        "action_kinds": ActionKind.choices,
        # Called by the template only where it shows the new-action form (a closed complaint's page
        # reads no users); written at once rather than option by option.
        "action_owner_options": lambda: format_html_join(
            "", '<option value="{}">{}</option>', ((u.pk, u) for u in owners)
        ),
    }
