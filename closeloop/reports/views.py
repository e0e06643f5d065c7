"""Staff downloads of the 8D report: /reports/8d/<case number>.pdf and .docx, ``?lang=`` zh-hans, en
or bilingual (default: the page's language). Access is the case's: a case the user cannot see is 404."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import get_language
from django.views import View

from closeloop.core.errors import NotFound, ValidationFailed
from closeloop.core.views import request_user
from closeloop.investigations.selectors import investigation_get_for_user
from closeloop.reports.eightd.services import Format, content_disposition, eightd_download


class EightDReportDownloadView(LoginRequiredMixin, View):
    fmt = "pdf"

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        try:
            inv = investigation_get_for_user(user=request_user(request), number=number)
        except NotFound as exc:
            raise Http404 from exc
        lang = request.GET.get("lang") or (get_language() or "zh-hans").lower()
        fmt: Format = "docx" if self.fmt == "docx" else "pdf"
        try:
            doc = eightd_download(investigation=inv, fmt=fmt, language=lang)
        except ValidationFailed as exc:
            # A bad ?lang= or a customer template that cannot be filled in: say which, in plain text.
            message = " ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        response = HttpResponse(doc.content, content_type=doc.content_type)
        response["Content-Disposition"] = content_disposition(doc)
        response["X-Content-Type-Options"] = "nosniff"
        return response
