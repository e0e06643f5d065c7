"""GET /api/v1/exports/*.xlsx and /api/v1/reports/analysis.pdf: auth, content types, the list's filters
and scoping, and 422 naming the bad parameter."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from closeloop.accounts.services import api_token_create
from closeloop.core import clock
from closeloop.reports.exports import XLSX_TYPE
from closeloop.reports.tests.ledger_data import SHANGHAI, ledger_complaints

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(agent, qe, customer, product):  # type: ignore[no-untyped-def]
    return ledger_complaints(agent, qe)


@pytest.fixture
def get(client):  # type: ignore[no-untyped-def]
    def call(path, user=None, **params):  # type: ignore[no-untyped-def]
        headers = {k: params.pop(k) for k in list(params) if k.startswith("HTTP_")}
        if user is not None:
            _token, raw = api_token_create(user=user, name="tests")
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client.get(f"/api/v1{path}", params, **headers)

    return call


def _numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [r[0].value for r in ws.iter_rows(min_row=3)]


def test_without_a_token_401(get):
    for path in ("/exports/ledger.xlsx", "/reports/analysis.pdf"):
        response = get(path, month="2026-06")
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_ledger_with_the_list_s_filters_and_scope(seeded, get, qm, sales, customer):
    response = get("/exports/ledger.xlsx", qm)
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and ".xlsx" in response["Content-Disposition"]
    )
    assert _numbers(response) == [c.number for c in reversed(seeded)]
    assert _numbers(get("/exports/ledger.xlsx", qm, status="closed")) == [seeded[0].number]
    assert _numbers(get("/exports/ledger.xlsx", qm, customer="C002", sort="received_at")) == [
        seeded[2].number
    ]
    listed = get("/complaints", qm, severity=["serious", "minor"]).json()["items"]
    assert _numbers(get("/exports/ledger.xlsx", qm, severity=["serious", "minor"])) == [
        c["number"] for c in listed
    ]
    customer.sales_owner = sales
    customer.save(update_fields=["sales_owner"])
    assert _numbers(get("/exports/ledger.xlsx", sales)) == [seeded[1].number, seeded[0].number]


def test_the_other_ledgers(seeded, get, qm):
    response = get("/exports/customer-status.xlsx", qm, customer="C001")
    assert response.status_code == 200 and _numbers(response) == [seeded[1].number, seeded[0].number]
    assert get("/exports/preventive.xlsx", qm).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/exports/ledger.xlsx", {"status": "bogus"}, "status"),
        ("/exports/ledger.xlsx", {"received_from": "2026-13-01"}, "received_from"),
        ("/exports/ledger.xlsx", {"view": "all-of-it"}, "view"),
        ("/exports/customer-status.xlsx", {}, "customer"),
        ("/reports/analysis.pdf", {"month": "2026-6-1"}, "month"),
        ("/reports/analysis.pdf", {}, "month"),
        ("/reports/analysis.pdf", {"month": "2026-06", "customer": "NOPE"}, "customer"),
    ],
)
def test_bad_input_is_422_naming_the_parameter(seeded, get, qm, path, params, field):
    response = get(path, qm, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and list(body["fields"]) == [field]


def test_the_monthly_analysis_pdf(seeded, get, qm):
    clock.freeze(dt.datetime(2026, 7, 5, 9, 0, tzinfo=SHANGHAI))
    try:
        response = get("/reports/analysis.pdf", qm, month="2026-06", HTTP_ACCEPT_LANGUAGE="en")
    finally:
        clock.freeze(None)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="complaint-analysis-2026-06.pdf"' in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Timely-handling rate" in text and "4.0 / 5" in text
