"""Who hears about a handling report, and the outbox row that carries it to the customer. Runs inside
the services' transactions (see :func:`closeloop.notifications.services.notification_send`)."""

from __future__ import annotations

import uuid
from typing import Any

from closeloop.accounts.models import User
from closeloop.core import clock
from closeloop.notifications.models import Channel, Delivery
from closeloop.notifications.outbox import deliveries_kick
from closeloop.notifications.services import notification_send
from closeloop.reports.handling_workflow import APPROVE_PERMISSION
from closeloop.reports.models import HandlingReport


def _data(r: HandlingReport, **extra: Any) -> dict[str, Any]:
    return {"number": r.complaint.number, "title": r.complaint.title, "version": r.version, **extra}


def _send(verb: str, r: HandlingReport, recipients: dict[User, str], actor: User, **extra: Any) -> None:
    notification_send(
        verb=verb,
        recipients=recipients,
        actor=actor,
        complaint=r.complaint,
        investigation_id=r.complaint.investigation_id,
        data=_data(r, **extra),
    )


def _people_behind(r: HandlingReport) -> dict[User, str]:
    c = r.complaint
    out: dict[User, str] = {r.created_by: "report_author"}
    if c.owner is not None:
        out.setdefault(c.owner, "owner")
    if c.created_by is not None:
        out.setdefault(c.created_by, "recorder")
    if c.customer.sales_owner is not None:
        out.setdefault(c.customer.sales_owner, "sales_owner")
    return out


def review_requested(*, report: HandlingReport, actor: User) -> None:
    """Ask every sales manager (whoever may approve) to review it."""
    from closeloop.investigations.notify import users_with_permission

    _send(
        "handling_report_review",
        report,
        dict.fromkeys(users_with_permission(APPROVE_PERMISSION), "approver"),
        actor,
    )


def reviewed(*, report: HandlingReport, actor: User, approved: bool) -> None:
    verb = "handling_report_approved" if approved else "handling_report_returned"
    _send(verb, report, {report.created_by: "report_author"}, actor, note=report.review_note)


def sent(*, report: HandlingReport, actor: User) -> None:
    """The "report sent" event: the people behind the complaint, plus whoever the rules add."""
    _send("report_sent", report, _people_behind(report), actor, to=report.sent_to)


def answered(*, report: HandlingReport, actor: User) -> None:
    accepted = report.status == "accepted"
    reason = f"({report.answer_reason})" if report.answer_reason else ""
    _send("report_answered", report, _people_behind(report), actor, answer=accepted, reason=reason)


def report_email_enqueue(*, report: HandlingReport) -> int:
    """Write the outbox row that emails the report's PDF to ``report.sent_to`` after the commit (the
    worker renders the PDF from this frozen version, so a retry sends the same document)."""
    now = clock.now()
    row = Delivery.objects.create(
        channel=Channel.REPORT,
        event_id=uuid.uuid4(),
        verb="report_sent",
        payload={"handling_report": report.pk, "to": report.sent_to, "name": report.sent_to_name},
        next_attempt_at=now,
        created_at=now,
    )
    from django.db import transaction

    transaction.on_commit(deliveries_kick)
    return row.pk
