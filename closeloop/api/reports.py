"""/api/v1/complaints/{number}/reports/8d.pdf and 8d.docx: the 8D report of a complaint's case.

Read access is the complaint's: a complaint the caller cannot see is 404, like the complaint API; a
complaint not handled on the full 8D path is 404 with a message saying so. ``?lang=zh-hans|en|bilingual``
(default: the caller's language setting); another value is 422 naming ``lang``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from closeloop.accounts.models import User
from closeloop.api.complaints import ERRORS
from closeloop.complaints import selectors
from closeloop.core.errors import NotFound
from closeloop.reports.eightd.services import Download, Format, content_disposition, eightd_download

router = Router(tags=["reports"])


def _download(request: HttpRequest, number: str, fmt: Format, lang: str | None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    complaint = selectors.complaint_get_for_user(user=user, number=number)
    if complaint.investigation is None:
        raise NotFound(_("This complaint has no 8D report: it is not handled on the full 8D path."))
    doc: Download = eightd_download(
        investigation=complaint.investigation, fmt=fmt, language=lang or user.language
    )
    response = HttpResponse(doc.content, content_type=doc.content_type)
    response["Content-Disposition"] = content_disposition(doc)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/complaints/{number}/reports/8d.pdf",
    response={200: None, **ERRORS},
    summary="Download the 8D report (PDF)",
)
def eightd_report_pdf(request: HttpRequest, number: str, lang: str | None = None) -> HttpResponse:
    """The case's 8D report, D0–D8, as PDF (``application/pdf``) in ``lang``: zh-hans, en or bilingual."""
    return _download(request, number, "pdf", lang)


@router.get(
    "/complaints/{number}/reports/8d.docx",
    response={200: None, **ERRORS},
    summary="Download the 8D report (Word)",
)
def eightd_report_docx(request: HttpRequest, number: str, lang: str | None = None) -> HttpResponse:
    """The case's 8D report as an editable Word document: the customer's own template when one is
    active for the complaint's customer, else the built-in layout. A template that cannot be filled
    in is 422 naming ``file``."""
    return _download(request, number, "docx", lang)
