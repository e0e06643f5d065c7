"""Thin Celery wrappers of the reports app: take ids, call one service."""

from celery import shared_task


@shared_task(acks_late=True)
def export_job_run(job_id: int, resume: int | None = None) -> int:
    """Write the export job's file (``exports.export_job_run``; idempotent, so a redelivery is harmless)."""
    # Imported here: the ledgers load openpyxl, which would otherwise stay resident in every worker.
    from closeloop.reports import exports

    return exports.export_job_run(job_id=job_id, resume=resume).pk


@shared_task(acks_late=True)
def audit_pack_job_run(job_id: int, resume: int | None = None) -> int:
    """Write the audit pack of a job (``pack_jobs.audit_pack_job_run``; idempotent)."""
    from closeloop.reports import pack_jobs

    return pack_jobs.audit_pack_job_run(job_id=job_id, resume=resume).pk


@shared_task(name="closeloop.reports.tasks.exports_resume", ignore_result=True)
def exports_resume() -> int:
    """Send the exports whose worker stopped to the worker again (``export_leases.exports_resume``)."""
    from closeloop.reports import export_leases

    return export_leases.exports_resume()


@shared_task
def exports_expire() -> int:
    """Delete the files of exports past their keeping time (``export_retention.exports_expire``)."""
    from closeloop.reports import export_retention

    return export_retention.exports_expire()
