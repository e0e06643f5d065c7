"""Export jobs (ledgers and audit packs) under ``core.leases``: an export whose worker stopped is written
again from the start by a new run (it only reads, so starting over is safe), and the file of a run
that was taken over is not kept."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from closeloop.core import clock, leases
from closeloop.reports.models import ExportJob, ExportKind, ExportStatus

logger = logging.getLogger(__name__)


def given_up_reason() -> str:
    """Why an export whose worker stopped in each of its runs was not tried again."""
    logger.error("an export's worker stopped in each of %s runs; giving up", leases.MAX_ATTEMPTS)
    return _(
        "The background worker stopped during each of %(n)s runs of this export (restarted, or out of "
        "memory), so it was not tried again. Run the export again; narrower filters make it smaller."
    ) % {"n": leases.MAX_ATTEMPTS}


def export_file_keep(job: ExportJob, **fields: Any) -> None:
    """Record the file just saved to ``job.file`` and end the job as done (with ``fields``), if this run
    still owns it; otherwise delete the file (the run that owns the job writes its own) and raise
    TakenOver."""
    name = str(job.file.name)
    if not leases.held(job, file=name, status=ExportStatus.DONE, finished_at=clock.now(), **fields):
        job.file.storage.delete(name)
        raise leases.TakenOver(job.pk)


def exports_resume() -> int:
    """Send the stalled export jobs to the worker again (:func:`core.leases.resend_stalled`), each to
    the task that writes its kind. Returns how many were sent."""
    from closeloop.reports.tasks import audit_pack_job_run, export_job_run

    packs = ExportJob.objects.filter(kind=ExportKind.AUDIT_PACK)
    ledgers = ExportJob.objects.exclude(kind=ExportKind.AUDIT_PACK)
    return leases.resend_stalled(ledgers, export_job_run) + leases.resend_stalled(packs, audit_pack_job_run)
