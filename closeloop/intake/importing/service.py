"""Import jobs: create (check permission, validate the upload by content, queue after commit) and run
(each row all-or-nothing, with a (row, column, reason) report and progress counters).

Master data is upserted row by row. Complaints are read in batches of ``BATCH_ROWS`` (``intake.bulk``):
every row is validated as ``complaint_intake`` would validate it, then the batch's valid rows are created
together in one transaction, with the same result as one ``complaint_intake`` per row; on PostgreSQL a
worker thread writes each batch while the next one is validated."""

from __future__ import annotations

import itertools
import logging
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.complaints.search import Tokenizer
from closeloop.core import clock, heap
from closeloop.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from closeloop.customers.models import Contact
from closeloop.intake.bulk import IntakeBatch, complaint_intake_prepare
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.importing import complaints, masterdata
from closeloop.intake.importing.columns import COLUMNS, Column, header_label, header_map
from closeloop.intake.importing.readers import Sheet, read_sheet, sniff_format
from closeloop.intake.models import ImportJob, ImportKind, ImportStatus
from closeloop.intake.services import complaint_intake

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY = 50  # rows between progress writes: one UPDATE per 50 rows is invisible in the run time
# Complaint rows per batch: large enough that the per-batch reads and statements cost little per row,
# small enough to hold few objects and to keep the number sequence locked only briefly. Two batches are
# in flight (one validated while the other is written): at 1,000 rows they added 12 MB more to the
# worker's peak than at 500, for no measurable gain in speed.
BATCH_ROWS = 500
PERMISSION: dict[str, str] = {ImportKind.COMPLAINTS: "complaints.import_complaints"}
MASTERDATA_PERMISSION = "customers.import_masterdata"

RowHandler = Callable[..., bool]
# Master data, row by row; complaints go through _complaints_run.
HANDLERS: dict[str, RowHandler] = {
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
    # Refused here already, so the user learns it at once rather than from a failed job.
    missing = _missing(kind, read_sheet(data, fmt).headers)
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
    with translation.override(user.language or None), timezone.override(tz), heap.frozen():
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
    job.save(update_fields=["total_rows"])
    if job.kind == ImportKind.COMPLAINTS:
        counts = _complaints_run(job, user, sheet, mapping, report)
    else:
        counts = _rows_run(job, user, sheet, mapping, report)
    job.processed_rows = job.total_rows
    job.created_count, job.updated_count, job.error_count = counts
    job.report = report
    job.status = ImportStatus.DONE
    job.finished_at = clock.now()
    job.save()


def _report_error(
    report: list[dict[str, Any]], kind: str, mapping: dict[str, str], row_no: int, exc: ApplicationError
) -> None:
    """One line per message, on the column the user wrote for the field (or the template's header)."""
    if not exc.fields:
        report.append({"row": row_no, "column": "", "reason": str(exc.message)})
    to_column = FIELD_TO_COLUMN[kind]
    for field, msgs in exc.fields.items():
        key = to_column.get(field, field)
        column = mapping.get(key) or _column_label(kind, key)
        for m in msgs:
            report.append({"row": row_no, "column": column, "reason": str(m)})


def _refused(job: ImportJob, row_no: int) -> dict[str, Any]:
    # A value the database refuses (e.g. longer than a column allows) that no rule caught: the row's
    # transaction is rolled back and the import goes on.
    logger.exception("import job %s: row %s refused by the database", job.pk, row_no)
    return {"row": row_no, "column": "", "reason": _("The row could not be saved; check its values.")}


def _progress(job: ImportJob, processed: int, created: int, updated: int, errors: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=processed, created_count=created, updated_count=updated, error_count=errors
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
            _report_error(report, job.kind, mapping, row_no, exc)
        except DatabaseError:
            errors += 1
            report.append(_refused(job, row_no))
        else:
            created += 1 if was_created else 0
            updated += 0 if was_created else 1
        if i % PROGRESS_EVERY == 0:
            _progress(job, i, created, updated, errors)
    return created, updated, errors


def _batches(
    rows: Iterator[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


@dataclass
class _Batch:
    """Up to ``BATCH_ROWS`` complaint rows on their way: their drafts, and the report lines found so far."""

    rows: list[tuple[int, dict[str, Any]]]
    drafts: list[tuple[int, ComplaintDraft]]
    lines: dict[int, list[dict[str, Any]]]
    prepared: IntakeBatch | None = None


class _Writer:
    """Writes prepared batches one at a time, each in its own transaction. On PostgreSQL, outside any
    transaction, the writes run in one worker thread on a connection of its own, so the next batch is
    validated and built while the database stores this one (two cores: Python on one, PostgreSQL on the
    other). A write the database refuses gives its DatabaseError back (the batch was rolled back)."""

    def __init__(self) -> None:
        threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import") if threaded else None
        self._future: Future[list[Complaint | ApplicationError] | DatabaseError] | None = None
        self._done: list[Complaint | ApplicationError] | DatabaseError | None = None
        # The worker thread writes in the importer's language and time zone, as this thread would.
        self._language = translation.get_language()
        self._time_zone = timezone.get_current_timezone()

    @staticmethod
    def _write(prepared: IntakeBatch) -> list[Complaint | ApplicationError] | DatabaseError:
        try:
            with transaction.atomic():
                return prepared.write()
        except DatabaseError as exc:
            return exc

    def _write_in_thread(self, prepared: IntakeBatch) -> list[Complaint | ApplicationError] | DatabaseError:
        with translation.override(self._language), timezone.override(self._time_zone):
            return self._write(prepared)

    def submit(self, prepared: IntakeBatch) -> None:
        """Start writing ``prepared``; the previous write must have been collected with :meth:`result`."""
        if self._pool is None:
            self._done = self._write(prepared)
        else:
            self._future = self._pool.submit(self._write_in_thread, prepared)

    def result(self) -> list[Complaint | ApplicationError] | DatabaseError:
        """Wait for the write submitted last; raise what it raised other than a DatabaseError."""
        if self._future is not None:
            self._done, self._future = self._future.result(), None
        done, self._done = self._done, None
        assert done is not None
        return done

    def close(self) -> None:
        """Wait for a write still running and close the worker's connection."""
        if self._pool is not None:
            if self._future is not None:
                self._future.exception()
            # Resolved in the worker: ``connection`` is per thread.
            self._pool.submit(lambda: connection.close()).result()
            self._pool.shutdown()


def _complaints_run(
    job: ImportJob, user: User, sheet: Sheet, mapping: dict[str, str], report: list[dict[str, Any]]
) -> tuple[int, int, int]:
    """Complaints, ``BATCH_ROWS`` at a time: drafts from the rows, validated and built together, then
    written together while the next batch is validated (see :class:`_Writer`). When the database refuses
    a batch (a value no rule caught), its rows are run again one by one, each in its own transaction,
    so only the row at fault is reported and the others are saved. Returns (created, 0, errors)."""
    categories = complaints.CategoryNames()
    tz = timezone.get_current_timezone()
    tokenizer = Tokenizer()
    counts = [0, 0, 0]  # processed, created, errors

    def prepare(batch: _Batch, pending: Sequence[Contact]) -> None:
        batch.prepared = complaint_intake_prepare(
            drafts=[draft for _row_no, draft in batch.drafts],
            actor=user,
            tokenizer=tokenizer,
            pending_contacts=pending,
        )

    def finish(batch: _Batch, done: list[Complaint | ApplicationError] | DatabaseError) -> bool:
        """Report the written batch; False when the database refused it and it was redone row by row."""
        outcomes: Sequence[Complaint | ApplicationError | dict[str, Any]]
        if isinstance(done, DatabaseError):
            logger.warning("import job %s: the database refused a batch; retrying it row by row", job.pk)
            outcomes = [_complaint_one(job, user, row_no, draft) for row_no, draft in batch.drafts]
        else:
            outcomes = done
        for (row_no, _draft), outcome in zip(batch.drafts, outcomes, strict=True):
            if isinstance(outcome, ApplicationError):
                _report_error(batch.lines.setdefault(row_no, []), job.kind, mapping, row_no, outcome)
            elif isinstance(outcome, dict):
                batch.lines.setdefault(row_no, []).append(outcome)
            else:
                counts[1] += 1
        counts[2] += len(batch.lines)
        for row_no, _raw in batch.rows:
            report.extend(batch.lines.get(row_no, []))
        counts[0] += len(batch.rows)
        _progress(job, counts[0], counts[1], 0, counts[2])
        return not isinstance(done, DatabaseError)

    writer = _Writer()
    writing: _Batch | None = None
    try:
        for rows in _batches(sheet.rows(), BATCH_ROWS):
            batch = _Batch(rows=rows, drafts=[], lines={})
            for row_no, raw in rows:
                row = {key: raw.get(header, "") for key, header in mapping.items()}
                try:
                    draft = complaints.complaint_draft(
                        row, source={"import_job": job.pk, "row": row_no}, categories=categories, tz=tz
                    )
                except ApplicationError as exc:
                    _report_error(batch.lines.setdefault(row_no, []), job.kind, mapping, row_no, exc)
                else:
                    batch.drafts.append((row_no, draft))
            # Validated while the previous batch is written: its new contacts count as found.
            prepare(batch, writing.prepared.new_contacts if writing and writing.prepared else ())
            if writing is not None and not finish(writing, writer.result()):
                prepare(batch, ())  # the contacts it counted on were rolled back, then made row by row
            assert batch.prepared is not None
            writer.submit(batch.prepared)
            writing = batch
        if writing is not None:
            finish(writing, writer.result())
    finally:
        writer.close()
    return counts[1], 0, counts[2]


def _complaint_one(
    job: ImportJob, user: User, row_no: int, draft: ComplaintDraft
) -> Complaint | ApplicationError | dict[str, Any]:
    """One draft through ``complaint_intake`` in its own transaction: the complaint, the error it raised,
    or the report line of a row the database refused."""
    try:
        return complaint_intake(draft=draft, actor=user)
    except ApplicationError as exc:
        return exc
    except DatabaseError:
        return _refused(job, row_no)


def _column_label(kind: str, key: str) -> str:
    for c in COLUMNS[kind]:
        if c.key == key:
            return header_label(c)
    return key
