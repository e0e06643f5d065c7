"""Delivery channels: one adapter per way of telling people beyond the inbox (email, group robots).

Adapters build and send one message; they never touch the outbox rows (the dispatcher in
:mod:`closeloop.notifications.delivery` claims and marks them). They raise :class:`DeliveryError`
when a send may succeed later and :class:`PermanentDeliveryError` when only an administrator can fix
it (the row then goes straight to the dead letters).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


class DeliveryError(Exception):
    """The message was not delivered; the dispatcher retries it with backoff."""


class PermanentDeliveryError(DeliveryError):
    """The message cannot be delivered until someone changes the data or configuration."""


def site_url(path: str) -> str:
    """``path`` made absolute with the site's base URL (setting ``CLOSELOOP_SITE_URL``)."""
    base = str(getattr(settings, "CLOSELOOP_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}{path}"


def event_link(*, complaint_number: str | None, data: Any) -> str:
    """Where a notification leads: its complaint, else its 8D case, else the list of an import's
    complaints (an import digest), else the inbox (absolute URL)."""
    if complaint_number:
        return site_url(reverse("complaints:detail", args=[complaint_number]))
    case = data.get("case") if isinstance(data, dict) else None
    if case:
        return site_url(reverse("investigations:detail", args=[str(case)]))
    job = data.get("import_job") if isinstance(data, dict) else None
    if isinstance(job, int) and not isinstance(job, bool):
        return site_url(f"{reverse('complaints:list')}?import_job={job}")
    return site_url(reverse("notifications:inbox"))
