"""Import jobs: create (check permission, validate the upload by content, queue after commit) and run
(each row all-or-nothing, with a (row, column, reason) report and progress counters).

Master data is upserted row by row. Complaints are read in batches (``importing.batches``, ``intake.bulk``):
every row is validated as ``complaint_intake`` would validate it, then the batch's valid rows are created
together in one transaction, with the same result as one ``complaint_intake`` per row; on PostgreSQL a
worker thread writes each batch while the next one is validated."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.core import clock, heap
from closeloop.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from closeloop.intake.importing import masterdata
from closeloop.intake.importing.batches import complaints_give_up, complaints_run
from closeloop.intake.importing.columns import COLUMNS, Column, header_label, header_map
from closeloop.intake.importing.lease import (
    MAX_ATTEMPTS,
    Claim,
    ImportTakenOver,
    job_claim,
    job_held,
    job_hold,
)
from closeloop.intake.importing.readers import Sheet, read_sheet, sniff_format
from closeloop.intake.importing.report import progress_save, report_error, row_refused
from closeloop.intake.models import ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY = 50  # rows between progress writes: one UPDATE per 50 rows is invisible in the run time
PERMISSION: dict[str, str] = {ImportKind.COMPLAINTS: "complaints.import_complaints"}
MASTERDATA_PERMISSION = "customers.import_masterdata"

RowHandler = Callable[..., bool]
# Master data, row by row; complaints go through batches.complaints_run.
HANDLERS: dict[str, RowHandler] = {
    ImportKind.CUSTOMERS: masterdata.customer_row,
    ImportKind.CONTACTS: masterdata.contact_row,
    ImportKind.PRODUCTS: masterdata.product_row,
    ImportKind.ORDERS: masterdata.order_row,
}


def import_permission(kind: str) -> str:
    return PERMISSION.get(kind, MASTERDATA_PERMISSION)


def _missing_headers_message(missing: list[Column]) -> str:
    return _("The first row must hold the column headers; missing: %(columns)s. Download the template.") % {
        "columns": ", ".join(header_label(c) for c in missing)
    }


def _missing(kind: str, headers: list[str]) -> list[Column]:
    mapping, _unknown = header_map(kind, headers)
    return [c for c in COLUMNS[kind] if c.required and c.key not in mapping]


def import_job_create(*, user: User, kind: str, name: str, data: bytes, queue: bool = True) -> ImportJob:
    """Check permission, kind and content, store the file under MEDIA_ROOT/imports/ and, with ``queue``,
    run it in the worker after commit.

    Raises PermissionDenied, or ValidationFailed naming ``kind`` or ``file`` (not a spreadsheet,
    unreadable, too large, required headers missing). Nothing is stored on error.
    """
    if kind not in ImportKind.values:
        raise ValidationFailed(fields={"kind": [_("Choose what to import.")]})
    if not user.has_perm(import_permission(kind)):
        raise PermissionDenied()
    if not data:
        raise ValidationFailed(fields={"file": [_("Choose a file.")]})
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(fields={"file": [_("The file is larger than 50 MB; split it.")]})
    fmt = sniff_format(data)
    # Refused here already, so the user learns it at once rather than from a failed job.
    missing = _missing(kind, read_sheet(data, fmt).headers)
    if missing:
        raise ValidationFailed(fields={"file": [_missing_headers_message(missing)]})
    with transaction.atomic():
        job = ImportJob(
            kind=kind, original_name=name[:200], file_format=fmt, created_by=user, heartbeat_at=clock.now()
        )
        job.file.save(f"import.{fmt}", ContentFile(data), save=False)
        job.save()
        if queue:
            from closeloop.intake.tasks import import_job_run_task

            job_id = job.pk
            transaction.on_commit(lambda: import_job_run_task.delay(job_id))
    return job


def import_job_run(*, job_id: int, resume: int | None = None) -> ImportJob:
    """Process every row of a queued job (or, with ``resume``, go on with a job whose run ``resume``
    stopped: see ``importing.lease``) in the uploader's language and time zone.

    Each row is all-or-nothing: a bad row is reported as (Excel row number, the header the user wrote,
    the translated reason) and saves nothing; good rows are saved. A resumed run skips the complaint
    rows saved before and reports the file's bad rows again, so the job ends as one run would have
    ended it. A file that can no longer be read, or lacks required headers, ends the job as failed with
    a clear message. Idempotent: a job this call may not claim is returned untouched (the broker
    delivers at least once). Locks the job row only to claim it and while writing.
    """
    job, claim = job_claim(job_id, resume=resume)
    if claim is None:
        return job
    user = job.created_by
    tz = zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    with translation.override(user.language or None), timezone.override(tz), heap.frozen():
        if claim is Claim.GIVE_UP:
            _give_up(job, user)
            return job
        if job.attempt > 1:
            logger.warning("import job %s: its worker stopped; resuming it as run %s", job.pk, job.attempt)
        try:
            _run(job, user)
        except ImportTakenOver:
            logger.warning("import job %s: run %s was taken over by a later run", job.pk, job.attempt)
        except ValidationFailed as exc:
            _fail(job, "; ".join(str(m) for msgs in exc.fields.values() for m in msgs) or str(exc.message))
        except Exception:
            # The job must end visibly; the details go to the log, not to the user's screen.
            logger.exception("import job %s failed", job.pk)
            _fail(job, _("An unexpected error stopped the import; the administrator has the details."))
    job.refresh_from_db()
    return job


def _fail(job: ImportJob, reason: str) -> None:
    """End the job as failed, if this run still owns it."""
    job_held(job, status=ImportStatus.FAILED, failure=reason[:2000], finished_at=clock.now())


def _give_up(job: ImportJob, user: User) -> None:
    """Fail a job whose worker stopped in each of its ``MAX_ATTEMPTS`` runs, keeping what they saved
    (and sending the digest of the complaints saved, if not sent yet)."""
    logger.error("import job %s: its worker stopped in each of %s runs; giving up", job.pk, job.attempt)
    reason = _(
        "The background worker stopped during each of %(n)s runs of this import (restarted, or out of "
        "memory), so it was not tried again. What those runs saved is kept."
    ) % {"n": MAX_ATTEMPTS}
    if job.kind == ImportKind.COMPLAINTS:
        then = complaints_give_up(job, user)
    else:
        then = _("Import the file again: rows already saved are updated with the same values.")
    # Two sentences: a space between them in English, none in Chinese.
    _fail(job, _("%(first)s %(second)s") % {"first": reason, "second": then})


def _run(job: ImportJob, user: User) -> None:
    # Opened from storage each time the rows are read (counted, then imported), not held in memory: a
    # 100,000-row CSV is 25 MB of bytes the worker would otherwise keep for the whole job.
    name, storage = str(job.file.name), job.file.storage
    sheet = read_sheet(
        lambda: storage.open(name, "rb"),
        job.file_format,
        max_rows=int(settings.CLOSELOOP["IMPORT_MAX_ROWS"]),
    )
    missing = _missing(job.kind, sheet.headers)
    if missing:
        raise ValidationFailed(fields={"file": [_missing_headers_message(missing)]})
    mapping, unknown = header_map(job.kind, sheet.headers)
    report: list[dict[str, Any]] = [
        {"row": 1, "column": h, "reason": _("Unknown or repeated column; it was ignored.")} for h in unknown
    ]
    job.total_rows = sheet.count()
    job_hold(job, total_rows=job.total_rows)
    if job.kind == ImportKind.COMPLAINTS:
        counts = complaints_run(job, user, sheet, mapping, report)
    else:
        counts = _rows_run(job, user, sheet, mapping, report)
    job_hold(
        job,
        processed_rows=job.total_rows,
        created_count=counts[0],
        updated_count=counts[1],
        error_count=counts[2],
        report=report,
        status=ImportStatus.DONE,
        finished_at=clock.now(),
    )


def _rows_run(
    job: ImportJob, user: User, sheet: Sheet, mapping: dict[str, str], report: list[dict[str, Any]]
) -> tuple[int, int, int]:
    """Master data: each row in its own transaction. Returns (created, updated, errors)."""
    handler = HANDLERS[job.kind]
    created = updated = errors = 0
    for i, (row_no, raw) in enumerate(sheet.rows(), start=1):
        row = {key: raw.get(header, "") for key, header in mapping.items()}
        try:
            with transaction.atomic():
                was_created = handler(row, actor=user, source={"import_job": job.pk, "row": row_no})
        except ApplicationError as exc:
            errors += 1
            report_error(report, job.kind, mapping, row_no, exc)
        except DatabaseError:
            errors += 1
            report.append(row_refused(job, row_no))
        else:
            created += 1 if was_created else 0
            updated += 0 if was_created else 1
        if i % PROGRESS_EVERY == 0:
            progress_save(job, i, created, updated, errors)
    return created, updated, errors
