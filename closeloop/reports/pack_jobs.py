"""The audit pack is written by the worker (it copies every evidence file): a job records the request,
the worker fills it with progress, and only its creator downloads it (the export job's page and
download serve it)."""

from __future__ import annotations

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.complaints.selectors import complaint_get_for_user
from closeloop.core import clock, leases
from closeloop.core.errors import FieldErrors, NotFound, PermissionDenied
from closeloop.reports.export_leases import export_file_keep, given_up_reason
from closeloop.reports.models import ExportJob, ExportKind, ExportStatus
from closeloop.reports.pack import audit_pack_size, audit_pack_write

logger = logging.getLogger(__name__)

# The quality team prepares what an auditor samples.
PACK_PERMISSION = "complaints.triage_complaint"
LANGUAGES = ("zh-hans", "en")


def _check(user: User) -> None:
    if not user.has_perm(PACK_PERMISSION):
        raise PermissionDenied(gettext_lazy("Only the quality team prepares audit packs."))


def audit_pack_job_create(*, user: User, complaint: Complaint, language: str) -> ExportJob:
    """Record an audit-pack job for a complaint the caller may see (checked by the caller's selector)
    and queue it to the worker after commit. Raises PermissionDenied, ValidationFailed (``language``)."""
    _check(user)
    if language not in LANGUAGES:
        raise FieldErrors.single("language", _("Choose Chinese or English."))
    with transaction.atomic():
        now = clock.now()
        job = ExportJob.objects.create(
            kind=ExportKind.AUDIT_PACK,
            params={"complaint": complaint.number, "language": language},
            total_rows=audit_pack_size(complaint),
            created_by=user,
            created_at=now,
            heartbeat_at=now,
        )
        from closeloop.reports.tasks import audit_pack_job_run as task

        job_id = job.pk
        transaction.on_commit(lambda: task.delay(job_id))
    return job


def audit_pack_job_run(*, job_id: int, resume: int | None = None) -> ExportJob:
    """Write a queued pack (or, with ``resume``, write it again for a job whose run ``resume`` stopped:
    see ``core.leases``) with the creator's rights as they are now. Idempotent: a job this call may not
    claim is returned untouched. Locks the job row only to claim it; a failure ends it as failed."""
    job, verdict = leases.claim(ExportJob.objects.filter(kind=ExportKind.AUDIT_PACK), job_id, resume=resume)
    if verdict is None:
        return job
    user = User.objects.get(pk=job.created_by_id)
    with translation.override(user.language or None):
        if verdict is leases.Claim.GIVE_UP:
            _fail(job, given_up_reason())
        else:
            try:
                _write(job, user)
            except leases.TakenOver:
                logger.warning("audit pack job %s: run %s was taken over by a later run", job.pk, job.attempt)
            except (NotFound, PermissionDenied):
                _fail(job, _("You may no longer see this complaint."))
            except Exception:
                logger.exception("audit pack job %s failed", job.pk)
                _fail(job, _("An unexpected error stopped the export; the administrator has the details."))
    job.refresh_from_db()
    return job


def _write(job: ExportJob, user: User) -> None:
    _check(user)
    complaint = complaint_get_for_user(user=user, number=str(job.params.get("complaint", "")))

    def progress(done: int) -> None:
        leases.hold(job, processed_rows=done)

    with tempfile.TemporaryFile(suffix=".zip") as fh:
        manifest = audit_pack_write(
            complaint=complaint,
            user=user,
            language=str(job.params.get("language") or "zh-hans"),
            fileobj=fh,
            progress=progress,
        )
        fh.seek(0)
        job.file.save(f"audit-pack-{job.pk}.zip", File(fh), save=False)
    files = len(manifest) + 1  # and the manifest itself
    export_file_keep(job, total_rows=files, processed_rows=files)


def _fail(job: ExportJob, reason: str) -> None:
    leases.held(job, status=ExportStatus.FAILED, failure=str(reason)[:2000], finished_at=clock.now())
