"""Staff pages for exports: start one from the complaint list (its filters carried over), follow its
progress (htmx polls the card), download the file (only its creator; streamed through this view)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from closeloop.core import clock, leases
from closeloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from closeloop.core.views import request_user
from closeloop.reports import exports
from closeloop.reports.models import ExportJob, ExportStatus


class ExportCreateView(LoginRequiredMixin, View):
    """POST ``kind`` and ``filters`` (the list's query string): start the export and go to its page. A
    bad filter goes back to the list with the message naming it."""

    def post(self, request: HttpRequest) -> HttpResponse:
        filters = request.POST.get("filters", "")[:2000]
        try:
            job = exports.export_job_create(
                user=request_user(request), kind=request.POST.get("kind", ""), params=QueryDict(filters)
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ValidationFailed as exc:
            for name, msgs in exc.fields.items():
                for m in msgs:
                    messages.error(request, f"{name}: {m}")
            return redirect(f"{reverse('complaints:list')}?{QueryDict(filters).urlencode()}")
        return redirect("reports:export_job", job_id=job.pk)


def _job(request: HttpRequest, job_id: int) -> ExportJob:
    try:
        return exports.export_job_get_for_user(user=request_user(request), job_id=job_id)
    except NotFound as exc:
        raise Http404 from exc


class ExportJobView(LoginRequiredMixin, View):
    """The job page; htmx polls the progress card every second until the job has finished."""

    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = _job(request, job_id)
        template = (
            "reports/_export_progress.html"
            if request.headers.get("HX-Request")
            else "reports/export_job.html"
        )
        recent = ExportJob.objects.filter(created_by=request_user(request)).exclude(pk=job.pk)[:5]
        keep_days = settings.CLOSELOOP["EXPORT_KEEP_DAYS"]
        quiet = leases.quiet(job, clock.now())
        context = {
            "job": job,
            "recent": recent,
            "keep_days": keep_days,
            "quiet_since": quiet[0] if quiet else None,
            "resume_by": quiet[1] if quiet else None,
        }
        return render(request, template, context)


class ExportDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, job_id: int) -> HttpResponseBase:
        job = _job(request, job_id)
        if job.status == ExportStatus.EXPIRED:
            return redirect("reports:export_job", job_id=job.pk)  # its page says to run it again
        if job.status != ExportStatus.DONE or not job.file:
            raise Http404
        response = FileResponse(
            job.file.open("rb"),
            content_type=exports.export_content_type(job),
            as_attachment=True,
            filename=exports.export_download_name(job),
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
