"""Thin Celery wrappers over the sla services."""

from celery import shared_task

from closeloop.sla.services import deadlines_scan as deadlines_scan_service


@shared_task(name="closeloop.sla.tasks.deadlines_scan", acks_late=True, ignore_result=True)
def deadlines_scan() -> int:
    """Run by beat every minute: reminders, misses and escalation of the deadlines due now. Several
    workers may run it at once (rows are claimed with SKIP LOCKED)."""
    return deadlines_scan_service()
