"""The import job's lease (``core.leases``), and what resuming an import needs beyond it.

A run renews the job's heartbeat in the transaction of each batch it writes (or with the progress of
master-data rows), so a write of a run taken over is rolled back. A run that resumes a complaint import
skips the rows an earlier run saved (:func:`rows_saved`) and goes on with the digest that run committed
(kept on the job); a resumed master-data import is run again from its first row (its rows are upserts).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from closeloop.complaints.models import ComplaintEvent
from closeloop.core import leases
from closeloop.core.leases import MAX_ATTEMPTS, Claim
from closeloop.core.leases import TakenOver as ImportTakenOver
from closeloop.intake.models import ImportJob

__all__ = ["MAX_ATTEMPTS", "Claim", "ImportTakenOver"]


def job_claim(job_id: int, *, resume: int | None = None) -> tuple[ImportJob, Claim | None]:
    """:func:`core.leases.claim` of an import job, with its creator loaded."""
    return leases.claim(ImportJob.objects.select_related("created_by"), job_id, resume=resume)


def job_held(job: ImportJob, **fields: Any) -> bool:
    return leases.held(job, **fields)


def job_hold(job: ImportJob, **fields: Any) -> None:
    leases.hold(job, **fields)


def rows_saved(job: ImportJob) -> set[int]:
    """The file's row numbers whose complaint an earlier run of ``job`` saved (from their ``created``
    events): a resumed run skips them, so no row is imported twice."""
    if job.attempt <= 1:
        return set()
    rows = ComplaintEvent.objects.filter(verb="created", complaint__import_job_id=job.pk).values_list(
        "data__row", flat=True
    )
    return {row for row in rows if isinstance(row, int)}


def jobs_stalled(now: dt.datetime) -> list[ImportJob]:
    return leases.stalled(ImportJob.objects.all(), now)


def import_jobs_resume() -> int:
    """Send the stalled import jobs to the worker again (:func:`core.leases.resend_stalled`)."""
    from closeloop.intake.tasks import import_job_run_task

    return leases.resend_stalled(ImportJob.objects.all(), import_job_run_task)


def job_quiet(job: ImportJob, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    return leases.quiet(job, now)
