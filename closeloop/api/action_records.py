"""/api/v1 an action's record: its comments and evidence files (base64 in JSON, like complaint
attachments; the type is decided by the content)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from closeloop.accounts.models import User
from closeloop.actions import selectors, services
from closeloop.actions.models import Action
from closeloop.api.schemas import AttachmentIn, AttachmentOut, ErrorOut
from closeloop.core.errors import NotFound, ValidationFailed

router = Router(tags=["actions"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    body: str = Field("", max_length=5000)


class CommentOut(Schema):
    id: int
    author: str
    body: str
    created_at: dt.datetime


class EvidenceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    files: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class ActionRecordOut(Schema):
    id: int
    comments: list[CommentOut]
    evidence: list[AttachmentOut]


def _action(request: HttpRequest, action_id: int) -> tuple[User, Action]:
    user: User = request.user  # type: ignore[assignment]
    a = selectors.action_get_for_user(user=user, action_id=action_id)
    if a is None:
        raise NotFound()
    return user, a


def _record(a: Action) -> dict[str, Any]:
    return {
        "id": a.pk,
        "comments": [
            {"id": c.pk, "author": c.author.username, "body": c.body, "created_at": c.created_at}
            for c in selectors.action_comment_list(action=a)
        ],
        "evidence": [
            {
                "id": e.attachment.pk,
                "name": e.attachment.original_name,
                "content_type": e.attachment.content_type,
                "size": e.attachment.size,
                "url": f"/api/v1/complaints/{a.complaint.number}/attachments/{e.attachment.pk}",
            }
            for e in selectors.action_evidence_list(action=a)
        ],
    }


@router.get(
    "/actions/{action_id}/record", response={200: ActionRecordOut, **ERRORS}, summary="Comments and evidence"
)
def action_record(request: HttpRequest, action_id: int) -> dict[str, Any]:
    _user, a = _action(request, action_id)
    return _record(a)


@router.post(
    "/actions/{action_id}/comments", response={201: ActionRecordOut, **ERRORS}, summary="Comment on an action"
)
def action_comment(request: HttpRequest, action_id: int, payload: CommentIn) -> Status:
    """Anyone who can see the action may comment."""
    user, a = _action(request, action_id)
    services.action_comment_add(action=a, actor=user, body=payload.body)
    return Status(201, _record(a))


@router.post(
    "/actions/{action_id}/evidence", response={201: ActionRecordOut, **ERRORS}, summary="Add evidence files"
)
def action_evidence(request: HttpRequest, action_id: int, payload: EvidenceIn) -> Status:
    """The owner, tracker, requester or quality team add evidence; every file is checked by its content,
    and one refused file saves none of them."""
    user, a = _action(request, action_id)
    files = []
    for i, f in enumerate(payload.files):
        try:
            files.append((f.name, base64.b64decode(f.content_base64, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(
                fields={
                    "files": [
                        _("File %(n)s (“%(name)s”) is not valid base64.") % {"n": i + 1, "name": f.name}
                    ]
                }
            ) from exc
    services.action_evidence_add(action=a, actor=user, files=files)
    return Status(201, _record(a))
