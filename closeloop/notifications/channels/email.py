"""The email channel: one notification, or a daily digest of several, as a text + HTML email written in
the recipient's language and time zone.

Every attempt of a delivery carries the same ``Message-ID: <event_id@closeloop>`` (and
``X-Closeloop-Event-Id``), so a copy sent again after a worker died between sending and recording it
can be recognised and dropped by the receiving side.
"""

from __future__ import annotations

import contextlib
import uuid
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from closeloop.accounts.models import User
from closeloop.notifications.channels import (
    DeliveryError,
    PermanentDeliveryError,
    event_link,
    site_url,
)
from closeloop.notifications.messages import event_label
from closeloop.notifications.models import Delivery, Notification

SUBJECT_MAX = 180


def email_headers(event_id: uuid.UUID) -> dict[str, str]:
    """Headers that make every attempt of one delivery recognisably the same message."""
    return {
        "Message-ID": f"<{event_id}@closeloop>",
        "X-Closeloop-Event-Id": str(event_id),
        # RFC 3834: tells auto-responders (out-of-office replies) not to answer.
        "Auto-Submitted": "auto-generated",
    }


def _zone(user: User) -> zoneinfo.ZoneInfo:
    for name in (user.time_zone, settings.TIME_ZONE):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


@contextmanager
def recipient_locale(user: User) -> Iterator[None]:
    """Activate the recipient's language and time zone (the site's when they have none)."""
    with translation.override(user.language or settings.LANGUAGE_CODE), timezone.override(_zone(user)):
        yield


def _recipient(delivery: Delivery) -> User:
    user = delivery.recipient
    if user is None:
        raise PermanentDeliveryError("the delivery has no recipient")
    if not user.is_active:
        raise PermanentDeliveryError(f"recipient {user.username} is inactive")
    if not user.email:
        raise PermanentDeliveryError(f"recipient {user.username} has no email address")
    return user


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"


def _item(n: Notification) -> dict[str, Any]:
    """What the templates show of one notification (call with the recipient's locale active)."""
    return {
        "text": n.text,
        "event": event_label(n.verb),
        "reason": n.reason_label,
        "link": event_link(complaint_number=n.complaint.number if n.complaint else None, data=n.data),
        "created_at": n.created_at,
    }


def _message(
    *, delivery: Delivery, user: User, subject: str, template: str, context: dict[str, Any]
) -> EmailMultiAlternatives:
    context = {**context, "user": user, "inbox": site_url(reverse("notifications:inbox"))}
    text = render_to_string(f"notifications/email/{template}.txt", context)
    html = render_to_string(f"notifications/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[user.email], headers=email_headers(delivery.event_id)
    )
    message.attach_alternative(html, "text/html")
    return message


def email_notification_build(delivery: Delivery) -> EmailMultiAlternatives:
    """The email for one notification (channel ``email``). Raises PermanentDeliveryError when the
    recipient cannot receive it (inactive, no address) or the notification is gone."""
    user = _recipient(delivery)
    n = delivery.notification
    if n is None:
        raise PermanentDeliveryError("the notification of this delivery no longer exists")
    with recipient_locale(user):
        item = _item(n)
        return _message(
            delivery=delivery,
            user=user,
            subject=_one_line(f"[Closeloop] {item['text']}"),
            template="notification",
            context={"item": item},
        )


def email_digest_build(delivery: Delivery) -> EmailMultiAlternatives:
    """The daily digest (channel ``digest``): one email listing the recipient's notifications named in
    ``payload["notification_ids"]``, oldest first. Ids of other people's notifications are ignored."""
    user = _recipient(delivery)
    ids = delivery.payload.get("notification_ids") if isinstance(delivery.payload, dict) else None
    rows = list(
        Notification.objects.filter(pk__in=[int(i) for i in ids or []], recipient=user)
        .select_related("complaint")
        .order_by("created_at", "pk")
    )
    if not rows:
        raise PermanentDeliveryError("none of the digest's notifications exists any more")
    with recipient_locale(user):
        items = [_item(n) for n in rows]
        subject = ngettext(
            "[Closeloop] Daily digest: %(count)d notification",
            "[Closeloop] Daily digest: %(count)d notifications",
            len(items),
        ) % {"count": len(items)}
        return _message(
            delivery=delivery, user=user, subject=subject, template="digest", context={"items": items}
        )


def _timeout() -> float:
    """Seconds a mail server may take to answer: ``EMAIL_TIMEOUT``, else the webhook timeout. Never
    unbounded — a server that hangs must not hold a claimed row past its lease."""
    configured = getattr(settings, "EMAIL_TIMEOUT", None)
    if configured:
        return float(configured)
    return float(getattr(settings, "CLOSELOOP_WEBHOOK_TIMEOUT_SECONDS", 10))


class Mailer:
    """One mail connection for a dispatch batch, opened on first use and reopened after a failed
    message (a server that answered 421 has closed the session). When the server cannot be reached at
    all, the rest of the batch's mail fails at once with the same reason instead of each message
    waiting for its own timeout. Not thread-safe: one per dispatcher call."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None
        self._unreachable: str | None = None

    def send(self, message: EmailMultiAlternatives) -> None:
        """Send one message; raises DeliveryError (or the backend's error) when it was not accepted."""
        if self._unreachable is not None:
            raise DeliveryError(self._unreachable)
        if self._connection is None:
            connection = mail.get_connection(fail_silently=False, timeout=_timeout())
            try:
                connection.open()
            except Exception as exc:
                self._unreachable = f"mail server unreachable: {type(exc).__name__}: {exc}"
                raise DeliveryError(self._unreachable) from exc
            self._connection = connection
        try:
            accepted = self._connection.send_messages([message])
        except Exception:
            self.close()
            raise
        if accepted != 1:
            self.close()
            raise DeliveryError("the mail server did not accept the message")

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Closing a broken session must not hide the error that broke it.
            with contextlib.suppress(Exception):
                connection.close()
