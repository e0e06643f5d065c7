"""The only writers of handling reports (客户投诉处理报告).

Every service runs in one transaction, locks the complaint row first and then the report row (always in
that order), checks the literal table in :mod:`handling_workflow`, writes a timeline event on the
complaint and the notifications in the same transaction. Sending writes an outbox row: the email with
the PDF attached leaves after the commit, through the worker, with retries.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints import events
from closeloop.complaints.handling import complaint_can_handle, complaint_record_verdict
from closeloop.complaints.models import Complaint
from closeloop.complaints.services import complaint_lock
from closeloop.complaints.workflow import Status
from closeloop.core import clock
from closeloop.core.errors import Conflict, FieldErrors, PermissionDenied, ValidationFailed
from closeloop.reports import handling_notify as notify
from closeloop.reports.handling_draft import handling_report_draft_text
from closeloop.reports.handling_workflow import (
    APPROVE_PERMISSION,
    EDITABLE,
    UNSENT,
    check_handling_transition,
)
from closeloop.reports.models import HandlingReport, ReportLanguage
from closeloop.reports.models import HandlingReportStatus as S

SECTIONS = ("reported", "found", "done_now", "prevention")
SECTION_MAX = 5000


def handling_report_can_write(user: User, complaint: Complaint) -> bool:
    """The complaint's handlers write the report; the customer's salesperson may too (they know the
    customer); the sales manager reviews it."""
    return complaint_can_handle(user=user, complaint=complaint) or (
        complaint.customer.sales_owner_id is not None and complaint.customer.sales_owner_id == user.pk
    )


def _check_writer(user: User, complaint: Complaint) -> None:
    if not handling_report_can_write(user, complaint):
        raise PermissionDenied(_("Only the complaint's handlers or the customer's salesperson may do this."))


def _locked(report: HandlingReport) -> tuple[Complaint, HandlingReport]:
    complaint = complaint_lock(report.complaint, None)
    locked = HandlingReport.objects.select_for_update().get(pk=report.pk)
    return complaint, locked


def _event(
    c: Complaint, r: HandlingReport, verb: str, actor: User | None, note: str = "", **data: Any
) -> None:
    events.event_record(
        complaint=c, verb=verb, actor=actor, note=note, data={"report_version": r.version, **data}
    )


def _move(r: HandlingReport, target: str) -> None:
    check_handling_transition(r.status, target)
    r.status = target


@transaction.atomic
def handling_report_create(
    *, complaint: Complaint, actor: User, language: str = ReportLanguage.ZH
) -> HandlingReport:
    """Start a new version drafted from the record. An earlier version the customer never received is
    superseded; sent ones stay in the ledger. Raises PermissionDenied, ValidationFailed (``language``)."""
    c = complaint_lock(complaint, None)
    _check_writer(actor, c)
    if language not in ReportLanguage.values:
        raise FieldErrors.single("language", _("Choose the report's language."))
    if c.status in (Status.NEW, Status.REJECTED, Status.MERGED):
        raise ValidationFailed(_("A handling report is written once the complaint is accepted and handled."))
    for old in HandlingReport.objects.select_for_update().filter(complaint=c, status__in=list(UNSENT)):
        _move(old, S.SUPERSEDED)
        old.save(update_fields=["status"])
    last = HandlingReport.objects.filter(complaint=c).aggregate(v=Max("version"))["v"] or 0
    r = HandlingReport.objects.create(
        complaint=c,
        version=last + 1,
        language=language,
        created_by=actor,
        created_at=clock.now(),
        **handling_report_draft_text(c),
    )
    _event(c, r, "handling_report_drafted", actor)
    return r


@transaction.atomic
def handling_report_save(
    *, report: HandlingReport, actor: User, expected_version: int | None, language: str, **sections: str
) -> HandlingReport:
    """Save the handler's edits of a draft (``reported``, ``found``, ``done_now``, ``prevention``). A
    stale ``expected_version`` is a Conflict carrying the current text. Raises PermissionDenied,
    TransitionNotAllowed (not a draft), ValidationFailed (by field)."""
    c, r = _locked(report)
    _check_writer(actor, c)
    if r.status not in EDITABLE:
        check_handling_transition(r.status, S.DRAFT)
    if expected_version is not None and expected_version != r.edit_version:
        raise Conflict(extra={"current_version": r.edit_version, **{k: getattr(r, k) for k in SECTIONS}})
    errors = FieldErrors()
    if language not in ReportLanguage.values:
        errors.add("language", _("Choose the report's language."))
    for key in SECTIONS:
        value = (sections.get(key) or "").strip()
        if len(value) > SECTION_MAX:
            errors.add(key, _("At most %(n)s characters.") % {"n": SECTION_MAX})
        setattr(r, key, value)
    errors.raise_if_any()
    r.language = language
    r.edit_version += 1
    r.save()
    return r


@transaction.atomic
def handling_report_submit(*, report: HandlingReport, actor: User) -> HandlingReport:
    """Draft → waiting for the sales manager; every section must say something."""
    c, r = _locked(report)
    _check_writer(actor, c)
    errors = FieldErrors()
    for key in SECTIONS:
        if not getattr(r, key).strip():
            errors.add(key, _("Fill in this section before asking for approval."))
    errors.raise_if_any()
    _move(r, S.IN_REVIEW)
    r.submitted_at = clock.now()
    r.save(update_fields=["status", "submitted_at"])
    _event(c, r, "handling_report_submitted", actor)
    notify.review_requested(report=r, actor=actor)
    return r


def _check_reviewer(actor: User) -> None:
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("Only a sales manager approves handling reports."))


@transaction.atomic
def handling_report_approve(*, report: HandlingReport, actor: User, note: str = "") -> HandlingReport:
    """The sales manager approves the text the customer will receive."""
    c, r = _locked(report)
    _check_reviewer(actor)
    _move(r, S.APPROVED)
    r.reviewed_by, r.reviewed_at, r.review_note = actor, clock.now(), (note or "").strip()
    r.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    _event(c, r, "handling_report_approved", actor, note=r.review_note)
    notify.reviewed(report=r, actor=actor, approved=True)
    return r


@transaction.atomic
def handling_report_return(*, report: HandlingReport, actor: User, note: str) -> HandlingReport:
    """The sales manager sends the draft back with what to change (required)."""
    c, r = _locked(report)
    _check_reviewer(actor)
    note = (note or "").strip()
    if not note:
        raise FieldErrors.single("note", _("Say what should change."))
    _move(r, S.DRAFT)
    r.reviewed_by, r.reviewed_at, r.review_note = actor, clock.now(), note
    r.edit_version += 1
    r.save()
    _event(c, r, "handling_report_returned", actor, note=note)
    notify.reviewed(report=r, actor=actor, approved=False)
    return r


@transaction.atomic
def handling_report_send(
    *, report: HandlingReport, actor: User, to_email: str, to_name: str = ""
) -> HandlingReport:
    """Send an approved version to the customer contact by email with the PDF attached (through the
    outbox: it leaves after the commit, retried until delivered). Raises ValidationFailed (``to_email``),
    TransitionNotAllowed (not approved: the sales manager must approve first), PermissionDenied."""
    c, r = _locked(report)
    _check_writer(actor, c)
    to_email = (to_email or "").strip()
    try:
        validate_email(to_email)
    except DjangoValidationError as exc:
        raise FieldErrors.single("to_email", _("Enter the customer contact's email address.")) from exc
    _move(r, S.SENT)
    r.sent_by, r.sent_at, r.sent_to, r.sent_to_name = (
        actor,
        clock.now(),
        to_email,
        (to_name or "").strip()[:100],
    )
    r.delivery_id = notify.report_email_enqueue(report=r)
    r.save(update_fields=["status", "sent_by", "sent_at", "sent_to", "sent_to_name", "delivery_id"])
    _event(c, r, "handling_report_sent", actor, to=to_email)
    notify.sent(report=r, actor=actor)
    return r


@transaction.atomic
def handling_report_answer(
    *,
    report: HandlingReport,
    actor: User,
    accepted: bool,
    reason: str = "",
    score: int | None = None,
    reopen_step: int | None = None,
) -> HandlingReport:
    """Record the customer's answer to a sent version. Accepted, with the complaint waiting for the
    customer, closes it (``score`` 1–5 required); rejected (``reason`` required) reopens the loop: the
    complaint goes back to handling, as the customer's verdict does (on the 8D path a quality manager
    records it and chooses ``reopen_step``). Raises ValidationFailed by field, PermissionDenied."""
    c, r = _locked(report)
    _check_writer(actor, c)
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise FieldErrors.single("reason", _("Say why the customer rejected the report."))
    _move(r, S.ACCEPTED if accepted else S.REJECTED)
    r.answered_at, r.answer_reason, r.answer_recorded_by = clock.now(), reason, actor
    r.save(update_fields=["status", "answered_at", "answer_reason", "answer_recorded_by"])
    _event(c, r, "handling_report_accepted" if accepted else "handling_report_rejected", actor, note=reason)
    if c.status == Status.AWAITING_CUSTOMER:
        complaint_record_verdict(
            complaint=c,
            actor=actor,
            satisfied=accepted,
            score=score,
            comment=reason if accepted else "",
            reopen_reason=reason,
            reopen_step=reopen_step,
        )
    notify.answered(report=r, actor=actor)
    return r
