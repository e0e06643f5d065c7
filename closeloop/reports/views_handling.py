"""The handling report's staff actions, posted from the complaint page's card: thin wrappers around the
services; errors come back beside the card (as messages) and nothing typed is lost on a draft save."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from closeloop.complaints.selectors import complaint_get_for_user
from closeloop.core.errors import ApplicationError, NotFound, PermissionDenied
from closeloop.core.views import request_user
from closeloop.reports import handling as svc
from closeloop.reports.handling_pdf import handling_report_pdf
from closeloop.reports.handling_selectors import SECTION_LABELS, handling_report_get_for_user
from closeloop.reports.models import HandlingReport


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _report(request: HttpRequest, report_id: int) -> HandlingReport:
    r = handling_report_get_for_user(user=request_user(request), report_id=report_id)
    if r is None:
        raise Http404
    return r


def _run(request: HttpRequest, number: str, call: Callable[[], Any], success: str) -> HttpResponse:
    """Run one service; its field errors become messages naming the field, in the user's language."""
    try:
        call()
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc.message)) from exc
    except ApplicationError as exc:
        for field, errors in exc.fields.items():
            for e in errors:
                messages.error(request, f"{_field_label(field)}: {e}")
        if not exc.fields:
            messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect(f"/complaints/{number}/#handling-report")


def _field_label(field: str) -> str:
    labels = {
        **dict(SECTION_LABELS),
        "language": _("Language"),
        "note": _("Note"),
        "to_email": _("Send to"),
        "reason": _("Reason"),
        "score": _("Satisfaction (1–5)"),
        "reopen_step": _("Restart the 8D at"),
    }
    return str(labels.get(field, field))


class HandlingReportCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        try:
            c = complaint_get_for_user(user=request_user(request), number=number)
        except NotFound as exc:
            raise Http404 from exc
        return _run(
            request,
            number,
            lambda: svc.handling_report_create(
                complaint=c, actor=request_user(request), language=request.POST.get("language", "")
            ),
            _("A handling report was drafted from the record. Check it, then ask for approval."),
        )


class HandlingReportStepView(LoginRequiredMixin, View):
    """POST /reports/handling/<id>/<step>/: save, submit, approve, return, send, answer."""

    def post(self, request: HttpRequest, report_id: int, step: str) -> HttpResponse:
        r = _report(request, report_id)
        user = request_user(request)
        p = request.POST
        number = r.complaint.number
        sections = {k: p.get(k, "") for k in svc.SECTIONS}
        calls: dict[str, tuple[Callable[[], Any], str]] = {
            "save": (
                lambda: svc.handling_report_save(
                    report=r,
                    actor=user,
                    expected_version=_int(p.get("edit_version")),
                    language=p.get("language", ""),
                    **sections,
                ),
                _("Draft saved."),
            ),
            "submit": (
                lambda: self._save_and_submit(r, user, p, sections),
                _("Sent to the sales manager for approval."),
            ),
            "approve": (
                lambda: svc.handling_report_approve(report=r, actor=user, note=p.get("note", "")),
                _("Approved."),
            ),
            "return": (
                lambda: svc.handling_report_return(report=r, actor=user, note=p.get("note", "")),
                _("Sent back."),
            ),
            "send": (lambda: self._send(r, user, p), _("The report is on its way to the customer.")),
            "answer": (
                lambda: svc.handling_report_answer(
                    report=r,
                    actor=user,
                    accepted=p.get("accepted") == "yes",
                    reason=p.get("reason", ""),
                    score=_int(p.get("score")),
                    reopen_step=_int(p.get("reopen_step")),
                ),
                _("The customer's answer was recorded."),
            ),
        }
        if step not in calls:
            raise Http404
        call, success = calls[step]
        return _run(request, number, call, success)

    @staticmethod
    def _save_and_submit(r: HandlingReport, user: Any, p: Any, sections: dict[str, str]) -> HandlingReport:
        from django.db import transaction

        with transaction.atomic():  # both or neither: a refused submit keeps the earlier text
            saved = svc.handling_report_save(
                report=r,
                actor=user,
                expected_version=_int(p.get("edit_version")),
                language=p.get("language", ""),
                **sections,
            )
            return svc.handling_report_submit(report=saved, actor=user)

    @staticmethod
    def _send(r: HandlingReport, user: Any, p: Any) -> HandlingReport:
        """To a contact of the customer (looked up here, so people who see masked emails can send) or to
        an address typed in."""
        contact_id = _int(p.get("contact"))
        email, name = (p.get("email") or "").strip(), ""
        if contact_id is not None:
            contact = r.complaint.customer.contacts.filter(pk=contact_id).first()
            if contact is not None:
                email, name = contact.email, contact.name
        return svc.handling_report_send(report=r, actor=user, to_email=email, to_name=name)


class HandlingReportPdfView(LoginRequiredMixin, View):
    """GET /reports/handling/<id>.pdf: that version as the customer sees it."""

    def get(self, request: HttpRequest, report_id: int) -> HttpResponse:
        r = _report(request, report_id)
        response = HttpResponse(handling_report_pdf(r), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{r.complaint.number}-v{r.version}.pdf"'
        return response
