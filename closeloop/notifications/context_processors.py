"""The unread-notification count for the bell in the top bar."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from closeloop.notifications.selectors import notification_unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """``notifications_unread``: a callable the template resolves on first use, so a page that shows the
    bell runs one COUNT query and a page that does not (or an anonymous visitor) runs none."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def count() -> int:
        return notification_unread_count(user=user)  # type: ignore[arg-type]

    return {
        "notifications_unread": count,
        "notifications_poll_seconds": settings.CLOSELOOP.get("NOTIFICATION_POLL_SECONDS", 30),
    }
