"""Reads of handling reports, scoped to the complaints the user may see."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.customers.pii import email_for
from closeloop.reports.handling_workflow import APPROVE_PERMISSION
from closeloop.reports.models import HandlingReport, ReportLanguage
from closeloop.reports.pack_jobs import PACK_PERMISSION

SECTION_LABELS = [
    ("reported", gettext_lazy("What was reported")),
    ("found", gettext_lazy("What was found")),
    ("done_now", gettext_lazy("What was done now")),
    ("prevention", gettext_lazy("What was changed so it will not happen again")),
]


def handling_report_get_for_user(*, user: User, report_id: int) -> HandlingReport | None:
    """The report if its complaint is visible to ``user``; None otherwise (the caller answers 404)."""
    return (
        HandlingReport.objects.select_related(
            "complaint__customer__sales_owner",
            "complaint__product",
            "complaint__contact",
            "complaint__owner",
            "complaint__created_by",
            "created_by",
            "reviewed_by",
            "sent_by",
        )
        .filter(pk=report_id, complaint__in=complaint_visible_qs(user=user))
        .first()
    )


def handling_card_context(
    *, user: User, complaint: Complaint, versions: list[HandlingReport] | None = None
) -> dict[str, Any]:
    """What the complaint page's handling-report card shows: the versions (newest first), the latest,
    what this user may do with it, and the customer's contacts that can receive it (emails masked for
    people who may not read them; the server looks the address up by contact), listed only when the
    latest version is approved and this user may send it (the only time the card offers them).

    ``versions``: the complaint's versions, newest first, each with its reviewer, when the caller has
    read them already (the complaint page reads them with its other rows); read here otherwise."""
    from closeloop.reports.handling import handling_report_can_write

    if versions is None:
        # The card names only the reviewer. A complaint has a few versions: they are put in order
        # here, newest first, because an ORDER BY compiled against a select with joined users costs
        # more than the query itself (Django hashes every selected column to match the ordering).
        versions = sorted(
            HandlingReport.objects.filter(complaint=complaint).select_related("reviewed_by").order_by(),
            key=lambda r: r.version,
            reverse=True,
        )
    latest = versions[0] if versions else None
    can_write = handling_report_can_write(user, complaint)
    # The contacts are offered only on an approved report that this user may send.
    contacts = (
        [
            {"id": ct.pk, "name": ct.name, "email": email_for(user, ct.email)}
            for ct in complaint.customer.contacts.exclude(email="").order_by("pk")
        ]
        if latest is not None and latest.status == "approved" and can_write
        else []
    )
    return {
        "handling_reports": versions,
        "handling_report": latest,
        "handling_can_write": can_write,
        "handling_can_approve": user.has_perm(APPROVE_PERMISSION),
        "handling_can_draft": can_write
        and complaint.status in ("in_progress", "awaiting_customer", "closed"),
        "handling_contacts": contacts,
        "handling_languages": ReportLanguage.choices,
        "can_audit_pack": user.has_perm(PACK_PERMISSION),
        "handling_sections": [(key, str(label)) for key, label in SECTION_LABELS],
    }
