"""Sending the outbox: claim due deliveries, send them outside any transaction, record the outcome.

Guarantees ("never lost, never doubled" as far as a network allows):

* **Never lost.** A row stays in the outbox until a send succeeded and was recorded. A failed send is
  retried with capped exponential backoff and jitter; after ``CLOSELOOP_DELIVERY_MAX_ATTEMPTS``
  attempts it becomes a dead letter, listed in the admin and re-sent from there.
* **Never doubled by us.** A row is claimed (``SELECT … FOR UPDATE SKIP LOCKED``, then status
  ``sending`` with a lease) in a short transaction, so concurrent dispatchers never send the same row
  while its lease runs. Only when a worker dies between sending and recording (or is slower than its
  lease) is a row sent again — with the same event id / Message-ID, so the receiver can drop the copy.
* **No network call under a lock.** The claim commits before the first send; recording the outcome is
  one conditional UPDATE that only touches a row still held by this claim (same status, lease and
  attempt number), so a slow worker whose lease expired cannot overwrite a newer outcome.

Attempts are counted when a row is claimed, not when it fails: a message that kills the worker every
time it is sent still reaches the dead letters instead of being retried forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import translation

from closeloop.accounts.models import User
from closeloop.core import clock
from closeloop.notifications.channels import DeliveryError, PermanentDeliveryError
from closeloop.notifications.channels.email import Mailer, email_digest_build, email_notification_build
from closeloop.notifications.channels.webhooks import webhook_deliver, webhook_send, webhook_test_message
from closeloop.notifications.models import Channel, Delivery, DeliveryStatus, WebhookEndpoint

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
ERROR_MAX_CHARS = 2000

_rng = random.Random()  # noqa: S311 — jitter spreads retries; it guards no secret


def lease_seconds() -> int:
    """How long a claim holds a row (setting ``CLOSELOOP_DELIVERY_LEASE_SECONDS``, default 300)."""
    return int(getattr(settings, "CLOSELOOP_DELIVERY_LEASE_SECONDS", 300))


def max_attempts() -> int:
    """Attempts before a row is a dead letter (setting ``CLOSELOOP_DELIVERY_MAX_ATTEMPTS``, default 8)."""
    return int(getattr(settings, "CLOSELOOP_DELIVERY_MAX_ATTEMPTS", 8))


def _send_margin() -> dt.timedelta:
    """A row is not started when less than this is left of its lease: a send may take this long
    (connection and answer timeouts), and finishing after the lease invites a second sender."""
    return dt.timedelta(seconds=2 * float(getattr(settings, "CLOSELOOP_WEBHOOK_TIMEOUT_SECONDS", 10)))


def backoff_delay(
    attempt: int,
    *,
    rng: random.Random | None = None,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
) -> dt.timedelta:
    """The wait after failed attempt number ``attempt`` (1 for the first): "equal jitter" — half of
    ``min(cap, base * 2 ** (attempt - 1))`` plus a uniformly random share of the other half, so a retry
    never comes sooner than half the exponential step (a mail server that greylists us gets its pause)
    and retries of many rows failing together spread out. Pure; ``rng`` makes it reproducible."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    ceiling = min(cap, base * 2 ** min(attempt - 1, 32))
    half = ceiling / 2
    return dt.timedelta(seconds=half + (rng or _rng).uniform(0, half))


def _claim(*, now: dt.datetime, limit: int) -> list[Delivery]:
    """Claim up to ``limit`` due rows — pending, or ``sending`` whose lease has expired (its worker
    died), with ``next_attempt_at <= now`` — oldest due first.

    Locks: ``SELECT … FOR UPDATE SKIP LOCKED`` inside its own short transaction (rows another
    dispatcher is claiming are skipped, not waited for; on SQLite the IMMEDIATE transaction serialises
    claims instead). Sets status ``sending``, ``lease_until = now + lease`` and counts the attempt; the
    returned rows (with recipient, endpoint and notification) carry that claim as their token. A row
    whose worker died ``max_attempts`` times is made a dead letter here instead of being sent again.
    """
    lease_until = now + dt.timedelta(seconds=lease_seconds())
    due = Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Delivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.SENDING, attempts__gte=max_attempts()
        ).update(
            status=DeliveryStatus.DEAD,
            lease_until=None,
            last_error="the worker stopped while sending it, too many times",
        )
        Delivery.objects.filter(pk__in=ids).exclude(status=DeliveryStatus.DEAD).update(
            status=DeliveryStatus.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
        )
    return list(
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING, lease_until=lease_until)
        .select_related("recipient", "endpoint", "notification__complaint")
        .order_by("channel", "pk")
    )


def _send_one(row: Delivery, *, mailer: Mailer) -> None:
    """Send one claimed row through its channel. Raises on failure; touches no database row."""
    if row.channel == Channel.EMAIL:
        mailer.send(email_notification_build(row))
    elif row.channel == Channel.DIGEST:
        mailer.send(email_digest_build(row))
    elif row.channel == Channel.WEBHOOK:
        webhook_deliver(row)
    elif row.channel == Channel.REPORT:
        # A document for a customer contact (not a user); the reports app builds it.
        from closeloop.reports.handling_email import handling_report_email_build

        mailer.send(handling_report_email_build(row))
    else:
        raise PermanentDeliveryError(f"unknown channel {row.channel!r}")


def _held(row: Delivery) -> Q:
    """Matches ``row`` only while it is still held by the claim that fetched it."""
    return Q(pk=row.pk, status=DeliveryStatus.SENDING, lease_until=row.lease_until, attempts=row.attempts)


def _mark_sent(row: Delivery) -> bool:
    """Record a successful send; False (and nothing changed) when the claim was lost meanwhile."""
    return bool(
        Delivery.objects.filter(_held(row)).update(
            status=DeliveryStatus.SENT, sent_at=clock.now(), lease_until=None, last_error=""
        )
    )


def _mark_failed(row: Delivery, *, error: str, permanent: bool, rng: random.Random | None = None) -> bool:
    """Record a failed attempt: back to pending after the backoff, or a dead letter when ``permanent``
    or out of attempts. False (and nothing changed) when the claim was lost meanwhile."""
    dead = permanent or row.attempts >= max_attempts()
    changes: dict[str, object] = {"lease_until": None, "last_error": error[:ERROR_MAX_CHARS]}
    if dead:
        changes["status"] = DeliveryStatus.DEAD
    else:
        changes["status"] = DeliveryStatus.PENDING
        changes["next_attempt_at"] = clock.now() + backoff_delay(row.attempts, rng=rng)
    return bool(Delivery.objects.filter(_held(row)).update(**changes))


def _describe(exc: BaseException) -> str:
    # Stored for administrators, in the site's language where the message is translatable.
    with translation.override(settings.LANGUAGE_CODE):
        text = str(exc) or type(exc).__name__
    return text if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {text}"


def _process(row: Delivery, *, mailer: Mailer) -> bool:
    """Send one claimed row and record the outcome; True when it was sent and recorded. Never raises
    (a row whose outcome cannot be recorded stays claimed and is retried when its lease expires)."""
    if row.lease_until is None or clock.now() + _send_margin() >= row.lease_until:
        log.warning("Delivery %s: claim nearly expired before sending; left for the next dispatch", row.pk)
        return False
    try:
        try:
            _send_one(row, mailer=mailer)
        except PermanentDeliveryError as exc:
            log.warning("Delivery %s failed for good: %s", row.pk, exc)
            _mark_failed(row, error=_describe(exc), permanent=True)
            return False
        except Exception as exc:  # noqa: BLE001 — any failure of one row is that row's retry, never the batch's
            log.warning("Delivery %s attempt %s failed: %s", row.pk, row.attempts, exc, exc_info=True)
            _mark_failed(row, error=_describe(exc), permanent=False)
            return False
        if not _mark_sent(row):
            log.warning("Delivery %s was sent after its claim expired; another attempt may repeat it", row.pk)
            return False
        return True
    except DatabaseError:
        log.exception("Delivery %s: could not record the outcome; retried after its lease", row.pk)
        return False


def deliveries_dispatch(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Send up to ``limit`` due deliveries; return how many were claimed (sent or not).

    Claims in one short transaction (see :func:`_claim`), then sends each row outside any transaction
    and lock — one mail connection for the whole batch — and records each outcome on its own. One bad
    row never stops the others and nothing is raised for it; only failing to claim at all (the
    database is unreachable) raises. Safe to run from several workers at once. Call it outside a
    transaction: a send must never wait on, or hold, a row lock.
    """
    rows = _claim(now=now if now is not None else clock.now(), limit=limit)
    if not rows:
        return 0
    mailer = Mailer()
    try:
        sent = sum(_process(row, mailer=mailer) for row in rows)
    finally:
        mailer.close()
    log.info("Dispatched %s deliveries, %s sent", len(rows), sent)
    return len(rows)


def delivery_resend(*, delivery_ids: Iterable[int], actor: User, include_sent: bool = False) -> int:
    """Put dead deliveries (and sent ones when ``include_sent``) back in the outbox: pending, due now,
    attempts and error cleared; return how many. Rows being sent or already waiting are left alone.

    The event id is kept: a receiver that did get an earlier copy can still recognise it. One UPDATE,
    no lock needed (it only matches rows no dispatcher holds); the worker is asked to send them after
    commit.
    """
    from closeloop.notifications.outbox import deliveries_kick

    statuses = [DeliveryStatus.DEAD, DeliveryStatus.SENT] if include_sent else [DeliveryStatus.DEAD]
    with transaction.atomic():
        count = Delivery.objects.filter(pk__in=list(delivery_ids), status__in=statuses).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=clock.now(),
            lease_until=None,
            last_error="",
            sent_at=None,
        )
        if count:
            transaction.on_commit(deliveries_kick)
    log.info("%s put %s deliveries back in the outbox", actor, count)
    return count


def webhook_endpoint_test(*, endpoint: WebhookEndpoint, actor: User) -> None:
    """Post a test message to ``endpoint`` now (not through the outbox: the administrator waits for the
    answer). Raises DeliveryError with the reason when it was not accepted. Call outside a transaction."""
    webhook_send(endpoint, webhook_test_message(endpoint, actor=actor))
