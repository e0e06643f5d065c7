"""The customer complaint handling report: drafted from the record, approved by the sales manager, sent
to the customer contact with the PDF attached through the outbox, answered — a rejection reopens the loop."""

import io

import pytest
from django.core import mail
from pypdf import PdfReader

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.notifications.models import Channel, Delivery, Notification
from closeloop.reports import handling as svc
from closeloop.reports.handling_pdf import handling_report_pdf
from closeloop.reports.models import HandlingReport

pytestmark = pytest.mark.django_db

CAUSE = "运输包装无防水措施"
PREVENTION = "尼龙薄膜"


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _approved(complaint, qe, salesmgr):
    r = svc.handling_report_create(complaint=complaint, actor=qe)
    r = svc.handling_report_submit(report=r, actor=qe)
    return svc.handling_report_approve(report=r, actor=salesmgr, note="可以发送")


def test_the_draft_comes_from_the_record(closed_case, qe):
    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    assert (r.version, r.status, r.created_by) == (1, "draft", qe)
    assert "螺丝刀杆表面生锈" in r.reported and "更换并提供8D报告" in r.reported
    assert CAUSE in r.found
    assert PREVENTION in r.prevention and "WI-PK-001" in r.prevention
    assert r.done_now.startswith("- ")
    assert ComplaintEvent.objects.filter(complaint=closed_case, verb="handling_report_drafted").count() == 1


def test_sent_only_after_the_sales_managers_approval_then_emailed_with_the_pdf(
    closed_case, qe, salesmgr, frozen_now, django_capture_on_commit_callbacks
):
    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    with pytest.raises(TransitionNotAllowed):
        svc.handling_report_send(report=r, actor=qe, to_email="wang@customer.example")
    r = svc.handling_report_submit(report=r, actor=qe)
    assert {n.recipient.username for n in Notification.objects.filter(verb="handling_report_review")} == {
        "salesmgr"
    }
    with pytest.raises(TransitionNotAllowed):
        svc.handling_report_send(report=r, actor=qe, to_email="wang@customer.example")
    with pytest.raises(PermissionDenied):
        svc.handling_report_approve(report=r, actor=qe)
    r = svc.handling_report_approve(report=r, actor=salesmgr)
    with django_capture_on_commit_callbacks(execute=False):
        r = svc.handling_report_send(report=r, actor=qe, to_email="wang@customer.example", to_name="王经理")
    assert (r.status, r.sent_at, r.sent_to, r.sent_by) == ("sent", frozen_now, "wang@customer.example", qe)
    delivery = Delivery.objects.get(pk=r.delivery_id)
    assert (delivery.channel, delivery.status) == (Channel.REPORT, "pending")

    assert deliveries_dispatch() >= 1
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    (message,) = [m for m in mail.outbox if m.to == ["wang@customer.example"]]
    assert message.extra_headers["Message-ID"] == f"<{delivery.event_id}@closeloop>"
    assert closed_case.number in message.subject and "王经理" in message.body
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (f"{closed_case.number}-v1.pdf", "application/pdf")
    text = _pdf_text(content)
    assert CAUSE in text and PREVENTION in text and "销售赵经理" in text  # the approver's name
    assert {n.recipient.username for n in Notification.objects.filter(verb="report_sent")} >= {"agent"}


def test_accepted_closes_the_complaint(closed_case, qe, salesmgr):
    r = svc.handling_report_send(
        report=_approved(closed_case, qe, salesmgr), actor=qe, to_email="a@b.example"
    )
    with pytest.raises(ValidationFailed):  # closing needs the customer's score
        svc.handling_report_answer(report=r, actor=qe, accepted=True)
    r = svc.handling_report_answer(report=r, actor=qe, accepted=True, score=5)
    closed_case.refresh_from_db()
    assert (r.status, closed_case.status) == ("accepted", "closed")
    assert closed_case.verdicts.get().score == 5


def test_a_rejection_reopens_the_loop_and_the_next_version_keeps_the_ledger(closed_case, qe, salesmgr, qm):
    r1 = svc.handling_report_send(
        report=_approved(closed_case, qe, salesmgr), actor=qe, to_email="a@b.example"
    )
    with pytest.raises(ValidationFailed) as exc:
        svc.handling_report_answer(report=r1, actor=qe, accepted=False)
    assert set(exc.value.fields) == {"reason"}
    with pytest.raises(PermissionDenied):  # on the 8D path, the quality manager chooses where to restart
        svc.handling_report_answer(report=r1, actor=qe, accepted=False, reason="未说明其他批次是否受影响")
    svc.handling_report_answer(
        report=r1, actor=qm, accepted=False, reason="未说明其他批次是否受影响", reopen_step=4
    )
    closed_case.refresh_from_db()
    assert (closed_case.status, closed_case.reopen_count) == ("in_progress", 1)
    r2 = svc.handling_report_create(complaint=closed_case, actor=qe)
    assert r2.version == 2
    assert list(HandlingReport.objects.filter(complaint=closed_case).values_list("version", "status")) == [
        (2, "draft"),
        (1, "rejected"),
    ]
    r3 = svc.handling_report_create(complaint=closed_case, actor=qm)  # replaces the unsent draft
    r2.refresh_from_db()
    assert (r2.status, r3.version) == ("superseded", 3)


def test_bad_input_is_refused_by_field(closed_case, qe, salesmgr, sales):
    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    with pytest.raises(ValidationFailed) as exc:
        svc.handling_report_save(
            report=r, actor=qe, expected_version=r.edit_version, language="fr", reported="", found="x" * 6000
        )
    assert set(exc.value.fields) == {"language", "found"}
    r.refresh_from_db()
    assert r.found != "x" * 6000  # nothing half-saved
    r = svc.handling_report_save(
        report=r,
        actor=qe,
        expected_version=r.edit_version,
        language="en",
        reported="",
        found="f",
        done_now="d",
        prevention="p",
    )
    with pytest.raises(ValidationFailed) as exc:
        svc.handling_report_submit(report=r, actor=qe)
    assert set(exc.value.fields) == {"reported"}
    from closeloop.core.errors import Conflict

    with pytest.raises(Conflict):
        svc.handling_report_save(report=r, actor=qe, expected_version=1, language="en", reported="x")
    r = svc.handling_report_save(
        report=r,
        actor=qe,
        expected_version=r.edit_version,
        language="en",
        reported="r",
        found="f",
        done_now="d",
        prevention="p",
    )
    r = svc.handling_report_submit(report=r, actor=qe)
    with pytest.raises(ValidationFailed) as exc:
        svc.handling_report_return(report=r, actor=salesmgr, note=" ")
    assert set(exc.value.fields) == {"note"}
    r = svc.handling_report_return(report=r, actor=salesmgr, note="请补充批次信息")
    assert r.status == "draft"
    r = svc.handling_report_submit(report=r, actor=qe)
    r = svc.handling_report_approve(report=r, actor=salesmgr)
    with pytest.raises(ValidationFailed) as exc:
        svc.handling_report_send(report=r, actor=qe, to_email="not an address")
    assert set(exc.value.fields) == {"to_email"}


def test_the_pdf_in_english_and_bilingual(closed_case, qe, salesmgr):
    r = _approved(closed_case, qe, salesmgr)
    r.language = "en"
    en = _pdf_text(handling_report_pdf(r))
    assert "Customer complaint handling report" in en and "What we changed so it will not happen again" in en
    assert CAUSE in en  # recorded text is shown as recorded
    r.language = "bilingual"
    both = _pdf_text(handling_report_pdf(r))
    assert "客户投诉处理报告 / Customer complaint handling report" in both


def test_only_handlers_or_the_salesperson_write_it(closed_case, agent):
    with pytest.raises(PermissionDenied):
        svc.handling_report_create(complaint=closed_case, actor=agent)
    assert not HandlingReport.objects.exists()
    assert Complaint.objects.get(pk=closed_case.pk).status == "awaiting_customer"


@pytest.mark.parametrize("language", ["zh-hans", "en", "bilingual"])
def test_the_pdf_embeds_its_font_and_every_page_renders(
    closed_case, qe, salesmgr, poppler, tmp_path, language
):
    import subprocess

    r = _approved(closed_case, qe, salesmgr)
    r.language = language
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(handling_report_pdf(r))
    fonts = subprocess.run([poppler["pdffonts"], str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all("NotoSansSC" in row[0] and "yes" in row for row in rows), fonts
    subprocess.run([poppler["pdftoppm"], "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(p.stat().st_size > 1000 for p in pages)
