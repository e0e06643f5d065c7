"""The import's report and progress: a (row, column, reason) line per message, on the column the user
wrote, and the job's counters."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from closeloop.core.errors import ApplicationError
from closeloop.intake.importing import complaints, masterdata
from closeloop.intake.importing.columns import COLUMNS, header_label
from closeloop.intake.importing.lease import job_hold
from closeloop.intake.models import ImportJob, ImportKind

logger = logging.getLogger(__name__)

FIELD_TO_COLUMN: dict[str, dict[str, str]] = {
    ImportKind.COMPLAINTS: complaints.FIELD_TO_COLUMN,
    ImportKind.CUSTOMERS: masterdata.FIELD_TO_COLUMN,
    ImportKind.CONTACTS: masterdata.FIELD_TO_COLUMN,
    ImportKind.PRODUCTS: masterdata.FIELD_TO_COLUMN,
    ImportKind.ORDERS: masterdata.FIELD_TO_COLUMN,
}


def report_error(
    report: list[dict[str, Any]], kind: str, mapping: dict[str, str], row_no: int, exc: ApplicationError
) -> None:
    """One line per message, on the column the user wrote for the field (or the template's header)."""
    if not exc.fields:
        report.append({"row": row_no, "column": "", "reason": str(exc.message)})
    to_column = FIELD_TO_COLUMN[kind]
    for field, msgs in exc.fields.items():
        key = to_column.get(field, field)
        column = mapping.get(key) or column_label(kind, key)
        for m in msgs:
            report.append({"row": row_no, "column": column, "reason": str(m)})


def row_refused(job: ImportJob, row_no: int) -> dict[str, Any]:
    # A value the database refuses (e.g. longer than a column allows) that no rule caught: the row's
    # transaction is rolled back and the import goes on.
    logger.exception("import job %s: row %s refused by the database", job.pk, row_no)
    return {"row": row_no, "column": "", "reason": _("The row could not be saved; check its values.")}


def progress_save(job: ImportJob, processed: int, created: int, updated: int, errors: int) -> None:
    """Write the counters (and renew the heartbeat); raise ImportTakenOver if a later run owns the job."""
    job_hold(job, processed_rows=processed, created_count=created, updated_count=updated, error_count=errors)


def column_label(kind: str, key: str) -> str:
    for c in COLUMNS[kind]:
        if c.key == key:
            return header_label(c)
    return key
