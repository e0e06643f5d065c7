"""/api/v1/complaints/{number}/start, /escalate, /resolve and /verdict: handling a complaint to the
customer's answer. Thin endpoints over ``complaints.handling`` (which locks the complaint, checks the
transition and who may act, and writes the event). They keep the operation ids they had when they lived
in ``api/complaints.py``, so generated clients do not change."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from closeloop.accounts.models import User
from closeloop.api.complaint_out import complaint_out
from closeloop.api.complaints import ERRORS
from closeloop.api.schemas import ComplaintOut, EscalateIn, ResolveIn, StartIn, VerdictIn
from closeloop.complaints import handling, selectors
from closeloop.core.errors import NotFound, ValidationFailed

router = Router(tags=["complaints"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.post(
    "/complaints/{number}/start",
    response={200: ComplaintOut, **ERRORS},
    summary="Start handling",
    operation_id="closeloop_api_complaints_complaint_start",
)
def complaint_start(request: HttpRequest, number: str, payload: StartIn) -> dict[str, Any]:
    """triaged -> in progress (owner or quality roles), on the quick-resolution path or a full 8D."""
    user = _user(request)
    c = selectors.complaint_get_for_user(user=user, number=number)
    handling.complaint_start_handling(
        complaint=c,
        actor=user,
        path=payload.path,
        investigation=_open_case(user, payload.investigation),
        expected_version=payload.version,
    )
    return complaint_out(selectors.complaint_get_for_user(user=user, number=number), user)


def _open_case(user: User, number: str | None) -> Any:
    """The 8D ``number`` the user may see, or None when none was named; a 422 naming the field otherwise."""
    if not number:
        return None
    from closeloop.investigations.selectors import investigation_get_for_user

    try:
        return investigation_get_for_user(user=user, number=number)
    except NotFound as exc:
        raise ValidationFailed(
            fields={"investigation": [_("No 8D is called “%(number)s”.") % {"number": number}]}
        ) from exc


@router.post(
    "/complaints/{number}/escalate",
    response={200: ComplaintOut, **ERRORS},
    summary="Escalate to a full 8D",
    operation_id="closeloop_api_complaints_complaint_escalate",
)
def complaint_escalate(request: HttpRequest, number: str, payload: EscalateIn) -> dict[str, Any]:
    """A quick resolution in progress becomes a full 8D (a new case, or an open one covering the same
    problem)."""
    user = _user(request)
    c = selectors.complaint_get_for_user(user=user, number=number)
    handling.complaint_escalate_to_8d(
        complaint=c,
        actor=user,
        investigation=_open_case(user, payload.investigation),
        reason=payload.reason,
        expected_version=payload.version,
    )
    return complaint_out(selectors.complaint_get_for_user(user=user, number=number), user)


@router.post(
    "/complaints/{number}/resolve",
    response={200: ComplaintOut, **ERRORS},
    summary="Resolve",
    operation_id="closeloop_api_complaints_complaint_resolve",
)
def complaint_resolve(request: HttpRequest, number: str, payload: ResolveIn) -> dict[str, Any]:
    """in progress -> awaiting customer confirmation, with what was done."""
    user = _user(request)
    c = selectors.complaint_get_for_user(user=user, number=number)
    handling.complaint_resolve(
        complaint=c, actor=user, resolution=payload.resolution, expected_version=payload.version
    )
    return complaint_out(selectors.complaint_get_for_user(user=user, number=number), user)


@router.post(
    "/complaints/{number}/verdict",
    response={200: ComplaintOut, **ERRORS},
    summary="Record the customer's answer",
    operation_id="closeloop_api_complaints_complaint_verdict",
)
def complaint_verdict(request: HttpRequest, number: str, payload: VerdictIn) -> dict[str, Any]:
    """Satisfied -> closed (score 1–5); not satisfied -> reopened (reason), counted. For a complaint whose 8D
    is closed, not satisfied also reopens the 8D at ``reopen_step`` (0–8; a quality manager's choice)."""
    user = _user(request)
    c = selectors.complaint_get_for_user(user=user, number=number)
    handling.complaint_record_verdict(
        complaint=c,
        actor=user,
        satisfied=payload.satisfied,
        score=payload.score,
        comment=payload.comment,
        reopen_reason=payload.reopen_reason,
        reopen_step=payload.reopen_step,
        expected_version=payload.version,
    )
    return complaint_out(selectors.complaint_get_for_user(user=user, number=number), user)
