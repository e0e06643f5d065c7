"""Leases of background jobs: which run owns a job, and how a job whose worker stopped is sent again.

A worker can stop in the middle of a job (killed by the out-of-memory killer, by a deploy that did not
wait, by a machine restart), and the broker does not give the job back in time, if at all. A job would
then say ``running`` for ever. So every job model leased here has ``status`` (``queued``, ``running``,
then anything else once it has ended), ``attempt`` (the runs started) and ``heartbeat_at``, and:

- a run owns a job as its ``attempt``-th run, and renews ``heartbeat_at`` with each write of its
  progress (:func:`hold`); a write whose job a later run has taken over fails with :class:`TakenOver`,
  which rolls the write back and stops the old run;
- the worker's periodic :func:`resend_stalled` sends the jobs with no heartbeat for
  ``CLOSELOOP["JOB_STALL_SECONDS"]`` to the worker again, once per stall period: a queued one (its
  message was lost) to be run, a running one to be taken over by a new run (:func:`claim`);
- after ``MAX_ATTEMPTS`` runs the job is given up instead (failed by its service), so a job that kills
  its worker every time is not tried for ever.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q

from closeloop.core import clock

QUEUED, RUNNING = "queued", "running"
MAX_ATTEMPTS = 3
QUIET = dt.timedelta(minutes=2)  # longer than any pause of a live run (counting a large file's rows)
RESENDER_EVERY = dt.timedelta(minutes=1)  # the beat schedule of the resending tasks

J = TypeVar("J", bound=models.Model)


class TakenOver(Exception):
    """A later run owns the job now (this one was thought stopped); whatever this run was writing is
    rolled back, and it must stop without touching the job."""


class Claim(enum.Enum):
    RUN = "run"  # the caller owns the job: run (or resume) it
    GIVE_UP = "give_up"  # the caller owns the job, which has been run MAX_ATTEMPTS times: fail it


def stall_seconds() -> int:
    """Seconds without a heartbeat after which a job's worker is taken to have stopped."""
    return int(settings.CLOSELOOP["JOB_STALL_SECONDS"])


def claim(queryset: models.QuerySet[J], job_id: int, *, resume: int | None = None) -> tuple[J, Claim | None]:
    """Take the lease of job ``job_id`` (of ``queryset``) for this run, in its own transaction.

    Without ``resume`` (the message queued with the job) a queued job is claimed as run 1; with
    ``resume=n`` (sent by :func:`resend_stalled`) a running job still owned by run ``n`` is taken over
    as run ``n + 1`` (whose work, when ``n`` is ``MAX_ATTEMPTS``, is to give the job up). Any other
    case returns no claim and changes nothing: the broker delivers at least once, and the resender may
    send a job twice. The claim commits before the run starts, so a write of the run taken over fails
    after it."""
    with transaction.atomic():
        job: Any = queryset.select_for_update().get(pk=job_id)
        if resume is None and job.status == QUEUED:
            verdict = Claim.RUN
        elif resume is not None and job.status == RUNNING and job.attempt == resume:
            verdict = Claim.GIVE_UP if job.attempt >= MAX_ATTEMPTS else Claim.RUN
        else:
            return job, None
        # Giving up counts as a run too, so that a second copy of the message finds the job claimed.
        job.attempt += 1
        job.status = RUNNING
        job.heartbeat_at = clock.now()
        job.save(update_fields=["attempt", "status", "heartbeat_at"])
    return job, verdict


def held(job: Any, **fields: Any) -> bool:
    """Renew the heartbeat of ``job`` (and write ``fields``) if this run still owns it; False if a later
    run has taken it over (nothing is written then). Inside a write's transaction this also locks the
    job row until commit, so a claim waits for the write and sees its heartbeat."""
    return bool(
        type(job)
        .objects.filter(pk=job.pk, attempt=job.attempt, status=RUNNING)
        .update(heartbeat_at=clock.now(), **fields)
    )


def hold(job: Any, **fields: Any) -> None:
    """:func:`held`, raising :class:`TakenOver` (which rolls the write back) if not owned."""
    if not held(job, **fields):
        raise TakenOver(job.pk)


def stalled(queryset: models.QuerySet[J], now: dt.datetime) -> list[J]:
    """Queued or running jobs with no heartbeat for the stall period (or none at all)."""
    cutoff = now - dt.timedelta(seconds=stall_seconds())
    return list(
        queryset.filter(status__in=[QUEUED, RUNNING])
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))
        .order_by("pk")
    )


def resend_stalled(queryset: models.QuerySet[Any], task: Any) -> int:
    """Send every stalled job of ``queryset`` to the worker again as ``task.delay(pk, resume=...)``: a
    queued one to be run, a running one to be taken over by a new run. Each job's heartbeat is renewed
    as it is sent (only if it did not move meanwhile), so it is sent once per stall period while it
    waits in the queue, and several workers running this never send one twice. Returns how many were
    sent."""
    now = clock.now()
    sent = 0
    for job in stalled(queryset, now):
        renewed = queryset.filter(
            pk=job.pk, status=job.status, attempt=job.attempt, heartbeat_at=job.heartbeat_at
        ).update(heartbeat_at=now)
        if not renewed:
            continue
        resume = job.attempt if job.status == RUNNING else None
        transaction.on_commit(functools.partial(task.delay, job.pk, resume=resume))
        sent += 1
    return sent


def quiet(job: Any, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """For the job's page: (the last sign of life, the time by which the job will have been sent to
    the worker again) when a running job has shown no progress for ``QUIET``; None otherwise."""
    if job.status != RUNNING or job.heartbeat_at is None or now - job.heartbeat_at < QUIET:
        return None
    return job.heartbeat_at, job.heartbeat_at + dt.timedelta(seconds=stall_seconds()) + RESENDER_EVERY
