"""GET /reports/audit-pack/<number>.zip: the complaint's audit evidence pack, for the quality team."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.utils import translation
from django.views import View

from closeloop.complaints.selectors import complaint_get_for_user
from closeloop.core.errors import NotFound
from closeloop.core.views import request_user
from closeloop.reports.pack import audit_pack_tempfile

# The quality team prepares what an auditor samples.
PACK_PERMISSION = "complaints.triage_complaint"


class AuditPackView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, number: str) -> FileResponse:
        user = request_user(request)
        try:
            c = complaint_get_for_user(user=user, number=number)
        except NotFound as exc:
            raise Http404 from exc
        if not user.has_perm(PACK_PERMISSION):
            raise PermissionDenied
        language = request.GET.get("lang") or translation.get_language() or "zh-hans"
        if language not in ("zh-hans", "en"):
            language = "zh-hans"
        tmp = audit_pack_tempfile(complaint=c, user=user, language=language)
        return FileResponse(
            tmp, as_attachment=True, filename=f"{c.number}-audit-pack.zip", content_type="application/zip"
        )
