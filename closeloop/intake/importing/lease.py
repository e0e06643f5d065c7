"""The import job's lease: which run owns a job, and how a job whose worker stopped is found and resumed.

A worker can stop in the middle of an import: killed by the out-of-memory killer, by a deploy that did
not wait, by a machine restart. The job would then stay ``running`` for ever, its last batches' emails
never sent. So:

- a run owns a job as its ``attempt``-th run, and renews ``heartbeat_at`` in the transaction of each
  batch (or every few master-data rows) it writes; a write whose job has been taken over by a later run
  is rolled back and the old run stops (:class:`ImportTakenOver`);
- the worker's periodic :func:`import_jobs_resume` finds jobs with no heartbeat for
  ``CLOSELOOP["IMPORT_STALL_SECONDS"]`` and sends them to the worker again, once per stall period: a
  queued one is run, a running one is resumed by a new run, which takes the lease over
  (:func:`job_claim`) and skips the complaint rows already saved (:func:`rows_saved`);
- after ``MAX_ATTEMPTS`` runs the job is failed instead, so a file that kills its worker every time
  (memory) is not tried for ever.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from closeloop.complaints.models import ComplaintEvent
from closeloop.core import clock
from closeloop.intake.models import ImportJob, ImportStatus

MAX_ATTEMPTS = 3


class ImportTakenOver(Exception):
    """A later run owns the job now (this one was thought stopped); whatever this run was writing is
    rolled back, and it must stop without touching the job."""


class Claim(enum.Enum):
    RUN = "run"  # the caller owns the job: run (or resume) it
    GIVE_UP = "give_up"  # the caller owns the job, which has been run MAX_ATTEMPTS times: fail it


def stall_seconds() -> int:
    """Seconds without a heartbeat after which a job's worker is taken to have stopped."""
    return int(settings.CLOSELOOP["IMPORT_STALL_SECONDS"])


def job_claim(job_id: int, *, resume: int | None = None) -> tuple[ImportJob, Claim | None]:
    """Take the lease of job ``job_id`` for this run, in its own transaction.

    Without ``resume`` (the message queued with the job) a queued job is claimed as run 1; with
    ``resume=n`` (sent by :func:`import_jobs_resume`) a running job still owned by run ``n`` is taken
    over as run ``n + 1`` (or given up when ``n`` is ``MAX_ATTEMPTS``). Any other case returns no claim
    and changes nothing: the broker delivers at least once, and the resumer may send a job twice. The
    claim commits before any row is read, so a write of the run taken over fails after it
    (:func:`job_hold`) and the rows that run saved before are all visible to :func:`rows_saved`."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
        if resume is None and job.status == ImportStatus.QUEUED:
            claim = Claim.RUN
        elif resume is not None and job.status == ImportStatus.RUNNING and job.attempt == resume:
            claim = Claim.GIVE_UP if job.attempt >= MAX_ATTEMPTS else Claim.RUN
        else:
            return job, None
        if claim is Claim.RUN:
            job.attempt += 1
        job.status = ImportStatus.RUNNING
        job.heartbeat_at = clock.now()
        job.save(update_fields=["attempt", "status", "heartbeat_at"])
    return job, claim


def job_held(job: ImportJob, **fields: Any) -> bool:
    """Renew the heartbeat of ``job`` (and write ``fields``) if this run still owns it; False if a later
    run has taken it over (nothing is written then). Inside a write's transaction this also locks the
    job row until commit, so a claim waits for the write and sees its heartbeat."""
    return bool(
        ImportJob.objects.filter(pk=job.pk, attempt=job.attempt, status=ImportStatus.RUNNING).update(
            heartbeat_at=clock.now(), **fields
        )
    )


def job_hold(job: ImportJob, **fields: Any) -> None:
    """:func:`job_held`, raising :class:`ImportTakenOver` (which rolls the write back) if not owned."""
    if not job_held(job, **fields):
        raise ImportTakenOver(job.pk)


def rows_saved(job: ImportJob) -> set[int]:
    """The file's row numbers whose complaint an earlier run of ``job`` saved (from their ``created``
    events): a resumed run skips them, so no row is imported twice."""
    if job.attempt <= 1:
        return set()
    rows = ComplaintEvent.objects.filter(verb="created", complaint__import_job_id=job.pk).values_list(
        "data__row", flat=True
    )
    return {row for row in rows if isinstance(row, int)}


QUIET = dt.timedelta(minutes=2)  # longer than any pause of a live run (counting a large file's rows)
RESUMER_EVERY = dt.timedelta(minutes=1)  # the beat schedule of import_jobs_resume


def job_quiet(job: ImportJob, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """For the job's page: (the last sign of life, the time by which the job will have been sent to
    the worker again) when a running job has shown no progress for ``QUIET``; None otherwise."""
    if job.status != ImportStatus.RUNNING or job.heartbeat_at is None or now - job.heartbeat_at < QUIET:
        return None
    return job.heartbeat_at, job.heartbeat_at + dt.timedelta(seconds=stall_seconds()) + RESUMER_EVERY


def jobs_stalled(now: dt.datetime) -> list[ImportJob]:
    """Queued or running jobs with no heartbeat for the stall period (or none at all)."""
    cutoff = now - dt.timedelta(seconds=stall_seconds())
    return list(
        ImportJob.objects.filter(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))
        .order_by("pk")
    )


def import_jobs_resume() -> int:
    """Send every stalled job to the worker again (the worker's periodic task): a queued one to be run,
    a running one to be resumed by a new run. Each job's heartbeat is renewed as it is sent (only if it
    did not move meanwhile), so it is sent once per stall period while it waits in the queue, and
    several workers running this never send one twice. Returns how many were sent."""
    from closeloop.intake.tasks import import_job_run_task

    now = clock.now()
    sent = 0
    for job in jobs_stalled(now):
        renewed = ImportJob.objects.filter(
            pk=job.pk, status=job.status, attempt=job.attempt, heartbeat_at=job.heartbeat_at
        ).update(heartbeat_at=now)
        if not renewed:
            continue
        resume = job.attempt if job.status == ImportStatus.RUNNING else None
        transaction.on_commit(functools.partial(import_job_run_task.delay, job.pk, resume=resume))
        sent += 1
    return sent
