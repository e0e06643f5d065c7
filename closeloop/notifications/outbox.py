"""Writing the outbox: the deliveries a set of new notifications calls for. Runs in the transaction of
the change (so a delivery exists exactly when its notification does); sending happens elsewhere
(:mod:`closeloop.notifications.delivery`), after commit, in the worker."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from closeloop.core import clock
from closeloop.core.bulk_insert import instances_make
from closeloop.notifications.messages import DIGEST_OF
from closeloop.notifications.models import (
    Channel,
    Delivery,
    EmailMode,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)


def _wants_email(pref: NotificationPreference | None, verb: str) -> bool:
    if pref is None:
        return True
    # A digest is muted with the event it tells of.
    event = DIGEST_OF.get(verb, verb)
    return pref.email_mode == EmailMode.IMMEDIATE and event not in (pref.muted_events or [])


def deliveries_enqueue(
    *, notifications: Sequence[Notification], webhooks: Iterable[WebhookEndpoint]
) -> list[Delivery]:
    """Write the pending deliveries for ``notifications`` (all of one event): an email to each recipient
    who has an address and wants immediate email for this event, and one post per webhook robot.

    Contract: call inside the transaction that wrote the notifications; takes no lock. After that
    transaction commits the worker is asked to send them (if the broker cannot be reached, the periodic
    dispatch sends them later: nothing is lost).
    """
    if not notifications:
        return []
    user_ids = [n.recipient_id for n in notifications]
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}
    rows = deliveries_build(notifications, list(webhooks), prefs, clock.now())
    if not rows:
        return []
    created = Delivery.objects.bulk_create(rows)
    transaction.on_commit(deliveries_kick)
    return created


def deliveries_build(
    notifications: Sequence[Notification],
    webhooks: Sequence[WebhookEndpoint],
    prefs: Mapping[int, NotificationPreference],
    now: Any,
) -> list[Delivery]:
    """The unsaved outbox rows for one event's ``notifications`` (``prefs``: the recipients'
    preferences by user id): what :func:`deliveries_enqueue` writes, and the bulk import too
    (notifications.batch)."""
    # Made with instances_make (a bulk import writes one or two per complaint): the same unsaved rows
    # as keyword construction, at a fraction of its cost.
    emails = [
        {
            "channel": Channel.EMAIL,
            "event_id": uuid.uuid4(),
            "verb": n.verb,
            "notification": n,
            "recipient_id": n.recipient_id,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in notifications
        if n.recipient.email and _wants_email(prefs.get(n.recipient_id), n.verb)
    ]
    first = notifications[0]
    payload: dict[str, Any] = {
        "verb": first.verb,
        "data": first.data,
        "complaint": first.complaint.number if first.complaint is not None else None,
        "investigation_id": first.investigation_id,
        "actor": str(first.actor) if first.actor_id else None,
        "created_at": first.created_at,
    }
    hooks = [
        {
            "channel": Channel.WEBHOOK,
            "event_id": uuid.uuid4(),
            "verb": first.verb,
            "notification": first,
            "endpoint": endpoint,
            "payload": payload,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint in webhooks
    ]
    return instances_make(Delivery, emails + hooks)


def deliveries_kick() -> None:
    """Ask the worker to send what is due now. Never raises: when the broker is unreachable the
    periodic dispatch (beat) sends the rows later."""
    try:
        from closeloop.notifications.tasks import deliveries_dispatch

        deliveries_dispatch.delay()
    except Exception as exc:  # noqa: BLE001 — the outbox row is the guarantee, the kick only saves latency
        log.warning("Could not queue the delivery dispatch (%s); the periodic dispatch will send it", exc)
