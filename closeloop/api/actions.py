"""/api/v1 actions: list and add a complaint's actions, move one along its lifecycle."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from closeloop.accounts.models import User
from closeloop.actions import selectors, services
from closeloop.actions.models import Action
from closeloop.api.schemas import ErrorOut
from closeloop.complaints.selectors import complaint_get_for_user
from closeloop.core.errors import NotFound, ValidationFailed

router = Router(tags=["actions"])
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field("", max_length=200)
    kind: Literal["containment", "corrective", "preventive", "horizontal", "task"] = "task"
    owner: str = ""
    due_date: dt.date | None = None
    description: str = Field("", max_length=5000)


class ActionStepIn(Schema):
    model_config = ConfigDict(extra="forbid")
    version: int | None = None
    note: str = Field("", max_length=5000)


class ActionOut(Schema):
    id: int
    complaint: str
    kind: str
    title: str
    owner: str
    requested_by: str
    due_date: dt.date
    status: str
    done_note: str
    verification_note: str
    version: int
    investigation: str | None = None
    step: int | None = None
    department: str | None = None
    start_date: dt.date | None = None
    tracker: str | None = None


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def action_out(a: Action) -> dict[str, Any]:
    return {
        "id": a.pk,
        "complaint": a.complaint.number,
        "kind": a.kind,
        "title": a.title,
        "owner": a.owner.username,
        "requested_by": a.requested_by.username,
        "due_date": a.due_date,
        "status": a.status,
        "done_note": a.done_note,
        "verification_note": a.verification_note,
        "version": a.version,
        "investigation": a.investigation.number if a.investigation else None,
        "step": a.step,
        "department": a.department.code if a.department else None,
        "start_date": a.start_date,
        "tracker": a.tracker.username if a.tracker else None,
    }


@router.get("/complaints/{number}/actions", response={200: list[ActionOut], **ERRORS}, summary="List actions")
def actions_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    c = complaint_get_for_user(user=_user(request), number=number)
    return [
        action_out(a)
        for a in selectors.action_for_complaint_list(complaint_id=c.pk).select_related("complaint")
    ]


@router.post("/complaints/{number}/actions", response={201: ActionOut, **ERRORS}, summary="Add an action")
def action_add(request: HttpRequest, number: str, payload: ActionIn) -> Status:
    user = _user(request)
    c = complaint_get_for_user(user=user, number=number)
    owner = User.objects.filter(username=payload.owner, is_active=True).first() if payload.owner else None
    if payload.owner and owner is None:
        raise ValidationFailed(
            fields={"owner": [_("No active user is called “%(name)s”.") % {"name": payload.owner}]}
        )
    a = services.action_create(
        complaint=c,
        actor=user,
        title=payload.title,
        owner=owner,
        due_date=payload.due_date,
        kind=payload.kind,
        description=payload.description,
    )
    return Status(201, action_out(a))


@router.post(
    "/actions/{action_id}/{step}",
    response={200: ActionOut, **ERRORS},
    summary="Start, complete, verify or reject an action",
)
def action_step(
    request: HttpRequest,
    action_id: int,
    step: Literal["start", "complete", "verify", "reject"],
    payload: ActionStepIn,
) -> dict[str, Any]:
    """``start`` and ``complete`` (with ``note``: what was done) are the owner's; ``verify`` (note: how
    the effect was checked) and ``reject`` (note: why not) belong to whoever asked, or the quality team."""
    user = _user(request)
    a = selectors.action_get_for_user(user=user, action_id=action_id)
    if a is None:
        raise NotFound()
    if step == "start":
        a = services.action_start(action=a, actor=user, expected_version=payload.version)
    elif step == "complete":
        a = services.action_complete(
            action=a, actor=user, note=payload.note, expected_version=payload.version
        )
    elif step == "verify":
        a = services.action_verify(action=a, actor=user, note=payload.note, expected_version=payload.version)
    else:
        a = services.action_reject(
            action=a, actor=user, reason=payload.note, expected_version=payload.version
        )
    return action_out(a)
