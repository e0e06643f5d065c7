"""/api/v1 8D cases: read a case with its steps and what each still lacks, save, submit, approve or send
back a step, keep the D1 team, sign off D8, add the case's actions, read its timeline.

Every write calls the same service as the 8D page, so no caller reaches a state the page's gates would
refuse. Step content is documented per step at ``GET /8d/content-schema``.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from closeloop.accounts.models import Department, User
from closeloop.actions import services as action_services
from closeloop.api.actions import ActionOut, action_out
from closeloop.api.investigation_schemas import (
    CONTENT_DOC,
    ApproveIn,
    CancelIn,
    CaseActionIn,
    CaseOut,
    CaseSummaryOut,
    EventOut,
    NoteIn,
    SendBackIn,
    StepSaveIn,
    SubmitIn,
    TeamIn,
)
from closeloop.api.schemas import ErrorOut
from closeloop.core.errors import NotFound, ValidationFailed
from closeloop.investigations import selectors, services
from closeloop.investigations.content import CONTENT_MODELS
from closeloop.investigations.models import Investigation
from closeloop.investigations.services import StepIncomplete
from closeloop.investigations.workflow import Step

router = Router(tags=["8D"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _case(request: HttpRequest, number: str) -> tuple[User, Investigation]:
    user = _user(request)
    return user, selectors.investigation_get_for_user(user=user, number=number)


def _name(u: User | None) -> str | None:
    return u.username if u is not None else None


def _summary(inv: Investigation) -> dict[str, Any]:
    return {
        "number": inv.number,
        "title": inv.title,
        "status": inv.status,
        "current_step": inv.current_step,
        "owner": inv.owner.username,
        "opened_at": inv.opened_at,
        "closed_at": inv.closed_at,
    }


def case_out(inv: Investigation) -> dict[str, Any]:
    inv = Investigation.objects.select_related("owner", "cost_verified_by", "summary_reviewed_by").get(
        pk=inv.pk
    )
    facts = selectors.gate_facts(investigation=inv)
    nav = selectors.investigation_navigator(investigation=inv, facts=facts)
    return {
        **_summary(inv),
        "reopen_count": inv.reopen_count,
        "version": inv.version,
        "complaints": [
            c.number for c in selectors.investigation_complaints(investigation=inv).order_by("pk")
        ],
        "cost_total": inv.cost_total,
        "cost_recovered": inv.cost_recovered,
        "root_cause_category": inv.root_cause_category,
        "cost_verified": {
            "by": _name(inv.cost_verified_by),
            "at": inv.cost_verified_at,
            "valid": facts.cost_verified,
        },
        "summary_reviewed": {
            "by": _name(inv.summary_reviewed_by),
            "at": inv.summary_reviewed_at,
            "valid": facts.summary_reviewed,
        },
        "team": [
            {
                "user": m.user.username,
                "name": str(m.user),
                "role": m.role,
                "department": m.department.code if m.department else None,
                "responsibility": m.responsibility,
            }
            for m in selectors.investigation_team(investigation=inv)
        ],
        "steps": [
            {
                "step": s.step,
                "label": s.label,
                "status": s.status,
                "version": s.discipline.version,
                "content": s.discipline.content,
                "missing": s.missing,
                "blocked_by": s.blocked_by,
                "return_reason": s.discipline.return_reason,
                "submitted_by": _name(s.discipline.submitted_by),
                "submitted_at": s.discipline.submitted_at,
                "approved_by": _name(s.discipline.approved_by),
                "approved_at": s.discipline.approved_at,
            }
            for s in nav
        ],
    }


def _step(step: int) -> int:
    if step not in Step.values:
        raise NotFound()
    return step


@router.get("/8d", response={200: list[CaseSummaryOut], **ERRORS}, summary="List 8D cases")
def case_list(
    request: HttpRequest, status: Literal["open", "closed", "cancelled"] | None = None
) -> list[Any]:
    """The cases the caller may see (those of complaints they may see, and their own team's), newest first."""
    return [_summary(inv) for inv in selectors.investigation_list(user=_user(request), status=status or "")]


@router.get("/8d/content-schema", response={200: dict[str, Any], **ERRORS}, summary="Step content shapes")
def content_schema(request: HttpRequest) -> dict[str, Any]:
    """The JSON schema of each step's ``content`` (keys ``D0`` … ``D8``), as PUT …/steps/{step} takes it."""
    return {f"D{step}": model.model_json_schema() for step, model in CONTENT_MODELS.items()}


@router.get("/8d/{number}", response={200: CaseOut, **ERRORS}, summary="Read an 8D case")
def case_read(request: HttpRequest, number: str) -> dict[str, Any]:
    """The case with its team, sign-offs and D0–D8: each step's status, version, content, what it still
    lacks (``missing``) and which earlier steps block it."""
    _u, inv = _case(request, number)
    return case_out(inv)


STEP_SAVE_DOC = """Save a step's content as a draft (the owner, the team, quality managers); a submitted or
approved step is refused (409 ``transition_not_allowed``). A stale ``version`` is a 409 carrying
``current_version`` and ``current_content``; malformed content is a 422 naming each field as
``content.<path>`` (e.g. ``content.rows.0.qty_bad``).

The content of each step:

"""


@router.put(
    "/8d/{number}/steps/{step}",
    response={200: CaseOut, **ERRORS},
    summary="Save a step",
    description=STEP_SAVE_DOC + CONTENT_DOC,
)
def step_save(request: HttpRequest, number: str, step: int, payload: StepSaveIn) -> dict[str, Any]:
    user, inv = _case(request, number)
    try:
        services.discipline_save(
            investigation=inv,
            step=_step(step),
            actor=user,
            content=payload.content,
            expected_version=payload.version,
        )
    except StepIncomplete:
        raise
    except ValidationFailed as exc:
        if not exc.fields:
            raise
        raise ValidationFailed(
            fields={f"content.{k}" if k != "content" else k: v for k, v in exc.fields.items()}
        ) from exc
    return case_out(inv)


@router.post("/8d/{number}/steps/{step}/submit", response={200: CaseOut, **ERRORS}, summary="Submit a step")
def step_submit(request: HttpRequest, number: str, step: int, payload: SubmitIn) -> dict[str, Any]:
    """The team submits a step for approval. Refused with 422 ``step_incomplete`` and the list ``missing``
    (the same sentences as the step's ``missing``) while the gate finds something lacking or an earlier
    step is unapproved; D8 also needs finance's cost verification and the sales manager's review."""
    user, inv = _case(request, number)
    services.discipline_submit(
        investigation=inv, step=_step(step), actor=user, expected_version=payload.version
    )
    return case_out(inv)


@router.post("/8d/{number}/steps/{step}/approve", response={200: CaseOut, **ERRORS}, summary="Approve a step")
def step_approve(request: HttpRequest, number: str, step: int, payload: ApproveIn) -> dict[str, Any]:
    """A quality manager approves a submitted step; approving D8 closes the case and its complaints
    await the customer's answer."""
    user, inv = _case(request, number)
    services.discipline_approve(investigation=inv, step=_step(step), actor=user, note=payload.note)
    return case_out(inv)


@router.post(
    "/8d/{number}/steps/{step}/send-back", response={200: CaseOut, **ERRORS}, summary="Send a step back"
)
def step_send_back(request: HttpRequest, number: str, step: int, payload: SendBackIn) -> dict[str, Any]:
    """A quality manager returns a submitted step to the team with a ``reason`` (required)."""
    user, inv = _case(request, number)
    services.discipline_send_back(investigation=inv, step=_step(step), actor=user, reason=payload.reason)
    return case_out(inv)


def _department(code: str) -> Department | None:
    if not code:
        return None
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        raise ValidationFailed(
            fields={"department": [_("No department has the code “%(code)s”.") % {"code": code}]}
        )
    return dept


def _person(username: str, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(
            fields={field: [_("No active user is called “%(name)s”.") % {"name": username}]}
        )
    return user


@router.put(
    "/8d/{number}/team/{username}", response={200: CaseOut, **ERRORS}, summary="Put a person on the team"
)
def team_set(request: HttpRequest, number: str, username: str, payload: TeamIn) -> dict[str, Any]:
    """Add a person to the D1 team or change their role (one leader, one champion)."""
    user, inv = _case(request, number)
    services.team_member_set(
        investigation=inv,
        actor=user,
        user=_person(username, "user"),
        role=payload.role,
        department=_department(payload.department),
        responsibility=payload.responsibility,
    )
    return case_out(inv)


@router.delete("/8d/{number}/team/{username}", response={200: CaseOut, **ERRORS}, summary="Take a person off")
def team_remove(request: HttpRequest, number: str, username: str) -> dict[str, Any]:
    """Take a person off the D1 team (404 if they are not on it; the leader only once another leads)."""
    user, inv = _case(request, number)
    person = User.objects.filter(username=username).first()
    if person is None:
        raise NotFound()
    services.team_member_remove(investigation=inv, actor=user, user=person)
    return case_out(inv)


@router.post("/8d/{number}/cost-verification", response={200: CaseOut, **ERRORS}, summary="Verify the cost")
def cost_verification(request: HttpRequest, number: str, payload: NoteIn) -> dict[str, Any]:
    """Finance confirms the D8 cost items and recoveries as they stand (财务认证); a later change voids it."""
    user, inv = _case(request, number)
    services.investigation_cost_verify(investigation=inv, actor=user, note=payload.note)
    return case_out(inv)


@router.post("/8d/{number}/summary-review", response={200: CaseOut, **ERRORS}, summary="Review the summary")
def summary_review(request: HttpRequest, number: str, payload: NoteIn) -> dict[str, Any]:
    """The sales manager reviews what the customer is told (D8); a later change voids it."""
    user, inv = _case(request, number)
    services.investigation_summary_review(investigation=inv, actor=user, note=payload.note)
    return case_out(inv)


@router.post(
    "/8d/{number}/signoff-request", response={200: CaseOut, **ERRORS}, summary="Ask for the sign-offs"
)
def signoff_request(request: HttpRequest, number: str) -> dict[str, Any]:
    """The team asks finance and the sales manager for the D8 sign-offs still missing."""
    user, inv = _case(request, number)
    services.investigation_signoff_request(investigation=inv, actor=user)
    return case_out(inv)


@router.post("/8d/{number}/cancel", response={200: CaseOut, **ERRORS}, summary="Cancel: no 8D needed")
def case_cancel(request: HttpRequest, number: str, payload: CancelIn) -> dict[str, Any]:
    """A quality manager cancels an open case that needs no 8D; its complaints go back to quick resolution."""
    user, inv = _case(request, number)
    services.investigation_cancel(investigation=inv, actor=user, reason=payload.reason)
    return case_out(inv)


@router.get("/8d/{number}/actions", response={200: list[ActionOut], **ERRORS}, summary="The case's actions")
def case_actions(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The case's actions (on any of its complaints), by step and due date."""
    _u, inv = _case(request, number)
    return [action_out(a) for a in selectors.investigation_actions(investigation=inv)]


@router.post("/8d/{number}/actions", response={201: ActionOut, **ERRORS}, summary="Add an action to the case")
def case_action_add(request: HttpRequest, number: str, payload: CaseActionIn) -> Status:
    """A tracked action of the case (D3 containment, D6 corrective with start, finish and tracker, D7
    horizontal deployment …), on the case's first complaint; the team adds them."""
    user, inv = _case(request, number)
    complaint = selectors.investigation_complaints(investigation=inv).order_by("pk").first()
    if complaint is None:
        raise NotFound()
    a = action_services.action_create(
        complaint=complaint,
        actor=user,
        title=payload.title,
        owner=_person(payload.owner, "owner"),
        due_date=payload.due_date,
        kind=payload.kind,
        description=payload.description,
        department=_department(payload.department),
        investigation=inv,
        step=payload.step,
        start_date=payload.start_date,
        tracker=_person(payload.tracker, "tracker"),
    )
    return Status(201, action_out(a))


@router.get("/8d/{number}/timeline", response={200: list[EventOut], **ERRORS}, summary="The case's timeline")
def case_timeline(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """What happened to the case, oldest first: ``verb`` (opened, step_saved, step_submitted,
    step_approved, step_returned, team_member_set, cost_verified, summary_reviewed, closed, reopened …),
    the ``step``, who and when, the note and the event's data."""
    _u, inv = _case(request, number)
    return [
        {
            "verb": e.verb,
            "step": e.step,
            "actor": _name(e.actor),
            "created_at": e.created_at,
            "note": e.note,
            "data": e.data,
        }
        for e in selectors.investigation_timeline(investigation=inv)
    ]
