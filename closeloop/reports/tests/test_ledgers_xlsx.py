"""The three ledgers as XLSX: headers in both languages, values and cell types, the sheet's layout,
formula neutralisation, scoping and filters, and a constant number of queries per chunk of rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from closeloop.core.errors import ValidationFailed
from closeloop.reports.exports import ledger_write
from closeloop.reports.ledgers import complaint_ledger, customer_status
from closeloop.reports.ledgers.filters import ledger_filters_parse
from closeloop.reports.ledgers.xlsx import Column, xlsx_write
from closeloop.reports.tests.ledger_data import HOSTILE_TITLES, at, ledger_complaints, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(agent, qe, customer, product):  # type: ignore[no-untyped-def]
    return ledger_complaints(agent, qe)


def _sheet(user, kind="ledger", lang="en", **params):  # type: ignore[no-untyped-def]
    qd = QueryDict(mutable=True)
    for k, v in params.items():
        qd.setlist(k, v if isinstance(v, list) else [v])
    buf = io.BytesIO()
    with translation.override(lang):
        f = ledger_filters_parse(user=user, kind=kind, params=qd)
        ledger_write(user=user, kind=kind, f=f, target=buf)
    buf.seek(0)
    return load_workbook(buf).active


def _headers(ws) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.value for c in ws[2]]


def _rows(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    heads = _headers(ws)
    return [dict(zip(heads, [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=3)]


def test_complaint_ledger_in_english_with_typed_cells_and_a_frozen_filtered_header(seeded, qm):
    ws = _sheet(qm)
    heads = _headers(ws)
    assert heads[:5] == ["Complaint number", "Received at", "Channel", "Customer code", "Customer"]
    assert {"Quantity affected", "Severity", "Handling path", "8D number", "Times reopened"} <= set(heads)
    assert "First response (handling started): due" in heads and "Closure: result" in heads
    rows = {r["Complaint number"]: r for r in _rows(ws)}
    first, second, third = (c.number for c in seeded)
    assert list(rows) == [third, second, first]  # the list's default order: newest first
    leak = rows[first]
    assert leak["Title"] == "变速箱漏油" and leak["Severity"] == "Serious" and leak["Status"] == "Closed"
    assert leak["Handling path"] == "Quick resolution" and leak["Owner"] == "质量工程师陈工"
    assert (
        leak["Customer"] == "华东机电有限公司" and leak["Product code"] == "P001" and leak["Lot"] == "L2605"
    )
    assert leak["Satisfaction score"] == 4 and leak["Times reopened"] == 0
    assert leak["First response (handling started): result"] == "Met"
    # Types: a quantity is a number, times are Excel dates with a date number format (wall clock of
    # the export's time zone, Asia/Shanghai), a closing day is a date.
    oldest = dict(zip(heads, ws[5], strict=True))  # row 5 = the oldest (first) complaint
    assert oldest["Quantity affected"].value == 50 and isinstance(oldest["Quantity affected"].value, int)
    assert oldest["Received at"].value == dt.datetime(2026, 6, 1, 10, 0)
    assert oldest["Received at"].is_date and oldest["Received at"].number_format == "yyyy-mm-dd hh:mm"
    assert (
        oldest["Closed at"].value == dt.datetime(2026, 6, 5, 0, 0)
        and oldest["Closed at"].number_format == "yyyy-mm-dd"
    )
    assert oldest["First response (handling started): met"].is_date
    # Layout: title line with filters and export time, frozen header, autofilter, widths.
    assert ws["A1"].value.startswith("Complaint ledger · No filters · Exported ")
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:{ws.cell(2, len(heads)).column_letter}5"
    assert ws.column_dimensions["A"].width == 18 and ws.column_dimensions["M"].width == 36


def test_complaint_ledger_in_chinese(seeded, qm):
    ws = _sheet(qm, lang="zh-hans")
    heads = _headers(ws)
    assert heads[:3] == ["客诉编号", "接收时间", "渠道"]
    assert {"不良数量", "严重程度", "处理方式", "8D编号", "满意度评分", "重开次数", "负责人"} <= set(heads)
    assert "首次响应（开始处理）：截止" in heads and ws["A1"].value.startswith(
        "客诉台账 · 无筛选条件 · 导出于 "
    )
    rows = {r["客诉编号"]: r for r in _rows(ws)}
    leak = rows[seeded[0].number]
    assert leak["状态"] == "已结案" and leak["处理方式"] == "快速处理" and leak["满意度评分"] == 4


def test_every_formula_like_text_is_stored_as_quoted_text_and_numbers_stay_numbers(seeded, agent, qm):
    for i, title in enumerate(HOSTILE_TITLES, start=10):
        received(agent, at(i), title, lot="=1+1", quantity_affected=7)
    ws = _sheet(qm, q="")
    cells = [c for row in ws.iter_rows(min_row=3) for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"], "no formula anywhere"
    titles = {r["Title"] for r in _rows(ws)}
    assert {"'" + t for t in HOSTILE_TITLES} <= titles
    assert {r["Lot"] for r in _rows(ws) if r["Quantity affected"] == 7} == {"'=1+1"}
    assert all(
        isinstance(r["Quantity affected"], int) for r in _rows(ws) if r["Quantity affected"] is not None
    )
    # A leading tab or carriage return (trimmed away by intake) is neutralised by the writer too.
    buf = io.BytesIO()
    xlsx_write(
        buf, sheet_title="t", title="t", columns=[Column("text"), Column("n", "int")], rows=[["\t=1", -2]]
    )
    ws2 = load_workbook(io.BytesIO(buf.getvalue())).active
    assert ws2["A3"].value == "'\t=1" and ws2["A3"].data_type == "s" and ws2["B3"].value == -2


def test_a_salesperson_exports_only_their_customers_complaints(seeded, sales, customer):
    customer.sales_owner = sales
    customer.save(update_fields=["sales_owner"])
    numbers = [r["Complaint number"] for r in _rows(_sheet(sales))]
    assert sorted(numbers) == sorted(c.number for c in seeded if c.customer.code == "C001")


def test_filters_reproduce_the_list(seeded, qm):
    from closeloop.complaints import listing

    for params in (
        {"status": "closed"},
        {"customer": "C002"},
        {"severity": ["serious", "minor"]},
        {"q": "漏油"},
    ):
        qd = QueryDict(mutable=True)
        for k, v in params.items():
            qd.setlist(k, v if isinstance(v, list) else [v])
        page = listing.complaint_list(user=qm, f=listing.filters_parse(qd))
        exported = [r["Complaint number"] for r in _rows(_sheet(qm, **params))]
        assert exported == [c.number for c in page.rows], params
    assert "Status: Closed" in _sheet(qm, status="closed")["A1"].value


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"severity": "huge"}, "severity"),
        ({"received_from": "06/01/2026"}, "received_from"),
        ({"sort": "title"}, "sort"),
        ({"view": "everything"}, "view"),
        ({"category": "no-such"}, "category"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(seeded, qm, params, field):
    with pytest.raises(ValidationFailed) as exc:
        ledger_filters_parse(user=qm, kind="ledger", params=params)
    assert list(exc.value.fields) == [field]


def test_customer_status_needs_a_customer_the_user_may_see(seeded, qm, sales):
    for user, params in ((qm, {}), (qm, {"customer": "NOPE"}), (sales, {"customer": "C002"})):
        with pytest.raises(ValidationFailed) as exc:
            ledger_filters_parse(user=user, kind="customer_status", params=params)
        assert list(exc.value.fields) == ["customer"]


def test_customer_status_lists_open_complaints_first_with_where_they_stand(seeded, qm):
    for lang, heads in (
        ("en", ("Complaint number", "Status", "Where it stands")),
        ("zh-hans", ("客诉编号", "状态")),
    ):
        ws = _sheet(qm, kind="customer_status", lang=lang, customer="C001")
        assert set(heads) <= set(_headers(ws))
    ws = _sheet(qm, kind="customer_status", customer="C001")
    rows = _rows(ws)
    assert [r["Complaint number"] for r in rows] == [seeded[1].number, seeded[0].number]
    open_row, closed_row = rows
    assert open_row["Where it stands"] == "New" and isinstance(open_row["Days open"], int)
    assert closed_row["Where it stands"] == "Quick resolution · Closed" and closed_row["Days open"] == 4
    assert closed_row["Closed at"] == dt.datetime(2026, 6, 5)
    assert "C001 华东机电有限公司 · 1 in progress, 1 closed" in ws["A1"].value


def test_ledger_rows_cost_the_same_queries_whatever_the_number_of_rows(seeded, agent, qm):
    from closeloop.reports.ledgers.filters import ListFilters

    qm.has_perm("complaints.view_all_complaints")  # permissions are cached on the user after this

    def queries(module) -> int:  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as ctx:
            list(module.rows(user=qm, f=ListFilters(), chunk_size=50))
        return len(ctx.captured_queries)

    few = {m: queries(m) for m in (complaint_ledger, customer_status)}
    for i in range(8):
        received(agent, at(10 + i), f"第{i}件", quantity_affected=i + 1)
    for m, n in few.items():
        assert queries(m) == n, m.__name__
    assert few == {complaint_ledger: 3, customer_status: 1}  # per chunk: complaints (+ deadlines, verdicts)


def test_ledger_selector_query_budget_for_a_page(seeded, qm, django_assert_max_num_queries):
    from closeloop.reports.ledgers.filters import ListFilters

    qm.has_perm("complaints.view_all_complaints")
    with django_assert_max_num_queries(3):
        rows = list(complaint_ledger.rows(user=qm, f=ListFilters(), chunk_size=25))
    assert len(rows) == 3


def test_text_cells_drop_the_characters_openpyxl_refuses():
    # xlsx.py restates openpyxl's pattern so that the ledgers' column definitions load without openpyxl.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as OPENPYXL_ILLEGAL

    from closeloop.reports.ledgers.xlsx import ILLEGAL_CHARACTERS_RE, text_cell

    assert ILLEGAL_CHARACTERS_RE.pattern == OPENPYXL_ILLEGAL.pattern
    assert text_cell("a\x00b\x0bc\x1fd\te\nf") == "abcd\te\nf"
