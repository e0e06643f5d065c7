"""Thin Celery wrappers of the reports app: take ids, call one service."""

from celery import shared_task

from closeloop.reports import exports


@shared_task(acks_late=True)
def export_job_run(job_id: int) -> int:
    """Write the export job's file (``exports.export_job_run``; idempotent, so a redelivery is harmless)."""
    return exports.export_job_run(job_id=job_id).pk
