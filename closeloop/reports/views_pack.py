"""POST /reports/audit-pack/<number>/: start the complaint's audit evidence pack (quality team); the
export job's page shows its progress and offers the ZIP."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.views import View

from closeloop.complaints.selectors import complaint_get_for_user
from closeloop.core.errors import NotFound, PermissionDenied
from closeloop.core.views import request_user
from closeloop.reports.pack_jobs import LANGUAGES, audit_pack_job_create


class AuditPackView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        user = request_user(request)
        try:
            c = complaint_get_for_user(user=user, number=number)
        except NotFound as exc:
            raise Http404 from exc
        language = request.POST.get("language") or translation.get_language() or "zh-hans"
        try:
            job = audit_pack_job_create(
                user=user, complaint=c, language=language if language in LANGUAGES else "zh-hans"
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc
        return redirect("reports:export_job", job_id=job.pk)
