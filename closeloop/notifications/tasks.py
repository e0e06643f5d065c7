"""Thin Celery wrappers around the notification services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="closeloop.notifications.tasks.deliveries_dispatch", ignore_result=True)
def deliveries_dispatch() -> int:
    """Send every due outbox delivery (see :func:`closeloop.notifications.delivery.deliveries_dispatch`)."""
    from closeloop.notifications.delivery import deliveries_dispatch as dispatch

    return dispatch()


@shared_task(name="closeloop.notifications.tasks.digests_send", ignore_result=True)
def digests_send() -> int:
    """Write today's digests for those who chose one (see :func:`services.digests_send`)."""
    from closeloop.notifications.services import digests_send as send

    return send()
