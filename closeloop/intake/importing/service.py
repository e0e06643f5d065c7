"""Import jobs: create (validate the upload by content), run (row by row, each all-or-nothing),
and the spreadsheets around them (templates and the error report)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.core import clock
from closeloop.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from closeloop.core.exports import neutralise
from closeloop.intake.importing.columns import COLUMNS, header_map
from closeloop.intake.importing.readers import read_rows, sniff_format
from closeloop.intake.importing.rows import FIELD_TO_COLUMN, HANDLERS, MODEL_FIELD_TO_COLUMN
from closeloop.intake.models import ImportJob, ImportKind, ImportStatus

MAX_IMPORT_BYTES = 50 * 1024 * 1024
PROGRESS_EVERY = 25
PERMISSION = {"complaints": "complaints.import_complaints"}
MASTERDATA_PERMISSION = "customers.import_masterdata"


def import_permission(kind: str) -> str:
    return PERMISSION.get(kind, MASTERDATA_PERMISSION)


def import_job_create(*, user: User, kind: str, name: str, data: bytes) -> ImportJob:
    """Check permission, kind and content, store the file and queue the job after commit.

    Raises PermissionDenied or ValidationFailed (fields ``kind`` / ``file``). Nothing is stored on error.
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
    mapping, _unknown = header_map(kind, headers)
    missing = [c for c in COLUMNS[kind] if c.required and c.key not in mapping]
    if missing:
        raise ValidationFailed(
            fields={
                "file": [
                    _(
                        "The first row must hold the column headers; missing: %(columns)s. "
                        "Download the template."
                    )
                    % {"columns": ", ".join(_header(c) for c in missing)}
                ]
            }
        )
    with transaction.atomic():
        job = ImportJob(kind=kind, original_name=name[:200], file_format=fmt, created_by=user)
        job.file.save(f"import.{fmt}", ContentFile(data), save=False)
        job.save()
        from closeloop.intake.tasks import import_job_run_task

        transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


def _header(col: Any) -> str:
    return col.zh if (get_language() or "").startswith("zh") else col.en


def import_job_run(*, job_id: int) -> ImportJob:
    """Process every row; a bad row is reported (row, column, reason) and saves nothing of itself.

    Safe to call twice: a job that is not queued is returned untouched (at-least-once delivery).
    """
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
    user = job.created_by
    from django.utils import translation

    with translation.override(user.language or None):
        try:
            _run(job, user)
        except Exception as exc:  # the job must end visibly, whatever happened
            job.status = ImportStatus.FAILED
            job.failure = str(exc)[:2000]
            job.finished_at = clock.now()
            job.save()
            raise
    return job


def _run(job: ImportJob, user: User) -> None:
    data = job.file.open("rb").read()
    headers, rows = read_rows(data, job.file_format)
    mapping, unknown = header_map(job.kind, headers)
    column_of = dict(mapping)
    report: list[dict[str, Any]] = [
        {"row": 1, "column": h, "reason": _("Unknown column; it was ignored.")} for h in unknown
    ]
    rows_list = list(rows)
    job.total_rows = len(rows_list)
    job.save(update_fields=["total_rows"])
    handler = HANDLERS[job.kind]
    created = updated = errors = 0
    for i, (row_no, raw) in enumerate(rows_list, start=1):
        row = {key: raw.get(header, "") for key, header in mapping.items()}
        try:
            with transaction.atomic():
                was_created = handler(row, actor=user, source={"import_job": job.pk, "row": row_no})
            created += 1 if was_created else 0
            updated += 0 if was_created else 1
        except ApplicationError as exc:
            errors += 1
            if not exc.fields:
                report.append({"row": row_no, "column": "", "reason": str(exc.message)})
            for field, msgs in exc.fields.items():
                key = FIELD_TO_COLUMN.get(field, MODEL_FIELD_TO_COLUMN.get(field, field))
                column = column_of.get(key) or _column_label(job.kind, key)
                for m in msgs:
                    report.append({"row": row_no, "column": column, "reason": str(m)})
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
            return _header(c)
    return key


def template_xlsx(kind: str) -> bytes:
    """A workbook with the header row in the user's language, one example row, and a sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = _("Data")[:31]
    cols = COLUMNS[kind]
    ws.append([_header(c) for c in cols])
    ws.append([c.example for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F5")
    for i, c in enumerate(cols, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(12, len(_header(c)) * 2 + 4)
    notes = wb.create_sheet(_("Notes")[:31])
    notes.append([_("Column"), _("Required"), _("What it takes")])
    for c in cols:
        notes.append([_header(c), _("Yes") if c.required else _("No"), str(c.help)])
    notes.column_dimensions["C"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv(kind: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([_header(c) for c in COLUMNS[kind]])
    writer.writerow([c.example for c in COLUMNS[kind]])
    return buf.getvalue().encode("utf-8-sig")  # the BOM makes Excel open it as UTF-8


def report_xlsx(job: ImportJob) -> bytes:
    """The error report; cell text is neutralised so nothing a customer typed runs as a formula."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Report")[:31])
    ws.append([_("Row"), _("Column"), _("Reason")])
    for r in job.report:
        ws.append([r["row"], neutralise(r["column"]), neutralise(r["reason"])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
