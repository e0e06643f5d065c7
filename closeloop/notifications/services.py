"""The only writers of notifications.

:func:`notification_send` is called by the services of other apps *inside their own transaction*, so
a notification exists exactly when the change that caused it was committed: nothing is lost when the
process dies after the commit, and nothing is told about a change that was rolled back. Delivery
beyond the inbox (email, WeCom, DingTalk) will read these rows as an outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.notifications.messages import REASON_LABELS, VERB_MESSAGES
from closeloop.notifications.models import Notification


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
    a user given twice (two instances of the same row) keeps the first reason. The actor is never told
    about their own change. ``data`` holds the placeholders of the verb's message as JSON values (dates
    are stored as ISO strings).

    Contract: call it inside the transaction of the business change (it opens none and takes no lock),
    after that change has passed its checks. Raises ValueError for an unregistered verb or reason: a
    programming error, which rolls the caller's change back.
    """
    if verb not in VERB_MESSAGES:
        raise ValueError(f"Unregistered notification verb: {verb!r}")
    chosen: dict[int, tuple[User, str]] = {}
    for user, reason in recipients.items():
        if reason not in REASON_LABELS:
            raise ValueError(f"Unregistered notification reason: {reason!r}")
        if user is None or user.pk is None or not user.is_active:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        chosen.setdefault(user.pk, (user, reason))
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
            created_at=now,
        )
        for user, reason in chosen.values()
    ]
    return Notification.objects.bulk_create(rows)


def notification_mark_read(*, user: User, notification_ids: list[int] | None) -> int:
    """Mark the user's unread notifications read: those in ``notification_ids``, or all of them when it
    is None. Only ever touches the user's own rows (other ids are ignored); returns how many changed.
    One UPDATE, no lock: marking read twice is harmless."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=clock.now())
