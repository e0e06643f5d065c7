"""Reads of notifications. A user only ever reads their own."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet

from closeloop.accounts.models import User
from closeloop.notifications.models import Notification, NotificationPreference


def notification_list_for_user(
    *, user: User, unread_only: bool = False, before: tuple[dt.datetime, int] | None = None
) -> QuerySet[Notification]:
    """The user's notifications, newest first, each with ``complaint_number`` and ``rule_name`` (or None)
    annotated.

    ``before`` is a keyset cursor ``(created_at, id)`` of the last row already shown: only older rows
    follow. Slice the result for a page.
    """
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before is not None:
        created_at, pk = before
        qs = qs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    return qs.annotate(complaint_number=F("complaint__number"), rule_name=F("rule__name")).order_by(
        "-created_at", "-id"
    )


def notification_get_for_user(*, user: User, notification_id: int) -> Notification | None:
    """One of the user's own notifications (annotated like the list), or None."""
    return notification_list_for_user(user=user).filter(pk=notification_id).first()


# The bell shows a count up to this and "99+" past it.
UNREAD_SHOWN_MAX = 99


def notification_unread_count(*, user: User, cap: int = UNREAD_SHOWN_MAX + 1) -> int:
    """How many of the user's notifications are unread, counted up to ``cap`` (one query).

    Every page's bell runs this. A user who never opens the inbox can hold a hundred thousand unread
    rows; counting them all would cost each page a scan of that many index entries, while the bell
    only needs to know whether there are more than it shows."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)[:cap].count()


def notification_preference_get(*, user: User) -> NotificationPreference:
    """The user's preferences; an unsaved default row (email as it happens, nothing muted) if none."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref if pref is not None else NotificationPreference(user=user)
