"""/api/v1/exports/*.xlsx (the ledgers, streamed) and /api/v1/reports/analysis.pdf (the monthly
complaint analysis). Thin: the reports app's services and selectors do the work."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Router

from closeloop.accounts.models import User
from closeloop.api.schemas import ErrorOut
from closeloop.core.errors import PermissionDenied
from closeloop.reports import exports
from closeloop.reports.analysis_data import analysis_params_parse, monthly_analysis
from closeloop.reports.models import ExportKind

router = Router(tags=["exports"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
FILTERS_DOC = (
    "Filters are those of `GET /complaints`, with the same names: `status`, `severity` (repeatable), "
    "`customer` (code), `category` (code, with its subcategories), `owner` (username or `none`), "
    "`received_from` / `received_to` (YYYY-MM-DD), `q`, `view` (mine, unassigned, overdue) and `sort`. "
    "Only the complaints the caller may see are exported. An unknown value is refused with 422 naming the "
    "parameter (the list ignores it; an export must not pretend it applied it). The file is written while "
    "the request runs (about 2,000 rows a second); for very large ledgers prefer the staff page's export "
    "job, which runs in the background."
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _xlsx(request: HttpRequest, kind: str) -> FileResponse:
    fh, name = exports.ledger_export(user=_user(request), kind=kind, params=request.GET)
    response = FileResponse(fh, content_type=exports.XLSX_TYPE, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/exports/ledger.xlsx",
    response={200: None, **ERRORS},
    summary="The complaint ledger (客诉台账) as XLSX",
    description=f"One row per complaint: its key fields, each deadline's due time, when and how it was met, "
    f"the closing date, the satisfaction score and the reopen count. {FILTERS_DOC}",
)
def ledger_xlsx(request: HttpRequest) -> FileResponse:
    return _xlsx(request, ExportKind.LEDGER)


@router.get(
    "/exports/customer-status.xlsx",
    response={200: None, **ERRORS},
    summary="One customer's complaint status (客户投诉处理状况表) as XLSX",
    description=f"`customer` is required. In progress first, with where each stands. {FILTERS_DOC}",
)
def customer_status_xlsx(request: HttpRequest) -> FileResponse:
    return _xlsx(request, ExportKind.CUSTOMER_STATUS)


@router.get(
    "/exports/preventive.xlsx",
    response={200: None, **ERRORS},
    summary="The preventive-action report (客户投诉预防措施报告表) as XLSX",
    description=f"Preventive and horizontal-deployment actions, D7 document changes, and whether and when "
    f"the customer was told. {FILTERS_DOC}",
)
def preventive_xlsx(request: HttpRequest) -> FileResponse:
    return _xlsx(request, ExportKind.PREVENTIVE)


@router.get(
    "/reports/analysis.pdf",
    response={200: None, **ERRORS},
    summary="The monthly complaint analysis report (客户抱怨分析报告) as PDF",
)
def analysis(request: HttpRequest, month: str = "", customer: str = "") -> HttpResponse:
    """``month`` as YYYY-MM (required; not after the current month), ``customer`` (code, optional).
    Over the complaints the caller may see; in the caller's language and time zone."""
    user = _user(request)
    if not user.has_perm("complaints.view_complaint"):
        raise PermissionDenied()
    first, found = analysis_params_parse(user=user, month=month, customer=customer)
    # Imported here: drawn with ReportLab, which the URLconf would otherwise load into every process.
    from closeloop.reports.analysis import analysis_filename, analysis_pdf

    data = monthly_analysis(user=user, month=first, customer=found)
    response = HttpResponse(analysis_pdf(data, user=user), content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=analysis_filename(data)) or "attachment"
    )
    return response
