"""Exports of the ledgers: background jobs (create, run, fetch for their creator) and the in-request
write used by the API.

Small exports run at once: a job of at most ``INLINE_MAX_ROWS`` complaints is written inside the
request that creates it (a second or two), so the user does not wait for the worker to pick it up;
larger ones are queued to the worker after commit and their progress is polled. Either way the file is
stored under MEDIA_ROOT/exports/ and only its creator can download it, through a view (MEDIA is never
served directly).
"""

from __future__ import annotations

import logging
import tempfile
import zoneinfo
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.core import clock, leases
from closeloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from closeloop.reports.export_leases import export_file_keep, given_up_reason
from closeloop.reports.ledgers import LEDGERS
from closeloop.reports.ledgers.common import Progress, no_progress, title_line
from closeloop.reports.ledgers.filters import ListFilters, filters_params, ledger_filters_parse, ledger_qs
from closeloop.reports.ledgers.xlsx import xlsx_write
from closeloop.reports.models import ExportJob, ExportKind, ExportStatus

logger = logging.getLogger(__name__)

INLINE_MAX_ROWS = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _check(user: User, kind: str) -> None:
    if kind not in LEDGERS:
        raise ValidationFailed(fields={"kind": [_("Choose what to export.")]})
    if not user.has_perm("complaints.view_complaint"):
        raise PermissionDenied()


def ledger_write(
    *, user: User, kind: str, f: ListFilters, target: str | IO[bytes], progress: Progress = no_progress
) -> int:
    """Write the ledger ``kind`` for ``user`` (scoped) and filters ``f`` to ``target`` in the active
    language and time zone; return the number of rows. Streams: memory does not grow with the rows."""
    spec = LEDGERS[kind]
    return xlsx_write(
        target,
        sheet_title=spec.title(),
        title=title_line(spec.title(), spec.describe(user=user, f=f)),
        columns=spec.columns(),
        rows=spec.rows(user=user, f=f, progress=progress),
    )


def ledger_filename(kind: str) -> str:
    """The download's name in the active language, e.g. ``complaint-ledger-20261122-1405.xlsx``."""
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    return f"{LEDGERS[kind].file_stem()}-{stamp}.xlsx"


def ledger_export(*, user: User, kind: str, params: Mapping[str, Any] | QueryDict) -> tuple[IO[bytes], str]:
    """The ledger written now to a temporary file (rewound; deleted when closed) and its file name.

    Raises PermissionDenied, or ValidationFailed naming the bad filter (see ``ledger_filters_parse``).
    """
    _check(user, kind)
    f = ledger_filters_parse(user=user, kind=kind, params=params)
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 — handed to the response, which closes it
    try:
        ledger_write(user=user, kind=kind, f=f, target=fh)
    except BaseException:
        fh.close()
        raise
    fh.seek(0)
    return fh, ledger_filename(kind)


def export_job_create(
    *, user: User, kind: str, params: Mapping[str, Any] | QueryDict, inline_max_rows: int = INLINE_MAX_ROWS
) -> ExportJob:
    """Validate ``kind`` and the filters exactly as the list reads them, record the job, and run it:
    here and now when it covers at most ``inline_max_rows`` complaints, else in the worker after commit.

    Raises PermissionDenied (no right to read complaints) or ValidationFailed naming ``kind`` or the
    bad filter; nothing is recorded then.
    """
    _check(user, kind)
    f = ledger_filters_parse(user=user, kind=kind, params=params)
    small = ledger_qs(user=user, f=f).order_by()[: inline_max_rows + 1].count() <= inline_max_rows
    with transaction.atomic():
        now = clock.now()
        job = ExportJob.objects.create(
            kind=kind, params=filters_params(f), created_by=user, created_at=now, heartbeat_at=now
        )
        if not small:
            from closeloop.reports.tasks import export_job_run as export_job_run_task

            job_id = job.pk
            transaction.on_commit(lambda: export_job_run_task.delay(job_id))
    if small:
        job = export_job_run(job_id=job.pk)
    return job


def export_job_run(*, job_id: int, resume: int | None = None) -> ExportJob:
    """Write a queued job's file (or, with ``resume``, write it again for a job whose run ``resume``
    stopped: see ``core.leases``) in its creator's language and time zone, with their scope as it is
    now (a right lost since the job was queued is not kept), updating ``processed_rows`` after each
    chunk of complaints.

    Idempotent: a job this call may not claim is returned untouched (the broker delivers at least
    once). Locks the job row only to claim it. Any failure ends the job as failed with a message for
    people; the details go to the log.
    """
    job, verdict = leases.claim(ExportJob.objects.all(), job_id, resume=resume)
    if verdict is None:
        return job
    user = User.objects.get(pk=job.created_by_id)
    try:
        tz = zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with translation.override(user.language or None), timezone.override(tz):
        if verdict is leases.Claim.GIVE_UP:
            _fail(job, given_up_reason())
        else:
            try:
                _run(job, user)
            except leases.TakenOver:
                logger.warning("export job %s: run %s was taken over by a later run", job.pk, job.attempt)
            except ValidationFailed as exc:
                _fail(job, "; ".join(f"{k}: {m}" for k, msgs in exc.fields.items() for m in msgs))
            except Exception:
                logger.exception("export job %s failed", job.pk)
                _fail(job, _("An unexpected error stopped the export; the administrator has the details."))
    job.refresh_from_db()
    return job


def _run(job: ExportJob, user: User) -> None:
    _check(user, job.kind)
    f = ledger_filters_parse(user=user, kind=job.kind, params=job.params)
    spec = LEDGERS[job.kind]
    job.total_rows = spec.count(user=user, f=f)
    leases.hold(job, total_rows=job.total_rows)

    def progress(done: int) -> None:
        leases.hold(job, processed_rows=done)

    with tempfile.TemporaryFile(suffix=".xlsx") as fh:
        ledger_write(user=user, kind=job.kind, f=f, target=fh, progress=progress)
        fh.seek(0)
        job.file.save(f"{job.kind}-{job.pk}.xlsx", File(fh), save=False)
    export_file_keep(job, processed_rows=job.total_rows)


def _fail(job: ExportJob, reason: str) -> None:
    """End the job as failed, if this run still owns it."""
    leases.held(job, status=ExportStatus.FAILED, failure=reason[:2000], finished_at=clock.now())


def export_job_get_for_user(*, user: User, job_id: int) -> ExportJob:
    """The job if ``user`` created it; NotFound otherwise (another person's job does not exist for you)."""
    job = ExportJob.objects.filter(pk=job_id, created_by=user).first()
    if job is None:
        raise NotFound()
    return job


def export_download_name(job: ExportJob) -> str:
    """The name a finished job's file is downloaded under, in the active language."""
    stamp = timezone.localtime(job.finished_at or job.created_at).strftime("%Y%m%d-%H%M")
    if job.kind == ExportKind.AUDIT_PACK:
        return f"{job.params.get('complaint', '')}-audit-pack-{stamp}.zip"
    return f"{LEDGERS[job.kind].file_stem()}-{stamp}.xlsx"


def export_content_type(job: ExportJob) -> str:
    return "application/zip" if job.kind == ExportKind.AUDIT_PACK else XLSX_TYPE


def export_kinds() -> list[tuple[str, str]]:
    """The ledger kinds a person may export from the list (the audit pack starts from a complaint)."""
    return [(k, str(label)) for k, label in ExportKind.choices if k != ExportKind.AUDIT_PACK]
