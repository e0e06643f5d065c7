"""Downloading the 8D report: the API (/api/v1/complaints/{n}/reports/8d.pdf|.docx) and the staff pages
(/reports/8d/<case>.pdf|.docx), with the complaint's and the case's access rules."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pytest

from closeloop.accounts import roles
from closeloop.accounts.services import api_token_create
from closeloop.accounts.tests.factories import user_make
from closeloop.reports.tests.eightd.helpers import pdf_text

pytestmark = pytest.mark.django_db
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _token, raw = api_token_create(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def url(number: str, ext: str) -> str:
    return f"/api/v1/complaints/{number}/reports/8d.{ext}"


def test_the_api_serves_the_pdf_and_the_docx(client, seed_case, complaint, qm):
    r = client.get(url(complaint.number, "pdf"), {"lang": "en"}, **bearer(qm))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and "8D-2026-0001" in pdf_text(r.content)
    name = quote("8D-2026-0001 螺丝刀杆生锈 en.pdf", safe="")
    assert r["Content-Disposition"] == (
        f"attachment; filename=\"8D-2026-0001-en.pdf\"; filename*=UTF-8''{name}"
    )
    r = client.get(url(complaint.number, "docx"), {"lang": "bilingual"}, **bearer(qm))
    assert r.status_code == 200 and r["Content-Type"] == DOCX
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert 'filename="8D-2026-0001-bilingual.docx"' in r["Content-Disposition"]


def test_the_language_defaults_to_the_callers_and_a_bad_one_is_422_naming_lang(
    client, seed_case, complaint, qm
):
    r = client.get(url(complaint.number, "pdf"), **bearer(qm))  # qm's language: zh-hans
    assert r.status_code == 200 and "zh-hans.pdf" in r["Content-Disposition"]
    r = client.get(url(complaint.number, "pdf"), {"lang": "klingon"}, **bearer(qm))
    assert r.status_code == 422 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == "validation_error" and list(body["fields"]) == ["lang"]


def test_a_complaint_without_an_8d_is_404_with_a_reason(client, complaint, qm):
    r = client.get(url(complaint.number, "pdf"), **bearer(qm), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    assert r.json()["message"] == "This complaint has no 8D report: it is not handled on the full 8D path."
    zh = client.get(url(complaint.number, "pdf"), **bearer(qm), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.json()["message"] == "该投诉没有 8D 报告：它未走完整 8D 流程。"


def test_a_complaint_the_caller_cannot_see_is_404_like_the_complaint_api(client, seed_case, complaint, sales):
    # ``sales`` sells to other customers: neither the complaint nor its report exists for them.
    assert client.get(f"/api/v1/complaints/{complaint.number}", **bearer(sales)).status_code == 404
    r = client.get(url(complaint.number, "pdf"), **bearer(sales))
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert client.get(url("KS-2099-999999", "docx"), **bearer(sales)).status_code == 404
    assert client.get(url(complaint.number, "pdf")).status_code == 401


def test_staff_download_pages_and_the_menu_on_the_case_and_complaint_pages(client, seed_case, complaint, qm):
    client.force_login(qm)
    page = client.get(f"/8d/{seed_case.number}/").content.decode()
    assert f"/reports/8d/{seed_case.number}.pdf?lang=bilingual" in page
    assert f"/reports/8d/{seed_case.number}.docx?lang=en" in page
    page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert f"/reports/8d/{seed_case.number}.pdf?lang=zh-hans" in page

    r = client.get(f"/reports/8d/{seed_case.number}.pdf", {"lang": "bilingual"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    r = client.get(f"/reports/8d/{seed_case.number}.docx")
    assert r.status_code == 200 and r["Content-Type"] == DOCX
    r = client.get(f"/reports/8d/{seed_case.number}.pdf", {"lang": "fr"})
    assert r.status_code == 400 and "zh-hans, en, bilingual" in r.content.decode()


def test_staff_who_cannot_see_the_case_get_404(client, seed_case):
    outsider = user_make("sales2", roles.SALESPERSON, display_name="别的销售")
    client.force_login(outsider)
    assert client.get(f"/reports/8d/{seed_case.number}.pdf").status_code == 404
    client.logout()
    r = client.get(f"/reports/8d/{seed_case.number}.pdf")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
