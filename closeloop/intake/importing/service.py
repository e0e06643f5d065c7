"""Import jobs: create (check permission, validate the upload by content, queue after commit) and run
(row by row, each row all-or-nothing, with a (row, column, reason) report and progress counters)."""

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
from closeloop.core import clock
from closeloop.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from closeloop.intake.importing import complaints, masterdata
from closeloop.intake.importing.columns import COLUMNS, Column, header_label, header_map
from closeloop.intake.importing.readers import read_rows, sniff_format
from closeloop.intake.models import ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY = 50  # rows between progress writes: one UPDATE per 50 rows is invisible in the run time
PERMISSION: dict[str, str] = {ImportKind.COMPLAINTS: "complaints.import_complaints"}
MASTERDATA_PERMISSION = "customers.import_masterdata"

RowHandler = Callable[..., bool]
HANDLERS: dict[str, RowHandler] = {
    ImportKind.COMPLAINTS: complaints.complaint_row,
    ImportKind.CUSTOMERS: masterdata.customer_row,
    ImportKind.CONTACTS: masterdata.contact_row,
    ImportKind.PRODUCTS: masterdata.product_row,
    ImportKind.ORDERS: masterdata.order_row,
}
FIELD_TO_COLUMN: dict[str, dict[str, str]] = {
    ImportKind.COMPLAINTS: complaints.FIELD_TO_COLUMN,
    ImportKind.CUSTOMERS: masterdata.FIELD_TO_COLUMN,
    ImportKind.CONTACTS: masterdata.FIELD_TO_COLUMN,
    ImportKind.PRODUCTS: masterdata.FIELD_TO_COLUMN,
    ImportKind.ORDERS: masterdata.FIELD_TO_COLUMN,
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
    headers, _rows = read_rows(data, fmt)
    # Refused here already, so the user learns it at once rather than from a failed job.
    missing = _missing(kind, headers)
    if missing:
        raise ValidationFailed(fields={"file": [_missing_headers_message(missing)]})
    with transaction.atomic():
        job = ImportJob(kind=kind, original_name=name[:200], file_format=fmt, created_by=user)
        job.file.save(f"import.{fmt}", ContentFile(data), save=False)
        job.save()
        if queue:
            from closeloop.intake.tasks import import_job_run_task

            job_id = job.pk
            transaction.on_commit(lambda: import_job_run_task.delay(job_id))
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Process every row of a queued job in the uploader's language and time zone.

    Each row runs in its own transaction: a bad row is reported as (Excel row number, the header the
    user wrote, the translated reason) and saves nothing; good rows are saved. A file that can no
    longer be read, or lacks required headers, ends the job as failed with a clear message.
    Idempotent: a job that is not queued is returned untouched (the broker delivers at least once).
    Locks the job row only to claim it.
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
        if job.status != ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
    user = job.created_by
    tz = zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    with translation.override(user.language or None), timezone.override(tz):
        try:
            _run(job, user)
        except ValidationFailed as exc:
            _fail(job, "; ".join(str(m) for msgs in exc.fields.values() for m in msgs) or str(exc.message))
        except Exception:
            # The job must end visibly; the details go to the log, not to the user's screen.
            logger.exception("import job %s failed", job.pk)
            _fail(job, _("An unexpected error stopped the import; the administrator has the details."))
    return job


def _fail(job: ImportJob, reason: str) -> None:
    job.status = ImportStatus.FAILED
    job.failure = reason[:2000]
    job.finished_at = clock.now()
    job.save()


def _run(job: ImportJob, user: User) -> None:
    with job.file.open("rb") as fh:
        data = fh.read()
    headers, rows = read_rows(data, job.file_format)
    missing = _missing(job.kind, headers)
    if missing:
        raise ValidationFailed(fields={"file": [_missing_headers_message(missing)]})
    mapping, unknown = header_map(job.kind, headers)
    report: list[dict[str, Any]] = [
        {"row": 1, "column": h, "reason": _("Unknown or repeated column; it was ignored.")} for h in unknown
    ]
    rows_list = list(rows)
    job.total_rows = len(rows_list)
    job.save(update_fields=["total_rows"])
    handler = HANDLERS[job.kind]
    to_column = FIELD_TO_COLUMN[job.kind]
    created = updated = errors = 0
    for i, (row_no, raw) in enumerate(rows_list, start=1):
        row = {key: raw.get(header, "") for key, header in mapping.items()}
        try:
            with transaction.atomic():
                was_created = handler(row, actor=user, source={"import_job": job.pk, "row": row_no})
        except ApplicationError as exc:
            errors += 1
            if not exc.fields:
                report.append({"row": row_no, "column": "", "reason": str(exc.message)})
            for field, msgs in exc.fields.items():
                key = to_column.get(field, field)
                column = mapping.get(key) or _column_label(job.kind, key)
                for m in msgs:
                    report.append({"row": row_no, "column": column, "reason": str(m)})
        except DatabaseError:
            # A value the database refuses (e.g. longer than a column allows) that no rule caught:
            # the row's transaction is rolled back and the import goes on.
            logger.exception("import job %s: row %s refused by the database", job.pk, row_no)
            errors += 1
            report.append(
                {"row": row_no, "column": "", "reason": _("The row could not be saved; check its values.")}
            )
        else:
            created += 1 if was_created else 0
            updated += 0 if was_created else 1
        if i % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=i, created_count=created, updated_count=updated, error_count=errors
            )
    job.processed_rows = len(rows_list)
    job.created_count, job.updated_count, job.error_count = created, updated, errors
    job.report = report
    job.status = ImportStatus.DONE
    job.finished_at = clock.now()
    job.save()


def _column_label(kind: str, key: str) -> str:
    for c in COLUMNS[kind]:
        if c.key == key:
            return header_label(c)
    return key
