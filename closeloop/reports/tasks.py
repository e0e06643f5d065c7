"""Thin Celery wrappers of the reports app: take ids, call one service."""

from celery import shared_task


@shared_task(acks_late=True)
def export_job_run(job_id: int) -> int:
    """Write the export job's file (``exports.export_job_run``; idempotent, so a redelivery is harmless)."""
    # Imported here: the ledgers load openpyxl, which would otherwise stay resident in every worker.
    from closeloop.reports import exports

    return exports.export_job_run(job_id=job_id).pk


@shared_task(acks_late=True)
def audit_pack_job_run(job_id: int) -> int:
    """Write the audit pack of a job (``pack_jobs.audit_pack_job_run``; idempotent)."""
    from closeloop.reports import pack_jobs

    return pack_jobs.audit_pack_job_run(job_id=job_id).pk


@shared_task
def exports_expire() -> int:
    """Delete the files of exports past their keeping time (``export_retention.exports_expire``)."""
    from closeloop.reports import export_retention

    return export_retention.exports_expire()
