"""Handling a triaged complaint from its page: start (quick or full 8D, or joining an open 8D),
escalate a quick resolution to an 8D, resolve, record the customer's answer, and pause or resume the
deadlines' clocks while the complaint waits on the customer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import View

from closeloop.complaints import handling
from closeloop.complaints.forms import ResolveForm, VerdictForm
from closeloop.complaints.views import _complaint, _form_errors, _respond
from closeloop.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from closeloop.core.views import request_user
from closeloop.sla import services as sla


class ComplaintStartView(LoginRequiredMixin, View):
    """Start handling a triaged complaint: quick resolution, or a full 8D (a new case, or joining an
    open case that covers the same problem)."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        try:
            c = handling.complaint_start_handling(
                complaint=c,
                actor=request_user(request),
                path=request.POST.get("path") or None,
                investigation=_open_case(request, request.POST.get("investigation", "")),
                expected_version=_posted_version(request),
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _respond(request, c, ok=False, start_error=_error_text(exc))
        messages.success(request, _("Handling started."))
        return _respond(request, c, ok=True)


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _error_text(exc: ApplicationError) -> str:
    """Every message of a refusal, for a one-line alert beside the button that was pressed."""
    return " ".join([str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)])


def _open_case(request: HttpRequest, number: str) -> Any:
    """The open 8D ``number`` the user may see (None when none was chosen)."""
    if not number:
        return None
    from closeloop.investigations.selectors import investigation_get_for_user

    try:
        return investigation_get_for_user(user=request_user(request), number=number)
    except NotFound as exc:
        raise ValidationFailed(fields={"investigation": [_("Choose an open 8D.")]}) from exc


class ComplaintEscalateView(LoginRequiredMixin, View):
    """A quick resolution in progress is escalated to a full 8D."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        try:
            c = handling.complaint_escalate_to_8d(
                complaint=c,
                actor=request_user(request),
                investigation=_open_case(request, request.POST.get("investigation", "")),
                reason=request.POST.get("reason", ""),
                expected_version=_posted_version(request),
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _respond(request, c, ok=False, escalate_error=_error_text(exc))
        messages.success(request, _("Escalated to a full 8D."))
        return _respond(request, c, ok=True)


class ComplaintResolveView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        form = ResolveForm(request.POST)
        if not form.is_valid():
            return _respond(request, c, ok=False, resolve_form=form)
        try:
            c = handling.complaint_resolve(
                complaint=c,
                actor=request_user(request),
                resolution=form.cleaned_data["resolution"],
                expected_version=form.cleaned_data["version"],
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            _form_errors(form, exc)
            return _respond(request, c, ok=False, resolve_form=form)
        messages.success(request, _("Resolved; waiting for the customer's confirmation."))
        return _respond(request, c, ok=True)


class ComplaintVerdictView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        form = VerdictForm(request.POST)
        if not form.is_valid():
            return _respond(request, c, ok=False, verdict_form=form)
        d = form.cleaned_data
        try:
            c = handling.complaint_record_verdict(
                complaint=c,
                actor=request_user(request),
                satisfied=d["satisfied"],
                score=d["score"],
                comment=d["comment"],
                reopen_reason=d["reopen_reason"],
                reopen_step=d["reopen_step"],
                expected_version=d["version"],
            )
        except PermissionDenied as exc:
            if not handling.complaint_can_handle(user=request_user(request), complaint=c):
                raise DjangoPermissionDenied from exc
            # A handler who may not choose where the 8D restarts is told so beside the form.
            _form_errors(form, exc)
            return _respond(request, c, ok=False, verdict_form=form)
        except ApplicationError as exc:
            _form_errors(form, exc)
            return _respond(request, c, ok=False, verdict_form=form)
        messages.success(
            request,
            _("The complaint is closed.") if c.status == "closed" else _("The complaint was reopened."),
        )
        return _respond(request, c, ok=True)


class ComplaintClockPauseView(LoginRequiredMixin, View):
    """The complaint waits on the customer: its deadlines' clocks stop (reason and note posted)."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        try:
            sla.complaint_clock_pause(
                complaint=c,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                actor=request_user(request),
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _respond(request, c, ok=False, pause_error=_error_text(exc))
        messages.success(request, _("The deadlines are paused while the complaint waits on the customer."))
        return _respond(request, _complaint(request, number), ok=True)


class ComplaintClockResumeView(LoginRequiredMixin, View):
    """The customer answered: the clocks run again and the deadlines move later by the wait."""

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        try:
            sla.complaint_clock_resume(complaint=c, actor=request_user(request))
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ApplicationError as exc:
            return _respond(request, c, ok=False, pause_error=_error_text(exc))
        messages.success(request, _("The deadlines run again, moved later by the wait."))
        return _respond(request, _complaint(request, number), ok=True)
