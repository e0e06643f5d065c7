"""The handling-report card on the complaint page: draft, edit, approval, sending and the answer, as
people click them; errors name the field in the user's language."""

import pytest

from closeloop.reports.models import HandlingReport

pytestmark = pytest.mark.django_db


def _page(client, number):
    return client.get(f"/complaints/{number}/").content.decode()


def test_the_card_walks_a_report_from_draft_to_sent(client, closed_case, qe, salesmgr):
    n = closed_case.number
    client.force_login(qe)
    assert 'id="handling-report"' in _page(client, n) and 'id="handling-new"' in _page(client, n)
    r = client.post(f"/reports/handling/{n}/draft/", {"language": "zh-hans"})
    assert r.status_code == 302 and r["Location"].endswith("#handling-report")
    report = HandlingReport.objects.get()
    page = _page(client, n)
    assert 'id="handling-report-form"' in page and "运输包装无防水措施" in page

    # Submitting with a section emptied is refused, naming the section, and keeps the earlier text.
    form = {
        "edit_version": report.edit_version,
        "language": "zh-hans",
        "reported": report.reported,
        "found": "",
        "done_now": report.done_now,
        "prevention": report.prevention,
    }
    r = client.post(f"/reports/handling/{report.pk}/submit/", form, follow=True)
    assert "调查结果" in r.content.decode() or "What was found" in r.content.decode()
    report.refresh_from_db()
    assert report.status == "draft" and "运输包装无防水措施" in report.found

    form["found"] = "- 运输包装无防水措施，外箱受潮导致生锈"
    assert client.post(f"/reports/handling/{report.pk}/submit/", form).status_code == 302
    report.refresh_from_db()
    assert report.status == "in_review"
    assert 'id="handling-waiting"' in _page(client, n)
    assert client.post(f"/reports/handling/{report.pk}/approve/", {}).status_code == 403

    client.force_login(salesmgr)
    assert 'id="handling-review"' in _page(client, n)
    client.post(f"/reports/handling/{report.pk}/approve/", {"note": "同意"})
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == ("approved", salesmgr)

    client.force_login(qe)
    contact = closed_case.contact
    assert 'id="handling-send"' in _page(client, n)
    client.post(f"/reports/handling/{report.pk}/send/", {"contact": contact.pk})
    report.refresh_from_db()
    assert (report.status, report.sent_to, report.sent_to_name) == ("sent", contact.email, contact.name)
    page = _page(client, n)
    assert 'id="handling-answer"' in page and 'id="handling-ledger"' in page
    pdf = client.get(f"/reports/handling/{report.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_bad_address_is_named_and_nothing_is_sent(client, closed_case, qe, salesmgr):
    from closeloop.reports import handling as svc

    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    r = svc.handling_report_submit(report=r, actor=qe)
    r = svc.handling_report_approve(report=r, actor=salesmgr)
    client.force_login(qe)
    page = client.post(f"/reports/handling/{r.pk}/send/", {"contact": "", "email": "wang@"}, follow=True)
    text = page.content.decode()
    assert "发送给" in text or "Send to" in text
    r.refresh_from_db()
    assert r.status == "approved" and r.delivery_id is None


def test_reports_of_complaints_one_may_not_see_are_not_found(client, closed_case, qe, sales):
    from closeloop.reports import handling as svc

    r = svc.handling_report_create(complaint=closed_case, actor=qe)
    client.force_login(sales)  # a salesperson who does not own this customer
    assert client.get(f"/reports/handling/{r.pk}.pdf").status_code == 404
    assert client.post(f"/reports/handling/{r.pk}/save/", {}).status_code == 404
    assert client.post(f"/reports/handling/{r.pk}/explode/", {}).status_code == 404
