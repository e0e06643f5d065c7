"""The email that carries a handling report to the customer contact (outbox channel ``report``)."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.notifications.channels import PermanentDeliveryError
from closeloop.notifications.channels.email import email_headers
from closeloop.notifications.models import Delivery
from closeloop.reports.handling_pdf import handling_report_pdf
from closeloop.reports.models import HandlingReport, ReportLanguage


def handling_report_email_build(delivery: Delivery) -> EmailMultiAlternatives:
    """Build the message for a ``report`` delivery: a short text in the report's language and the PDF
    of that exact version attached. Raises PermanentDeliveryError when the report is gone."""
    payload = delivery.payload if isinstance(delivery.payload, dict) else {}
    report_id = payload.get("handling_report")
    report = (
        HandlingReport.objects.select_related(
            "complaint__customer", "complaint__product", "created_by", "reviewed_by"
        )
        .filter(pk=int(report_id) if report_id is not None else 0)
        .first()
    )
    if report is None or not payload.get("to"):
        raise PermanentDeliveryError("the handling report of this delivery no longer exists")
    c = report.complaint
    language = "zh-hans" if report.language == ReportLanguage.BILINGUAL else report.language
    with translation.override(language):
        subject = _("Handling report for complaint %(number)s: %(title)s") % {
            "number": c.number,
            "title": c.title,
        }
        greeting = _("Dear %(name)s,") % {"name": payload.get("name") or c.customer.name}
        body = "\n\n".join(
            [
                greeting,
                _("Attached is our handling report (version %(version)s) for your complaint %(number)s.")
                % {"version": report.version, "number": c.number},
                _("Please tell us whether you accept it, or what is still missing."),
                _("Kind regards"),
            ]
        )
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        to=[payload["to"]],
        headers=email_headers(delivery.event_id),
    )
    message.attach(f"{c.number}-v{report.version}.pdf", handling_report_pdf(report), "application/pdf")
    return message
