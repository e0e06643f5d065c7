"""/api/v1/complaints/{number}/pause and /resume: the complaint waits on the customer, and stops
waiting. Thin endpoints over the sla pause services (which lock the complaint and check who may act)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from closeloop.accounts.models import User
from closeloop.api.complaint_out import complaint_out
from closeloop.api.complaints import ERRORS
from closeloop.api.schemas import ClockPauseIn, ComplaintOut
from closeloop.complaints import selectors
from closeloop.sla import services as sla

router = Router(tags=["complaints"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.post(
    "/complaints/{number}/pause",
    response={200: ComplaintOut, **ERRORS},
    summary="Pause the deadlines while waiting on the customer",
)
def complaint_pause(request: HttpRequest, number: str, payload: ClockPauseIn) -> dict[str, Any]:
    """Stops the complaint's deadline clocks (owner or quality roles); 422 naming ``reason`` for an
    unknown reason or a clock already paused, ``complaint`` for an ended complaint."""
    user = _user(request)
    c = selectors.complaint_get_for_user(user=user, number=number)
    sla.complaint_clock_pause(complaint=c, reason=payload.reason, note=payload.note, actor=user)
    return complaint_out(selectors.complaint_get_for_user(user=user, number=number), user)


@router.post(
    "/complaints/{number}/resume",
    response={200: ComplaintOut, **ERRORS},
    summary="Resume the deadlines: the customer answered",
)
def complaint_resume(request: HttpRequest, number: str) -> dict[str, Any]:
    """Restarts the clocks; unmet deadlines move later by the wait (working time for working units).
    422 naming ``complaint`` when its clock is not paused."""
    user = _user(request)
    c = selectors.complaint_get_for_user(user=user, number=number)
    sla.complaint_clock_resume(complaint=c, actor=user)
    return complaint_out(selectors.complaint_get_for_user(user=user, number=number), user)
