"""Issue 5's acceptance on the seed case (rust on screwdriver shafts, no waterproofing in transport):
the 8D report and the handling report both carry its cause and its prevention (nylon film around each
pallet's cartons); the handling report goes out only after the sales manager's approval, through the
real services and the outbox; the preventive-action report then shows it as sent."""

import io

import pytest
from django.core import mail
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from closeloop.core.errors import TransitionNotAllowed
from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.reports import handling as svc
from closeloop.reports.eightd.data import eightd_report_data
from closeloop.reports.eightd.pdf import eightd_pdf
from closeloop.reports.exports import ledger_write
from closeloop.reports.ledgers.filters import ledger_filters_parse

pytestmark = pytest.mark.django_db

CAUSE = "运输包装无防水措施"
PREVENTION = "每托盘外箱用尼龙薄膜缠绕"


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_seed_case_documents_from_8d_to_the_preventive_action_report(closed_case, qe, qm, salesmgr):
    report = _text(
        eightd_pdf(eightd_report_data(investigation=closed_case.investigation), language="zh-hans")
    )
    assert CAUSE in report and PREVENTION in report

    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    assert CAUSE in r.found and PREVENTION in r.prevention
    r = svc.handling_report_submit(report=r, actor=qe)
    with pytest.raises(TransitionNotAllowed):  # not before the sales manager approved it
        svc.handling_report_send(report=r, actor=qe, to_email="wang@customer.example")
    r = svc.handling_report_approve(report=r, actor=salesmgr)
    r = svc.handling_report_send(report=r, actor=qe, to_email="wang@customer.example", to_name="王经理")
    deliveries_dispatch()
    (message,) = [m for m in mail.outbox if m.to == ["wang@customer.example"]]
    attached = _text(message.attachments[0][1])
    assert CAUSE in attached and PREVENTION in attached

    buf = io.BytesIO()
    with translation.override("en"):
        f = ledger_filters_parse(user=qm, kind="preventive", params={})
        ledger_write(user=qm, kind="preventive", f=f, target=buf)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    heads = [c.value for c in ws[2]]
    rows = [dict(zip(heads, [c.value for c in row], strict=True)) for row in ws.iter_rows(min_row=3)]
    mine = [row for row in rows if row["Complaint number"] == closed_case.number]
    assert mine and all(row["Sent to the customer"] == "Yes" for row in mine)
    assert mine[0]["Sent to"] == "王经理 <wang@customer.example>"
    assert PREVENTION in mine[0]["What was changed so it will not happen again"]
