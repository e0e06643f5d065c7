"""The customer complaint handling report (客户投诉处理报告) as PDF, from one frozen version."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from closeloop.reports.models import HandlingReport, ReportLanguage

# The section headings the customer reads (the catalogue holds their Chinese).
SECTION_LABELS = {
    "reported": gettext_noop("What you reported"),
    "found": gettext_noop("What we found"),
    "done_now": gettext_noop("What we did at once"),
    "prevention": gettext_noop("What we changed so it will not happen again"),
}


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _label(language: str, text: str) -> str:
    """A label in the report's language; bilingual shows Chinese, then English."""
    if language == ReportLanguage.BILINGUAL:
        with translation.override("zh-hans"):
            zh = _(text)
        with translation.override("en"):
            en = _(text)
        return zh if zh == en else f"{zh} / {en}"
    with translation.override(language):
        return _(text)


def handling_report_pdf(report: HandlingReport) -> bytes:
    """Render ``report`` (its own language: Chinese, English or both). Recorded text is printed as text."""
    # Imported here: the views and the API import this module, so at module level the URLconf would load
    # ReportLab into every process (the worker's too), though only rendering needs it.
    from reportlab.lib.units import mm

    from closeloop.reports import pdfkit

    r = report
    c = r.complaint
    lang = r.language
    st = pdfkit.styles()

    def L(text: str) -> str:  # noqa: N802 — reads like the gettext it wraps
        return _label(lang, text)

    story: list[Any] = [
        pdfkit.label(L(gettext_noop("Customer complaint handling report")), st.title),
        pdfkit.label(f"{c.number} · v{r.version} · {c.title}", st.small),
        pdfkit.key_values(
            [
                (L(gettext_noop("Customer")), c.customer.name),
                (L(gettext_noop("Complaint")), c.number),
                (L(gettext_noop("Product")), str(c.product) if c.product_id else ""),
                (L(gettext_noop("Lot")), c.lot),
                (L(gettext_noop("Received")), _when(c.received_at)),
                (L(gettext_noop("Quantity affected")), c.quantity_affected or ""),
                (
                    L(gettext_noop("Contact")),
                    r.sent_to_name or (c.contact.name if c.contact is not None else ""),
                ),
                (L(gettext_noop("Report date")), _when(r.sent_at or r.reviewed_at or r.created_at)),
            ],
            label_width=(38 if lang == ReportLanguage.BILINGUAL else 24) * mm,
        ),
    ]
    for key, en in SECTION_LABELS.items():
        story.append(pdfkit.label(L(en), st.h1))
        story.append(pdfkit.para(getattr(r, key), st.body))
    story.append(pdfkit.label(L(gettext_noop("Approval")), st.h1))
    story.append(
        pdfkit.table(
            [
                [L(gettext_noop("Step")), L(gettext_noop("Name")), L(gettext_noop("Date"))],
                [L(gettext_noop("Drafted by")), str(r.created_by), _when(r.created_at)],
                [
                    L(gettext_noop("Approved by the sales manager")),
                    str(r.reviewed_by or ""),
                    _when(r.reviewed_at),
                ],
            ],
            widths=[60 * mm, 60 * mm, pdfkit.WIDTH - 120 * mm],
            st=st,
        )
    )
    return pdfkit.render(
        story,
        title=f"{c.number} v{r.version}",
        header_left=f"Closeloop · {c.customer.name}",
        header_right=f"{c.number} · v{r.version}",
    )
