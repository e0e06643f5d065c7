"""/api/v1/complaints/{number}/reports/handling…: the customer handling report's versions, its PDF and
its workflow — the same services (and checks) as the complaint page's card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from closeloop.accounts.models import User
from closeloop.api.complaints import ERRORS
from closeloop.api.schemas import Strict
from closeloop.complaints import selectors
from closeloop.core.errors import NotFound
from closeloop.reports import handling as svc
from closeloop.reports.handling_pdf import handling_report_pdf
from closeloop.reports.models import HandlingReport

router = Router(tags=["reports"])


class HandlingReportOut(Schema):
    version: int
    status: str
    language: str
    reported: str
    found: str
    done_now: str
    prevention: str
    edit_version: int
    created_by: str
    created_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str
    sent_at: dt.datetime | None
    sent_to: str
    answered_at: dt.datetime | None
    answer_reason: str


class HandlingCreateIn(Strict):
    language: str = "zh-hans"


class HandlingSaveIn(Strict):
    edit_version: int
    language: str
    reported: str = Field("", max_length=20000)
    found: str = Field("", max_length=20000)
    done_now: str = Field("", max_length=20000)
    prevention: str = Field("", max_length=20000)


class HandlingNoteIn(Strict):
    note: str = Field("", max_length=2000)


class HandlingSendIn(Strict):
    to_email: str = Field(..., max_length=254)
    to_name: str = Field("", max_length=100)


class HandlingAnswerIn(Strict):
    accepted: bool
    reason: str = Field("", max_length=2000)
    score: int | None = None
    reopen_step: int | None = None


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _out(r: HandlingReport) -> dict[str, Any]:
    return {
        **{f: getattr(r, f) for f in HandlingReportOut.model_fields if hasattr(r, f)},
        "created_by": str(r.created_by),
        "reviewed_by": str(r.reviewed_by) if r.reviewed_by_id else None,
    }


def _version(request: HttpRequest, number: str, version: int | None) -> HandlingReport:
    """The visible complaint's report at ``version`` (the latest when None); NotFound otherwise."""
    c = selectors.complaint_get_for_user(user=_user(request), number=number)
    qs = HandlingReport.objects.filter(complaint=c).select_related(
        "complaint__customer", "complaint__product", "complaint__contact", "created_by", "reviewed_by"
    )
    r = qs.filter(version=version).first() if version is not None else qs.order_by("-version").first()
    if r is None:
        raise NotFound(
            "This complaint has no handling report yet." if version is None else "No such version."
        )
    return r


@router.get(
    "/complaints/{number}/reports/handling",
    response={200: list[HandlingReportOut], **ERRORS},
    summary="The handling report's versions, newest first (the ledger of what was sent and answered)",
)
def handling_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    c = selectors.complaint_get_for_user(user=_user(request), number=number)
    rows = HandlingReport.objects.filter(complaint=c).select_related("created_by", "reviewed_by")
    return [_out(r) for r in rows.order_by("-version")]


@router.get(
    "/complaints/{number}/reports/handling.pdf",
    response={200: None, **ERRORS},
    summary="The handling report as PDF (the latest version, or ?version=n)",
)
def handling_pdf(request: HttpRequest, number: str, version: int | None = None) -> HttpResponse:
    r = _version(request, number, version)
    response = HttpResponse(handling_report_pdf(r), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{r.complaint.number}-v{r.version}.pdf"'
    return response


@router.post(
    "/complaints/{number}/reports/handling",
    response={201: HandlingReportOut, **ERRORS},
    summary="Draft a new version from the record",
)
def handling_create(request: HttpRequest, number: str, payload: HandlingCreateIn) -> Status:
    c = selectors.complaint_get_for_user(user=_user(request), number=number)
    return Status(
        201, _out(svc.handling_report_create(complaint=c, actor=_user(request), language=payload.language))
    )


@router.put(
    "/complaints/{number}/reports/handling/{version}",
    response={200: HandlingReportOut, **ERRORS},
    summary="Save a draft's text (409 with the current text when edit_version is stale)",
)
def handling_save(request: HttpRequest, number: str, version: int, payload: HandlingSaveIn) -> dict[str, Any]:
    r = _version(request, number, version)
    data = payload.model_dump()
    return _out(
        svc.handling_report_save(
            report=r,
            actor=_user(request),
            expected_version=data.pop("edit_version"),
            language=data.pop("language"),
            **data,
        )
    )


def _step_route(step: str, summary: str) -> Any:
    return router.post(
        f"/complaints/{{number}}/reports/handling/{{version}}/{step}",
        response={200: HandlingReportOut, **ERRORS},
        summary=summary,
    )


@_step_route("submit", "Ask the sales manager to approve a draft (every section filled)")
def handling_submit(request: HttpRequest, number: str, version: int) -> dict[str, Any]:
    return _out(svc.handling_report_submit(report=_version(request, number, version), actor=_user(request)))


@_step_route("approve", "Approve the text the customer will receive (sales manager)")
def handling_approve(
    request: HttpRequest, number: str, version: int, payload: HandlingNoteIn
) -> dict[str, Any]:
    r = _version(request, number, version)
    return _out(svc.handling_report_approve(report=r, actor=_user(request), note=payload.note))


@_step_route("return", "Send a draft back with what to change (sales manager; note required)")
def handling_return(
    request: HttpRequest, number: str, version: int, payload: HandlingNoteIn
) -> dict[str, Any]:
    r = _version(request, number, version)
    return _out(svc.handling_report_return(report=r, actor=_user(request), note=payload.note))


@_step_route("send", "Email the approved version's PDF to the customer contact (refused before approval)")
def handling_send(request: HttpRequest, number: str, version: int, payload: HandlingSendIn) -> dict[str, Any]:
    r = _version(request, number, version)
    return _out(
        svc.handling_report_send(
            report=r, actor=_user(request), to_email=payload.to_email, to_name=payload.to_name
        )
    )


@_step_route("answer", "Record the customer's answer; a rejection reopens the complaint")
def handling_answer(
    request: HttpRequest, number: str, version: int, payload: HandlingAnswerIn
) -> dict[str, Any]:
    r = _version(request, number, version)
    return _out(svc.handling_report_answer(report=r, actor=_user(request), **payload.model_dump()))
