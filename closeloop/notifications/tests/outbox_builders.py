"""Deterministic builders for the delivery tests: people with addresses, robots on a rule, and outbox
rows written by the real ``notification_send``."""

from __future__ import annotations

import datetime as dt

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.notifications.models import Delivery, Notification, NotificationRule, WebhookEndpoint
from closeloop.notifications.services import notification_send


def person(
    username: str, *, language: str = "zh-hans", time_zone: str = "", email: str | None = None
) -> User:
    return user_make(
        username,
        roles.QUALITY_ENGINEER,
        language=language,
        time_zone=time_zone,
        email=f"{username}@example.com" if email is None else email,
    )


def robot(
    kind: str,
    url: str,
    *,
    secret: str = "",
    language: str = "zh-hans",
    allow_private: bool = True,
    event: str = "complaint_assigned",
) -> WebhookEndpoint:
    """A webhook endpoint posted to by a rule for ``event`` (the tests' receivers are on 127.0.0.1,
    hence ``allow_private`` unless a test checks the guard)."""
    endpoint = WebhookEndpoint.objects.create(
        name=f"{kind} robot",
        kind=kind,
        url=url,
        secret=secret,
        language=language,
        allow_private=allow_private,
    )
    rule = NotificationRule.objects.create(name=f"{event} → {kind}", event=event)
    rule.webhooks.add(endpoint)
    return endpoint


def assign(complaint: Complaint, actor: User, *people: User) -> list[Notification]:
    """Tell ``people`` that the complaint is theirs (one email each when they have an address, and one
    post per robot on a ``complaint_assigned`` rule)."""
    return notification_send(
        verb="complaint_assigned",
        recipients=dict.fromkeys(people, "owner"),
        actor=actor,
        complaint=complaint,
        data={"number": complaint.number, "title": complaint.title},
    )


def mine(**filters: object) -> list[Delivery]:
    return list(Delivery.objects.filter(**filters).order_by("pk"))


def advance_to(instant: dt.datetime) -> dt.datetime:
    """Move the frozen clock to ``instant`` (later than now) and return it."""
    assert instant >= clock.now()
    clock.freeze(instant)
    return instant


def advance_past_retries() -> dt.datetime:
    """Move the frozen clock to the latest scheduled retry, so every waiting row is due."""
    latest = max(d.next_attempt_at for d in Delivery.objects.filter(status="pending"))
    return advance_to(max(latest, clock.now()))
