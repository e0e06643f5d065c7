"""Thin Celery wrappers: take ids, call one service."""

from celery import shared_task

from closeloop.intake.importing.lease import import_jobs_resume
from closeloop.intake.importing.service import import_job_run


@shared_task(acks_late=True)
def import_job_run_task(job_id: int, resume: int | None = None) -> int:
    return import_job_run(job_id=job_id, resume=resume).pk


@shared_task(name="closeloop.intake.tasks.import_jobs_resume", ignore_result=True)
def import_jobs_resume_task() -> int:
    """Send the imports whose worker stopped to the worker again (see ``importing.lease``)."""
    return import_jobs_resume()
