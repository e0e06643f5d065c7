"""The complaint list: filters, Chinese search, saved views, keyset pages, scoping, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict

from closeloop.complaints import listing
from closeloop.complaints.services import complaint_mark_invalid
from closeloop.core import clock
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


def _make(actor, day: int, title: str, description: str, **kw):
    clock.freeze(dt.datetime(2026, 6, day, 10, 0, tzinfo=dt.UTC))
    try:
        return complaint_intake(
            draft=ComplaintDraft(
                channel="phone",
                customer=kw.pop("customer", "C001"),
                title=title,
                description=description,
                **kw,
            ),
            actor=actor,
        )
    finally:
        clock.freeze(None)


@pytest.fixture
def data(agent, customer, product):
    from closeloop.customers.tests.factories import customer_make

    customer_make("C002", "广州南方汽配", tier="normal")
    rows = [
        _make(
            agent,
            1,
            "变速箱漏油",
            "变速箱漏油严重，客户要求更换",
            severity="serious",
            category="quality-leakage",
        ),
        _make(agent, 2, "螺丝刀杆生锈", "表面生锈", severity="general", category="quality-corrosion"),
        _make(
            agent,
            3,
            "Late delivery",
            "Shipment arrived LATE by a week",
            customer="C002",
            category="delivery-late",
            severity="minor",
        ),
        _make(
            agent, 4, "包装破损", "纸箱破损", customer="C002", category="logistics-damage", urgency="urgent"
        ),
    ]
    return rows


def _page(user, **params):
    qd = QueryDict(mutable=True)
    for k, v in params.items():
        qd[k] = v
    return listing.complaint_list(user=user, f=listing.filters_parse(qd))


def _titles(page):
    return [c.title for c in page.rows]


def test_two_character_chinese_word_is_found(agent, data):
    assert _titles(_page(agent, q="漏油")) == ["变速箱漏油"]
    assert _titles(_page(agent, q="变速箱")) == ["变速箱漏油"]
    assert _titles(_page(agent, q="生锈")) == ["螺丝刀杆生锈"]
    assert _titles(_page(agent, q="漏油 生锈")) == []


def test_english_is_case_insensitive_and_numbers_are_searchable(agent, data):
    assert _titles(_page(agent, q="late")) == ["Late delivery"]
    assert _titles(_page(agent, q=data[0].number)) == ["变速箱漏油"]
    assert _titles(_page(agent, q="广州")) == ["包装破损", "Late delivery"]  # customer name is searchable


def test_filters_combine(agent, data):
    assert _titles(_page(agent, customer="C002")) == ["包装破损", "Late delivery"]
    assert _titles(_page(agent, severity="serious")) == ["变速箱漏油"]
    assert _titles(_page(agent, category="quality")) == [
        "螺丝刀杆生锈",
        "变速箱漏油",
    ]  # parent includes children
    assert _titles(_page(agent, received_from="2026-06-02", received_to="2026-06-03")) == [
        "Late delivery",
        "螺丝刀杆生锈",
    ]
    assert _titles(_page(agent, sort="received_at"))[0] == "变速箱漏油"
    assert _titles(_page(agent, sort="-priority"))[0] == "变速箱漏油"


def test_bad_filter_values_are_reported_not_crashing(agent, data):
    f = listing.filters_parse(QueryDict("received_from=yesterday&sort=password&view=hack&status=nope"))
    assert set(f.errors) == {"received_from", "view"}
    assert f.sort == listing.DEFAULT_SORT and f.status == []
    assert len(listing.complaint_list(user=agent, f=f).rows) == 4


def test_status_filter_and_invalid(agent, qm, data):
    complaint_mark_invalid(complaint=data[1], actor=qm, reason="客户使用不当")
    assert _titles(_page(agent, status="rejected")) == ["螺丝刀杆生锈"]


def test_saved_views(agent, qm, data):
    from closeloop.complaints.services import complaint_assign

    complaint_assign(complaint=data[0], actor=qm, owner=agent)
    assert _titles(_page(agent, view="mine")) == ["变速箱漏油"]
    assert "变速箱漏油" not in _titles(_page(agent, view="unassigned"))
    clock.freeze(dt.datetime(2026, 6, 6, 11, 0, tzinfo=dt.UTC))
    try:
        # on 06-06 11:00: urgent (2 days) from 06-04 and normal (5 days) from 06-01 are overdue, 06-02 not yet
        overdue = _titles(_page(agent, view="overdue"))
    finally:
        clock.freeze(None)
    assert overdue == ["包装破损", "变速箱漏油"]


def test_keyset_pages_cover_everything_once(agent, data):
    seen = []
    f = listing.filters_parse(QueryDict(""))
    while True:
        page = listing.complaint_list(user=agent, f=f, page_size=3)
        seen += [c.number for c in page.rows]
        if not page.next_cursor:
            break
        f.cursor = page.next_cursor
    assert seen == [c.number for c in sorted(data, key=lambda c: c.received_at, reverse=True)]


def test_garbage_cursor_is_ignored(agent, data):
    assert len(_page(agent, cursor="!!notbase64").rows) == 4


def test_salesperson_sees_only_own_customers(sales, data, customer):
    assert _titles(_page(sales)) == []
    customer.sales_owner = sales
    customer.save()
    assert _titles(_page(sales)) == ["螺丝刀杆生锈", "变速箱漏油"]


def test_list_page_query_count_is_constant(client, agent, data, django_assert_max_num_queries):
    client.force_login(agent)
    with django_assert_max_num_queries(10):
        page = client.get("/complaints/").content.decode()
    assert "变速箱漏油" in page and 'data-count="4"' in page
    for i in range(10):
        _make(agent, 5 + i % 20, f"新增客诉{i}", "描述")
    with django_assert_max_num_queries(10):
        client.get("/complaints/")


def test_htmx_request_returns_only_the_table(client, agent, data):
    client.force_login(agent)
    resp = client.get("/complaints/?q=漏油", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="complaint-table")
    body = resp.content.decode()
    assert "<html" not in body and "变速箱漏油" in body and "包装破损" not in body


def test_empty_state_tells_what_to_do(client, agent, db):
    client.force_login(agent)
    body = client.get("/complaints/").content.decode()
    assert "/intake/new/" in body and "/intake/import/" in body


def test_keyset_pages_handle_equal_sort_values(agent, customer):
    same = [_make(agent, 9, f"同一时刻{i}", "描述") for i in range(5)]  # identical received_at
    for sort in ("-received_at", "received_at", "-priority"):
        f = listing.filters_parse(QueryDict(f"sort={sort}"))
        seen = []
        while True:
            page = listing.complaint_list(user=agent, f=f, page_size=2)
            seen += [c.pk for c in page.rows]
            if not page.next_cursor:
                break
            f.cursor = page.next_cursor
        assert sorted(seen) == sorted(c.pk for c in same) and len(seen) == 5, sort


def test_bulk_assign_from_the_list(client, qm, agent, data):
    from closeloop.complaints.models import Complaint
    from closeloop.complaints.services import complaint_mark_duplicate

    complaint_mark_duplicate(complaint=data[3], actor=qm, original=data[2])
    client.force_login(qm)
    assert 'id="bulk-bar"' in client.get("/complaints/").content.decode()
    resp = client.post(
        "/complaints/bulk-assign/",
        {
            "numbers": [data[0].number, data[1].number, data[3].number],
            "owner": "agent",
            "next": "/complaints/?severity=serious",
        },
        follow=True,
    )
    assert resp.redirect_chain[-1][0] == "/complaints/?severity=serious"
    body = resp.content.decode()
    assert "2 条客诉已分派" in body and data[3].number in body  # the merged one is refused with its reason
    owners = dict(Complaint.objects.values_list("number", "owner__username"))
    assert owners[data[0].number] == owners[data[1].number] == "agent" and owners[data[3].number] is None
    client.post("/complaints/bulk-assign/", {"numbers": [data[0].number], "owner": ""})
    assert Complaint.objects.get(pk=data[0].pk).owner is None


def test_bulk_assign_needs_permission_and_visibility(client, agent, sales, data):
    client.force_login(agent)
    assert 'id="bulk-bar"' not in client.get("/complaints/").content.decode()
    assert (
        client.post("/complaints/bulk-assign/", {"numbers": [data[0].number], "owner": "agent"}).status_code
        == 403
    )
