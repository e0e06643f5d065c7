"""Thin Celery wrappers around the action services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="closeloop.actions.tasks.actions_overdue_notify", ignore_result=True)
def actions_overdue_notify() -> int:
    """Tell owners about actions that passed their due date (once each)."""
    from closeloop.actions.services import actions_overdue_notify as notify

    return notify()
