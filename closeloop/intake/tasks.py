"""Thin Celery wrappers: take ids, call one service."""

from celery import shared_task

from closeloop.intake.importing.service import import_job_run


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> int:
    return import_job_run(job_id=job_id).pk
