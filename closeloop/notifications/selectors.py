"""Reads of notifications. A user only ever reads their own."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.db.models import F, Q, QuerySet

from closeloop.accounts.models import User
from closeloop.core.db import plan_kept_cursor
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
    only needs to know whether there are more than it shows.

    The statement is the one ``Notification.objects.filter(recipient=user, read_at__isnull=True)
    [:cap].count()`` sends, written once: compiling that through the ORM on every page cost more than
    running it."""
    with plan_kept_cursor(connection.alias) as cursor:
        cursor.execute(_unread_count_sql(), [user.pk, cap])
        return int(cursor.fetchone()[0])


@functools.cache
def _unread_count_sql() -> str:
    meta, quote = Notification._meta, connection.ops.quote_name
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(meta.db_table)} "  # noqa: S608 - names only
        f"WHERE {quote(str(meta.get_field('recipient').column))} = %s "
        f"AND {quote(str(meta.get_field('read_at').column))} IS NULL LIMIT %s) AS unread"
    )


def notification_preference_get(*, user: User) -> NotificationPreference:
    """The user's preferences; an unsaved default row (email as it happens, nothing muted) if none."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref if pref is not None else NotificationPreference(user=user)
