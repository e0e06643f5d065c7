"""The monthly complaint analysis: a small form (month, optional customer) and the PDF download."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View

from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.core.views import request_user
from closeloop.reports.analysis_data import analysis_params_parse, monthly_analysis


def _form(
    request: HttpRequest, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    last_month = (timezone.localtime(clock.now()).date().replace(day=1) - dt.timedelta(days=1)).strftime(
        "%Y-%m"
    )
    return render(
        request,
        "reports/analysis.html",
        {
            "month": request.GET.get("month") or last_month,
            "customer": request.GET.get("customer", ""),
            "errors": errors or {},
        },
        status=status,
    )


class AnalysisView(LoginRequiredMixin, View):
    """The form; it GETs the PDF view, which comes back here with the errors beside their fields."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request_user(request).has_perm("complaints.view_complaint"):
            raise DjangoPermissionDenied
        return _form(request)


class AnalysisPdfView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        if not user.has_perm("complaints.view_complaint"):
            raise DjangoPermissionDenied
        try:
            month, customer = analysis_params_parse(
                user=user, month=request.GET.get("month", ""), customer=request.GET.get("customer", "")
            )
        except ValidationFailed as exc:
            return _form(request, {k: [str(m) for m in v] for k, v in exc.fields.items()}, status=422)
        # Imported here: the report is drawn with ReportLab, which the URLconf would otherwise load into every
        # process (the worker's too, through reverse()).
        from closeloop.reports.analysis import analysis_filename, analysis_pdf

        data = monthly_analysis(user=user, month=month, customer=customer)
        response = HttpResponse(analysis_pdf(data, user=user), content_type="application/pdf")
        response["Content-Disposition"] = _disposition(analysis_filename(data))
        return response


def _disposition(filename: str) -> str:
    return content_disposition_header(as_attachment=True, filename=filename) or "attachment"
