"""/api/v1 notifications: the caller's inbox, and marking it read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from closeloop.accounts.models import User
from closeloop.api.schemas import ErrorOut
from closeloop.notifications import selectors, services
from closeloop.notifications.models import Notification

router = Router(tags=["notifications"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}


class NotificationFilter(Schema):
    unread: bool = False
    limit: int = Field(50, ge=1, le=200)


class NotificationOut(Schema):
    id: int
    verb: str
    text: str
    reason: str
    reason_label: str
    complaint: str | None
    investigation_id: int | None
    created_at: dt.datetime
    read: bool


class MarkReadIn(Schema):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = Field(None, max_length=1000)


class MarkedOut(Schema):
    marked: int


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "verb": n.verb,
        "text": n.text,
        "reason": n.reason,
        "reason_label": n.reason_label,
        "complaint": getattr(n, "complaint_number", None),
        "investigation_id": n.investigation_id,
        "created_at": n.created_at,
        "read": n.is_read,
    }


@router.get(
    "/notifications", response={200: list[NotificationOut], **ERRORS}, summary="List my notifications"
)
def notifications_list(request: HttpRequest, filters: Query[NotificationFilter]) -> list[dict[str, Any]]:
    """The caller's notifications, newest first (at most ``limit``); ``unread=true`` keeps the unread
    ones. ``text`` and ``reason_label`` are in the caller's language."""
    qs = selectors.notification_list_for_user(user=_user(request), unread_only=filters.unread)
    return [notification_out(n) for n in qs[: filters.limit]]


@router.post("/notifications/read", response={200: MarkedOut, **ERRORS}, summary="Mark notifications read")
def notifications_mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """``{"ids": [...]}`` marks those of the caller's notifications read, ``{}`` all of them; ids that
    are not the caller's are ignored. Returns how many changed."""
    marked = services.notification_mark_read(user=_user(request), notification_ids=payload.ids)
    return {"marked": marked}
