"""The only writers of notifications.

:func:`notification_send` is called by the services of other apps *inside their own transaction*, so
a notification exists exactly when the change that caused it was committed: nothing is lost when the
process dies after the commit, and nothing is told about a change that was rolled back. Delivery
beyond the inbox (email, WeCom, DingTalk, Feishu, webhooks) is written as outbox rows in the same
transaction (:mod:`closeloop.notifications.outbox`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.core.errors import FieldErrors
from closeloop.notifications.messages import EVENT_LABELS, REASON_LABELS, VERB_MESSAGES
from closeloop.notifications.models import (
    Channel,
    Delivery,
    EmailMode,
    Notification,
    NotificationPreference,
    NotificationRule,
)
from closeloop.notifications.outbox import deliveries_enqueue, deliveries_kick
from closeloop.notifications.routing import rule_recipients


def notification_send(
    *,
    verb: str,
    recipients: Mapping[User, str],
    actor: User | None,
    complaint: Complaint | None = None,
    investigation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Write one unread notification per distinct active recipient; return the rows written.

    ``recipients`` maps each user to the reason code they are told for (a key of ``REASON_LABELS``);
    a user given twice (two instances of the same row) keeps the first reason. The active
    :class:`NotificationRule` rows for ``verb`` whose conditions the complaint meets add their people
    after these (the row keeps the rule, for "why did I get this"); the outbox deliveries (email, robots)
    are written with the rows. The actor is never told
    about their own change. ``data`` holds the placeholders of the verb's message as JSON values (dates
    are stored as ISO strings).

    Contract: call it inside the transaction of the business change (it opens none and takes no lock),
    after that change has passed its checks. Raises ValueError for an unregistered verb or reason: a
    programming error, which rolls the caller's change back.
    """
    if verb not in VERB_MESSAGES:
        raise ValueError(f"Unregistered notification verb: {verb!r}")
    routed = rule_recipients(verb=verb, complaint=complaint, investigation_id=investigation_id)
    candidates: list[tuple[User, str, NotificationRule | None]] = [
        (user, reason, None) for user, reason in recipients.items()
    ]
    candidates += [(user, reason, rule) for user, (reason, rule) in routed.people.items()]
    chosen: dict[int, tuple[User, str, NotificationRule | None]] = {}
    for user, reason, rule in candidates:
        if reason not in REASON_LABELS:
            raise ValueError(f"Unregistered notification reason: {reason!r}")
        if user is None or user.pk is None or not user.is_active:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        chosen.setdefault(user.pk, (user, reason, rule))
    if not chosen:
        return []
    now = clock.now()
    actor_saved = actor if actor is not None and actor.pk is not None else None
    rows = [
        Notification(
            recipient=user,
            verb=verb,
            reason=reason,
            complaint=complaint,
            investigation_id=investigation_id,
            actor=actor_saved,
            data=dict(data or {}),
            rule=rule,
            created_at=now,
        )
        for user, reason, rule in chosen.values()
    ]
    created = Notification.objects.bulk_create(rows)
    deliveries_enqueue(notifications=created, webhooks=routed.webhooks.values())
    return created


def notification_mark_read(*, user: User, notification_ids: list[int] | None) -> int:
    """Mark the user's unread notifications read: those in ``notification_ids``, or all of them when it
    is None. Only ever touches the user's own rows (other ids are ignored); returns how many changed.
    One UPDATE, no lock: marking read twice is harmless."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=clock.now())


def notification_preference_set(
    *, user: User, email_mode: str, muted_events: list[str]
) -> NotificationPreference:
    """Store how ``user`` wants to be told beyond the inbox. Raises ValidationFailed naming the field for
    an unknown mode or event."""
    errors = FieldErrors()
    if email_mode not in EmailMode.values:
        errors.add("email_mode", _("Choose how you want to receive email."))
    unknown = sorted(set(muted_events) - set(EVENT_LABELS))
    if unknown:
        errors.add("muted_events", _("Unknown event: %(events)s") % {"events": ", ".join(unknown)})
    errors.raise_if_any()
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_mode": email_mode, "muted_events": sorted(set(muted_events))}
    )
    return pref


def _digest_due(pref: NotificationPreference, now: dt.datetime, hour: int) -> bool:
    """True when the user's local time is past today's digest hour and today's digest was not made."""
    tz = ZoneInfo(pref.user.time_zone or settings.TIME_ZONE)
    local = now.astimezone(tz)
    due_at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < due_at:
        return False
    return pref.last_digest_at is None or pref.last_digest_at < due_at


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Write one digest delivery for each person who chose the daily digest, once a day after the digest
    hour (``CLOSELOOP["DIGEST_HOUR"]``, in the person's time zone), listing their unread notifications
    since the previous digest (the last 24 hours for the first). Nobody gets an empty digest. Returns the
    number of digests written.

    Preferences are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in one transaction, so two workers
    running it at once never write two digests for the same person.
    """
    now = now or clock.now()
    hour = int(settings.CLOSELOOP.get("DIGEST_HOUR", 8))
    written: list[Delivery] = []
    with transaction.atomic():
        prefs = list(
            NotificationPreference.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(email_mode=EmailMode.DIGEST, user__is_active=True)
            .exclude(user__email="")
        )
        for pref in prefs:
            if not _digest_due(pref, now, hour):
                continue
            since = pref.last_digest_at or now - dt.timedelta(days=1)
            ids = list(
                Notification.objects.filter(recipient=pref.user, read_at__isnull=True, created_at__gt=since)
                .order_by("created_at", "pk")
                .values_list("pk", flat=True)
            )
            pref.last_digest_at = now
            pref.save(update_fields=["last_digest_at"])
            if not ids:
                continue
            written.append(
                Delivery.objects.create(
                    channel=Channel.DIGEST,
                    event_id=uuid.uuid4(),
                    verb="digest",
                    recipient=pref.user,
                    payload={"notification_ids": ids, "since": since},
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        if written:
            transaction.on_commit(deliveries_kick)
    return len(written)
