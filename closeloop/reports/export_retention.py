"""Export files are kept for ``CLOSELOOP["EXPORT_KEEP_DAYS"]`` days after they are written.

Every ledger export and audit pack leaves a file (an audit pack can hold every attachment of a case),
so without an end they would fill the disk. The worker expires them hourly: the file is deleted and the
job is marked expired, while the row stays — who exported what, with which filters and when, remains
on record, and the job's page says to run the export again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction

from closeloop.core import clock
from closeloop.reports.models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)


def _deleter(storage: Storage, name: str) -> Callable[[], None]:
    return lambda: storage.delete(name)


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Expire every finished export whose file is older than the keeping time; return how many.

    Each job is marked in its own transaction and its file deleted after that commits, so a crash
    can leave an orphaned file but never a job that offers a file which is gone. A job that changed
    meanwhile (already expired by another worker) is left alone.
    """
    keep = dt.timedelta(days=int(settings.CLOSELOOP["EXPORT_KEEP_DAYS"]))
    cutoff = (now or clock.now()) - keep
    due = ExportJob.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff).only("id", "file")
    expired = 0
    for job in due.iterator(chunk_size=200):
        name, storage = job.file.name, job.file.storage
        with transaction.atomic():
            changed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
                status=ExportStatus.EXPIRED, file=""
            )
            if changed and name:
                transaction.on_commit(_deleter(storage, name))
        expired += changed
    if expired:
        logger.info("expired %s export file(s) older than %s days", expired, keep.days)
    return expired
