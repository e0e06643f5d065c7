"""The complaint page and its in-place actions (htmx): triage, invalid, duplicate, attachments.

Each POST view fetches the complaint through the user-scoped selector (404 when it is not visible),
parses a form, calls one service and re-renders the page body. Rules live in the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from closeloop.accounts.models import User
from closeloop.complaints import presentation, selectors, services
from closeloop.complaints.attachments import attachment_read
from closeloop.complaints.forms import DuplicateForm, InvalidForm, TriageForm
from closeloop.complaints.models import Attachment, Category, Complaint
from closeloop.complaints.page_context import page_context, triage_initial, triage_on_demand
from closeloop.complaints.workflow import Status, can_transition
from closeloop.core.errors import ApplicationError, Conflict, NotFound
from closeloop.core.views import request_user
from closeloop.customers.models import Site


def _complaint(request: HttpRequest, number: str) -> Complaint:
    try:
        return selectors.complaint_get_for_page(user=request_user(request), number=number)
    except NotFound as exc:
        raise Http404 from exc


def _respond(request: HttpRequest, c: Complaint, *, ok: bool, **forms: Any) -> HttpResponse:
    """htmx gets the page body swapped in place (200, so htmx swaps it even with errors);
    a plain form post gets a redirect on success or the full page with errors (422)."""
    if request.headers.get("HX-Request"):
        return render(request, "complaints/_detail_body.html", page_context(request, c, **forms))
    if ok:
        return redirect("complaints:detail", number=c.number)
    return render(request, "complaints/detail.html", page_context(request, c, **forms), status=422)


def _form_errors(form: Any, exc: ApplicationError) -> None:
    for field, msgs in exc.fields.items():
        for m in msgs:
            form.add_error(field if field in form.fields else None, str(m))
    if not exc.fields:
        form.add_error(None, str(exc.message))


class ComplaintDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        try:
            c = selectors.complaint_get_for_page(user=request_user(request), number=number, reading=True)
        except NotFound as exc:
            raise Http404 from exc
        return render(request, "complaints/detail.html", page_context(request, c))


class _ActionView(LoginRequiredMixin, View):
    permission = "complaints.triage_complaint"

    def check(self, request: HttpRequest) -> User:
        user = request_user(request)
        if not user.has_perm(self.permission):
            raise DjangoPermissionDenied
        return user


class ComplaintTriageView(_ActionView):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        """The triage form alone, filled with the complaint's current values, for the complaint page to
        swap in (htmx). A complaint past triage gets a notice in its place, so a stale page says why."""
        c = _complaint(request, number)
        self.check(request)
        if not can_transition(c.status, Status.TRIAGED):
            return render(request, "complaints/_triage_closed.html", {"complaint": c})
        form = TriageForm(initial=triage_initial(c), current_site=c.site)
        return render(
            request,
            "complaints/_triage_form.html",
            {"complaint": c, "triage_form": form, "triage_cancel": triage_on_demand(c)},
        )

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        user = self.check(request)
        form = TriageForm(request.POST, current_site=c.site)
        if not form.is_valid():
            return _respond(request, c, ok=False, triage_form=form)
        d = form.cleaned_data
        category = Category.objects.filter(code=d["category"], is_active=True).first()
        # A form without the field (an older page) keeps the site; an empty choice clears it.
        site = Site.objects.filter(code=d["site"]).first() if d["site"] else None
        reassign = d["owner"] != c.owner or d["department"] != c.department
        try:
            c = services.complaint_triage(
                complaint=c,
                actor=user,
                expected_version=d["version"],
                category=category,
                severity=d["severity"],
                urgency=d["urgency"],
                impact_scope=d["impact_scope"],
                safety_risk=d["safety_risk"],
                owner=d["owner"],
                department=d["department"],
                reassign=reassign,
                handling_path=d["handling_path"],
                site=site if "site" in request.POST else services.KEEP,
            )
        except Conflict:
            current = _complaint(request, number)
            data = request.POST.copy()
            data["version"] = str(current.version)  # a second save knowingly replaces the current values
            return _respond(
                request,
                current,
                ok=False,
                triage_form=TriageForm(data, current_site=current.site),
                conflict={
                    "current": presentation.changes_display(
                        [{"field": f, "new": v} for f, v in _conflict_values(current).items()]
                    )
                },
            )
        except ApplicationError as exc:  # permission (assigning to others), validation, transitions
            _form_errors(form, exc)
            return _respond(request, c, ok=False, triage_form=form)
        messages.success(request, _("Triage saved."))
        return _respond(request, c, ok=True)


def _conflict_values(c: Complaint) -> dict[str, Any]:
    return {
        "category": str(c.category) if c.category else None,
        "severity": c.severity,
        "urgency": c.urgency,
        "impact_scope": c.impact_scope,
        "safety_risk": c.safety_risk,
        "owner": str(c.owner) if c.owner else None,
        "department": str(c.department) if c.department else None,
        "site": str(c.site) if c.site else None,
    }


class ComplaintInvalidView(_ActionView):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        user = self.check(request)
        form = InvalidForm(request.POST)
        if not form.is_valid():
            return _respond(request, c, ok=False, invalid_form=form)
        try:
            c = services.complaint_mark_invalid(
                complaint=c,
                actor=user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
            return _respond(request, c, ok=False, invalid_form=form)
        messages.success(request, _("The complaint was marked invalid."))
        return _respond(request, c, ok=True)


class ComplaintDuplicateView(_ActionView):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        user = self.check(request)
        form = DuplicateForm(request.POST)
        if not form.is_valid():
            return _respond(request, c, ok=False, duplicate_form=form)
        original_number = form.cleaned_data["duplicate_of"].strip()
        try:
            if not original_number:
                raise ApplicationError(fields={"duplicate_of": [_("Give the original complaint's number.")]})
            try:
                original = selectors.complaint_get_for_user(user=user, number=original_number)
            except NotFound as exc:
                raise ApplicationError(
                    fields={
                        "duplicate_of": [
                            _("No complaint has the number “%(number)s”.") % {"number": original_number}
                        ]
                    }
                ) from exc
            c = services.complaint_mark_duplicate(
                complaint=c, actor=user, original=original, expected_version=form.cleaned_data["version"]
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
            return _respond(request, c, ok=False, duplicate_form=form)
        messages.success(request, _("Linked as a duplicate of %(number)s.") % {"number": original_number})
        return _respond(request, c, ok=True)


class AttachmentAddView(_ActionView):
    permission = "complaints.add_attachment"

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        c = _complaint(request, number)
        user = self.check(request)
        files = request.FILES.getlist("attachments")
        if not files:
            return _respond(request, c, ok=False, attach_errors=[_("Choose one or more files.")])
        try:
            services.attachments_add(
                complaint=c, actor=user, files=[(f.name or "file", attachment_read(f)) for f in files]
            )
        except ApplicationError as exc:
            errs = [str(m) for msgs in exc.fields.values() for m in msgs] or [str(exc.message)]
            return _respond(request, c, ok=False, attach_errors=errs)
        messages.success(request, _("Attachments added."))
        return _respond(request, c, ok=True)


class AttachmentDownloadView(LoginRequiredMixin, View):
    """Serve an attachment only to users who may see its complaint; never sniffed by the browser."""

    def get(self, request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
        c = _complaint(request, number)
        att = Attachment.objects.filter(pk=attachment_id, complaint=c).first()
        if att is None:
            raise Http404
        inline = att.is_image or att.content_type == "application/pdf"
        response = FileResponse(
            att.file.open("rb"),
            content_type=att.content_type,
            as_attachment=not inline,
            filename=att.original_name,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
