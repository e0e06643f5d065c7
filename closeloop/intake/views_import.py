"""Bulk import pages: upload, progress (htmx polling), per-row report, templates."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from closeloop.core import clock
from closeloop.core.errors import PermissionDenied, ValidationFailed
from closeloop.core.views import request_user
from closeloop.intake.importing import lease, service, workbooks
from closeloop.intake.models import ImportJob, ImportKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_ROWS_SHOWN = 500  # the page shows the first ones; the downloaded report has them all


def _kinds(request: HttpRequest) -> list[tuple[str, str]]:
    user = request_user(request)
    return [(k, str(label)) for k, label in ImportKind.choices if user.has_perm(service.import_permission(k))]


class ComplaintImportView(LoginRequiredMixin, View):
    """Upload form (kinds limited to the user's import permissions), templates, and my recent jobs."""

    def _render(
        self,
        request: HttpRequest,
        errors: dict[str, list[str]] | None = None,
        kind: str = "complaints",
        status: int = 200,
    ) -> HttpResponse:
        kinds = _kinds(request)
        if not kinds:
            raise DjangoPermissionDenied
        jobs = ImportJob.objects.filter(created_by=request_user(request))[:10]
        return render(
            request,
            "intake/import.html",
            {"kinds": kinds, "jobs": jobs, "errors": errors or {}, "kind": kind},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, kind=request.GET.get("kind", "complaints"))

    def post(self, request: HttpRequest) -> HttpResponse:
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        try:
            job = service.import_job_create(
                user=request_user(request),
                kind=kind,
                name=(upload.name or "") if upload else "",
                data=upload.read(service.MAX_IMPORT_BYTES + 1) if upload else b"",
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ValidationFailed as exc:
            return self._render(
                request, {k: [str(m) for m in v] for k, v in exc.fields.items()}, kind, status=422
            )
        return redirect("intake:import_job", job_id=job.pk)


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, created_by=request_user(request)).first()
    if job is None:
        raise Http404
    return job


class ImportJobView(LoginRequiredMixin, View):
    """The job page; htmx polls the progress partial every second until the job has finished."""

    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = _job(request, job_id)
        template = (
            "intake/_import_progress.html" if request.headers.get("HX-Request") else "intake/import_job.html"
        )
        quiet = lease.job_quiet(job, clock.now())
        return render(
            request,
            template,
            {
                "job": job,
                "quiet_since": quiet[0] if quiet else None,
                "resume_by": quiet[1] if quiet else None,
                "report_rows": job.report[:REPORT_ROWS_SHOWN],
                "report_more": max(len(job.report) - REPORT_ROWS_SHOWN, 0),
            },
        )


class ImportReportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = _job(request, job_id)
        response = HttpResponse(workbooks.report_xlsx(job), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.xlsx"'
        return response


class ImportTemplateView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
        if kind not in dict(_kinds(request)) or fmt not in ("xlsx", "csv"):
            raise Http404
        if fmt == "xlsx":
            response = HttpResponse(workbooks.template_xlsx(kind), content_type=XLSX)
        else:
            response = HttpResponse(workbooks.template_csv(kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="closeloop-{kind}-template.{fmt}"'
        return response
