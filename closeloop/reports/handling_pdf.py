"""The customer complaint handling report (客户投诉处理报告) as PDF, from one frozen version."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from closeloop.reports import pdfkit
from closeloop.reports.models import HandlingReport, ReportLanguage

SECTION_LABELS = {
    "reported": ("What you reported", "客户反映的问题"),
    "found": ("What we found", "调查结果"),
    "done_now": ("What we did at once", "已采取的处理措施"),
    "prevention": ("What we changed so it will not happen again", "防止再发生的改进措施"),
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
    r = report
    c = r.complaint
    lang = r.language
    st = pdfkit.styles()

    def L(text: str) -> str:  # noqa: N802 — reads like the gettext it wraps
        return _label(lang, text)

    story: list[Any] = [
        pdfkit.label(L("Customer complaint handling report"), st.title),
        pdfkit.label(f"{c.number} · v{r.version} · {c.title}", st.small),
        pdfkit.key_values(
            [
                (L("Customer"), c.customer.name),
                (L("Complaint"), c.number),
                (L("Product"), str(c.product) if c.product_id else ""),
                (L("Lot"), c.lot),
                (L("Received"), _when(c.received_at)),
                (L("Quantity affected"), c.quantity_affected or ""),
                (L("Contact"), r.sent_to_name or (c.contact.name if c.contact is not None else "")),
                (L("Report date"), _when(r.sent_at or r.reviewed_at or r.created_at)),
            ]
        ),
    ]
    for key, (en, _zh) in SECTION_LABELS.items():
        story.append(pdfkit.label(L(en), st.h1))
        story.append(pdfkit.para(getattr(r, key), st.body))
    story.append(pdfkit.label(L("Approval"), st.h1))
    story.append(
        pdfkit.table(
            [
                [L("Step"), L("Name"), L("Date")],
                [L("Drafted by"), str(r.created_by), _when(r.created_at)],
                [L("Approved by the sales manager"), str(r.reviewed_by or ""), _when(r.reviewed_at)],
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
