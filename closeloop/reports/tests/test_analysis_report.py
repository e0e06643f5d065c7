"""The monthly complaint analysis report (客户抱怨分析报告): the month's figures, the PDF in both
languages (read back with pypdf, rendered with poppler's pdftoppm), and its staff page."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from django.utils import translation
from pypdf import PdfReader

from closeloop.actions import services as action_services
from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.reports.analysis import analysis_pdf
from closeloop.reports.analysis_data import analysis_params_parse, monthly_analysis
from closeloop.reports.tests.ledger_data import SHANGHAI, at, ledger_complaints

pytestmark = pytest.mark.django_db
JUNE = dt.date(2026, 6, 1)


@pytest.fixture
def june(agent, qe, qm, customer, product):  # type: ignore[no-untyped-def]
    """The ledger complaints of June 2026 and a corrective action verified on 06-12, read on 2026-07-05.
    (An action's creation time is the real one — ``auto_now_add`` —, so it was not opened in June.)"""
    complaints = ledger_complaints(agent, qe)
    clock.freeze(at(10))
    try:
        action = action_services.action_create(
            complaint=complaints[1],
            actor=qm,
            title="更换防锈油供应商",
            owner=qe,
            due_date=dt.date(2026, 6, 30),
            kind="corrective",
        )
        action = action_services.action_complete(action=action, actor=qe, note="已更换")
        clock.freeze(at(12))
        action_services.action_verify(action=action, actor=qm, note="连续三批无锈")
    finally:
        clock.freeze(None)
    clock.freeze(dt.datetime(2026, 7, 5, 9, 0, tzinfo=SHANGHAI))
    yield complaints
    clock.freeze(None)


def _text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_the_month_s_figures(june, qm):
    a = monthly_analysis(user=qm, month=JUNE)
    k = a.kpis
    assert (k.received, k.closed, k.open_at_end) == (3, 1, 2)
    assert k.avg_days_to_close == pytest.approx(4.0)
    assert (k.satisfaction_avg, k.satisfaction_count) == (4.0, 1)
    assert k.repeat_count == 1 and k.repeat_rate == pytest.approx(1 / 3)  # C001 + P001 again on 06-02
    assert k.deadlines_due >= 1 and k.deadlines_met == k.deadlines_due and k.timely_rate == 1.0
    assert [(r.count, round(r.cumulative, 2)) for r in a.pareto] == [(2, 0.67), (1, 1.0)]
    assert [i.number for i in a.top_open] == [june[1].number, june[2].number]  # general before minor
    assert (a.actions_opened, a.actions_verified) == (0, 1)
    assert [(x.title, x.verified_on) for x in a.actions] == [("更换防锈油供应商", dt.date(2026, 6, 12))]
    assert [p.month for p in a.trend][-1] == JUNE and len(a.trend) == 12
    assert (a.trend[-1].received, a.trend[-1].closed, a.trend[-2].received) == (3, 1, 0)
    only_c002 = monthly_analysis(user=qm, month=JUNE, customer=june[2].customer)
    assert (only_c002.kpis.received, only_c002.kpis.closed) == (1, 0)


def test_the_month_is_the_company_s_whatever_zone_the_reader_is_in(june, qm):
    # June 1, 10:00 in Shanghai is May 31 in New York: the report still counts it in June.
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    at_home = monthly_analysis(user=qm, month=JUNE)
    with timezone.override(ZoneInfo("America/New_York")):
        abroad = monthly_analysis(user=qm, month=JUNE)
    assert abroad.kpis == at_home.kpis and abroad.kpis.received == 3
    assert abroad.pareto == at_home.pareto and abroad.trend == at_home.trend


def test_a_salesperson_s_analysis_counts_only_their_customers(june, sales, customer):
    customer.sales_owner = sales
    customer.save(update_fields=["sales_owner"])
    assert monthly_analysis(user=sales, month=JUNE).kpis.received == 2


def test_the_pdf_in_english_has_the_kpis_and_top_issues(june, qm, poppler, tmp_path):
    with translation.override("en"):
        data = analysis_pdf(monthly_analysis(user=qm, month=JUNE), user=qm)
    text = _text(data)
    for expected in (
        "Customer complaint analysis report · 2026-06",
        "Timely-handling rate",
        "100.0%",
        "4.0 / 5",
        "33.3%",
        "Top open issues",
        june[1].number,
        "螺丝刀杆生锈",
        "Late delivery",
        "更换防锈油供应商",
        "Complaints by category (Pareto)",
    ):
        assert expected in text, expected
    pdf = tmp_path / "analysis.pdf"
    pdf.write_bytes(data)
    subprocess.run([poppler["pdftoppm"], "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert sorted(p.name for p in tmp_path.glob("page*.png"))


def test_the_pdf_in_chinese(june, qm):
    with translation.override("zh-hans"):
        text = _text(analysis_pdf(monthly_analysis(user=qm, month=JUNE), user=qm))
    for expected in (
        "客户抱怨分析报告 · 2026-06",
        "及时处理率",
        "重点未结问题",
        "严重程度",
        "负责人",
        june[2].number,
        "4.0 / 5",
        "33.3%",
        "质量部张经理",
    ):
        assert expected in text, expected


def test_month_and_customer_are_checked(june, qm, sales):
    assert analysis_params_parse(user=qm, month="2026-06", customer="C002")[0] == JUNE
    for month, customer, fields in (
        ("2026-13", "", ["month"]),
        ("June", "", ["month"]),
        ("2026-08", "", ["month"]),  # not begun yet (today is 2026-07-05)
        ("2026-06", "NOPE", ["customer"]),
    ):
        with pytest.raises(ValidationFailed) as exc:
            analysis_params_parse(user=qm, month=month, customer=customer)
        assert list(exc.value.fields) == fields
    with pytest.raises(ValidationFailed) as exc:
        analysis_params_parse(user=sales, month="2026-06", customer="C002")  # not theirs
    assert list(exc.value.fields) == ["customer"]


def test_the_staff_page_and_download(june, qm, client):
    client.force_login(qm)
    form = client.get("/reports/analysis/")
    assert form.status_code == 200 and 'name="month" value="2026-06"' in form.content.decode()
    response = client.get("/reports/analysis.pdf", {"month": "2026-06", "customer": "C001"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "2026-06-C001.pdf" in response["Content-Disposition"]
    assert june[0].number not in _text(response.content)  # closed: not an open issue
    bad = client.get("/reports/analysis.pdf", {"month": "2026/06"})
    assert bad.status_code == 422 and 'id="a-month-err"' in bad.content.decode()
