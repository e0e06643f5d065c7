"""The handling report through the API: the same services and checks as the page."""

import io

import pytest
from pypdf import PdfReader

from closeloop.reports.tests.test_handling import CAUSE, PREVENTION

pytestmark = pytest.mark.django_db


def test_draft_approve_send_answer_and_the_pdf(api, closed_case, qe, salesmgr, qm):
    n = closed_case.number
    base = f"/complaints/{n}/reports/handling"
    assert api(qe).get(f"{base}.pdf").status_code == 404  # nothing drafted yet
    r = api(qe).post(base, {"language": "bilingual"})
    assert r.status_code == 201 and r.json()["version"] == 1 and CAUSE in r.json()["found"]
    assert api(qe).post(f"{base}/1/send", {"to_email": "wang@customer.example"}).status_code == 409
    assert api(qe).post(f"{base}/1/submit", {}).status_code == 200
    assert api(qe).post(f"{base}/1/approve", {"note": ""}).status_code == 403
    bad = api(salesmgr).post(f"{base}/1/return", {"note": ""})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"note"}
    assert api(salesmgr).post(f"{base}/1/approve", {"note": "同意"}).json()["status"] == "approved"
    bad = api(qe).post(f"{base}/1/send", {"to_email": "no-at-sign"})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"to_email"}
    assert (
        api(qe).post(f"{base}/1/send", {"to_email": "wang@customer.example", "extra": 1}).status_code == 422
    )
    sent = api(qe).post(f"{base}/1/send", {"to_email": "wang@customer.example", "to_name": "王经理"}).json()
    assert (sent["status"], sent["sent_to"]) == ("sent", "wang@customer.example")

    pdf = api(qe).get(f"{base}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert CAUSE in text and PREVENTION in text

    answer = api(qm).post(f"{base}/1/answer", {"accepted": False, "reason": "缺少批次追溯", "reopen_step": 4})
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    complaint = api(qe).get(f"/complaints/{n}").json()
    assert complaint["status"] == "in_progress"
    ledger = api(qe).get(base).json()
    assert [(v["version"], v["status"]) for v in ledger] == [(1, "rejected")]


def test_unknown_versions_and_invisible_complaints_are_not_found(api, closed_case, qe, sales):
    n = closed_case.number
    api(qe).post(f"/complaints/{n}/reports/handling", {})
    assert api(qe).get(f"/complaints/{n}/reports/handling.pdf", version=7).status_code == 404
    assert api(sales).get(f"/complaints/{n}/reports/handling.pdf").status_code == 404
    assert api().get(f"/complaints/{n}/reports/handling").status_code == 401
    bad = api(qe).post(f"/complaints/{n}/reports/handling", {"language": "fr"})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"language"}
