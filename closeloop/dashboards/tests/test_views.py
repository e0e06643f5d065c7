"""The cockpit page: filters in the URL, bad filters shown next to their field, scoping and access,
every figure linking to its list, the XLSX export of a chart, and the page's query count."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.customers.tests.factories import customer_make
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


def _received(agent: User, day: int, customer: str, category: str, title: str = "漏油") -> Complaint:
    return complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            customer=customer,
            title=title,
            description=title,
            category=category,
            received_at=dt.datetime(2026, 6, day, 2, 0, tzinfo=dt.UTC),
        ),
        actor=agent,
    )


@pytest.fixture
def data(now, agent, sales, customer) -> list[Complaint]:
    """Six complaints received in June 2026: C001 (華东, owned by ``sales``) 3 leakage + 1 corrosion;
    C002 (another salesperson's, with a name a spreadsheet would run as a formula) 2 late deliveries."""
    customer.sales_owner = sales
    customer.save()
    customer_make("C002", '=HYPERLINK("http://x")南方', tier="normal")
    return [
        _received(agent, 2, "C001", "quality-leakage"),
        _received(agent, 3, "C001", "quality-leakage"),
        _received(agent, 5, "C001", "quality-leakage"),
        _received(agent, 6, "C001", "quality-corrosion", "生锈"),
        _received(agent, 8, "C002", "delivery-late", "迟到"),
        _received(agent, 9, "C002", "delivery-late", "迟到"),
    ]


def _get(client: Client, user: User, query: str = "") -> tuple[Any, str]:
    client.force_login(user)
    r = client.get(f"/dashboard/{query}")
    return r, r.content.decode()


def _charts(body: str) -> dict[str, Any]:
    m = re.search(r'<script id="cockpit-data" type="application/json">(.*?)</script>', body, re.S)
    assert m, "the chart data is on the page"
    return json.loads(m.group(1))


def _pareto(body: str, dimension: str) -> dict[str, Any]:
    return next(p for p in _charts(body)["pareto"] if p["id"] == f"pareto-{dimension}")


def test_page_renders_cards_and_charts_with_their_drill_links(client, gm, data):
    r, body = _get(client, gm, "?period=this_month")
    assert r.status_code == 200
    assert 'id="kpi-cards"' in body and 'data-kpi="received"' in body
    # The received card: value, status text (never colour alone), its definition as the help text.
    card = body[body.index('data-kpi="received"') :]
    assert '<span class="cl-kpi-number" data-value>6</span>' in card
    assert "received_from=2026-06-01" in card and "received_to=2026-06-20" in card
    pareto = _pareto(body, "category")
    bars = pareto["series"][0]["data"]
    assert [b["value"] for b in bars] == [4, 2]  # quality (leakage + corrosion), then delivery
    assert all(b["url"].startswith("/complaints/?") and "category=" in b["url"] for b in bars)
    # The cumulative share rides on the second axis, in percent.
    assert pareto["series"][1]["data"] == [66.7, 100.0]
    # The same numbers as an accessible table, each count a link to its list.
    assert 'id="table-pareto-category"' in body
    assert f'<a href="{bars[0]["url"].replace("&", "&amp;")}">4</a>' in body
    assert 'src="/static/vendor/echarts/echarts.min.js"' in body


def test_a_drill_link_lists_exactly_the_bar(client, gm, data):
    _r, body = _get(client, gm, "?period=this_month")
    for bar in _pareto(body, "category")["series"][0]["data"]:
        listing = client.get(bar["url"]).content.decode()
        assert f'data-count="{bar["value"]}"' in listing


def test_filters_are_kept_in_the_url(client, gm, data):
    _r, body = _get(
        client, gm, "?period=custom&from=2026-06-01&to=2026-06-05&customer=C001&grain=week&by=owner"
    )
    assert 'value="2026-06-01"' in body and 'value="2026-06-05"' in body
    assert '<option value="custom" selected>' in body
    assert _pareto(body, "category")["series"][0]["data"][0]["value"] == 3  # 3 leakage from 2 to 5 June
    # Links that switch a chart keep every other filter.
    assert (
        'href="?period=custom&amp;from=2026-06-01&amp;to=2026-06-05&amp;customer=C001&amp;grain=month&amp;by=owner"'
        in body
    )
    assert _charts(body)["trend"]["id"] == "trend" and len(_charts(body)["trend"]["categories"]) == 12


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?period=custom&from=2026-13-01&to=2026-06-10", "from"),
        ("?period=custom&from=2026-06-10&to=2026-06-01", "to"),
        ("?customer=NOPE", "customer"),
        ("?category=no-such-category", "category"),
        ("?product_family=no-such-family", "product_family"),
        ("?site=NOPE", "site"),
    ],
)
def test_a_bad_filter_is_shown_next_to_its_field(client, gm, data, query, field):
    r, body = _get(client, gm, query)
    assert r.status_code == 200
    assert f'id="error-{field}"' in body
    assert f'aria-describedby="error-{field}"' in body
    # The rest of the page still answers, without the rejected filter.
    assert 'id="kpi-cards"' in body


def test_a_salesperson_counts_only_their_customers(client, sales, data):
    r, body = _get(client, sales, "?period=this_month")
    assert r.status_code == 200
    assert [b["value"] for b in _pareto(body, "category")["series"][0]["data"]] == [4]
    assert _pareto(body, "customer")["categories"] == ["华东机电有限公司"]
    # Another salesperson's customer is "unknown", not a way to peek.
    _r, body = _get(client, sales, "?customer=C002")
    assert 'id="error-customer"' in body


@pytest.mark.parametrize(
    "role", [roles.AGENT, roles.QUALITY_ENGINEER, roles.FINANCE, roles.PURCHASING_MANAGER]
)
def test_roles_without_the_cockpit_get_403(client, role):
    user = user_make(f"u-{role}", role)
    r, _body = _get(client, user)
    assert r.status_code == 403
    assert client.get("/dashboard/export/pareto.xlsx").status_code == 403


@pytest.mark.parametrize(
    "role", [roles.GENERAL_MANAGER, roles.QUALITY_MANAGER, roles.SALES_MANAGER, roles.ADMINISTRATOR]
)
def test_cockpit_roles_see_it_in_the_navigation(client, role, now):
    user = user_make(f"u-{role}", role)
    r, body = _get(client, user)
    assert r.status_code == 200
    assert 'id="nav-cockpit"' in body


def test_the_navigation_hides_the_cockpit_from_other_roles(client, agent):
    client.force_login(agent)
    assert 'id="nav-cockpit"' not in client.get("/complaints/").content.decode()


def test_xlsx_export_of_a_chart(client, gm, data):
    client.force_login(gm)
    r = client.get("/dashboard/export/pareto.xlsx?period=this_month&dimension=customer")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    with translation.override("zh-hans"):  # the user's language
        assert rows[0] == tuple(gettext(h) for h in ("Customer", "Complaints", "Share %", "Cumulative %"))
    assert rows[0][:2] == ("客户", "客诉")
    assert rows[1] == ("华东机电有限公司", 4, 66.7, 66.7)
    # Text a spreadsheet would execute is neutralised; the numbers stay numbers.
    assert rows[2] == ('\'=HYPERLINK("http://x")南方', 2, 33.3, 100)


def test_xlsx_export_of_an_unknown_chart_is_404(client, gm, now):
    client.force_login(gm)
    assert client.get("/dashboard/export/nothing.xlsx").status_code == 404


def test_query_count_is_pinned(client, gm, agent, data, django_assert_max_num_queries):
    client.force_login(gm)
    client.get("/dashboard/")  # warm the per-process caches (content types)
    with django_assert_max_num_queries(QUERY_BUDGET):
        r = client.get("/dashboard/?period=this_month")
    assert r.status_code == 200
    for day in range(10, 20):
        _received(agent, day, "C002", "delivery-late", "又迟到")
    with django_assert_max_num_queries(QUERY_BUDGET):
        again = client.get("/dashboard/?period=this_month")
    assert _pareto(again.content.decode(), "category")["series"][0]["data"][0]["value"] == 12


# Measured 110: every figure counted live (these tests build no rollups, so each of the twelve trend
# periods is too), the page itself (session, user, permissions, categories, product families, sites,
# the bell) and one read of the rollup state per page (rollup_reads.one_reading). Constant in the number of
# complaints (checked above); with rollups the page takes 34 (test_totals_equal_live.py).
QUERY_BUDGET = 112
