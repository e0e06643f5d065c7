"""The list page: htmx swaps, URL-kept filters, sort headers, empty state, scoping, query counts,
bulk assignment."""

from __future__ import annotations

import pytest

from closeloop.complaints import listing
from closeloop.complaints.listing import pages, search
from closeloop.complaints.models import Complaint
from closeloop.complaints.services import complaint_mark_duplicate
from closeloop.complaints.tests.listing_data import analyzed_words, complaint_received, listing_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(agent, customer, product):
    return listing_data(agent)


@pytest.mark.parametrize("query", ["", "?q=漏油", "?sort=-severity", "?view=overdue&sort=number&q=广州"])
def test_query_count_does_not_grow_with_rows(client, agent, data, django_assert_max_num_queries, query):
    client.force_login(agent)
    # 9 for the page (the user's permissions are one query), +1 for the notification bell's unread
    # count (one COUNT on every staff page).
    with django_assert_max_num_queries(10):
        first = client.get(f"/complaints/{query}").content.decode()
    for i in range(30):
        complaint_received(
            agent, 5 + i % 20, f"新增客诉{i} 漏油", "描述", customer="C002" if i % 2 else "C001"
        )
    with django_assert_max_num_queries(10):
        again = client.get(f"/complaints/{query}").content.decode()
    assert 'id="complaint-table"' in first and 'id="complaint-table"' in again


def test_rows_show_the_key_facts(client, agent, data):
    client.force_login(agent)
    body = client.get("/complaints/").content.decode()
    assert 'data-count="4"' in body
    c = data[0]
    assert f'href="/complaints/{c.number}/"' in body
    assert "华东机电有限公司" in body and "2026-06-01 18:00" in body  # Asia/Shanghai, Y-m-d H:i
    assert 'class="pill pill-serious">严重<' in body  # the severity pill carries its text


def test_filters_stay_in_the_links(client, agent, data, monkeypatch):
    client.force_login(agent)
    body = client.get("/complaints/?customer=C001&sort=-priority").content.decode()
    assert 'name="customer" value="C001"' in body
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    body = client.get("/complaints/?customer=C001&sort=-priority").content.decode()
    assert 'rel="next" href="?customer=C001&amp;sort=-priority&amp;cursor=' in body


def test_next_page_follows_the_cursor(client, agent, data, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 3)
    client.force_login(agent)
    resp = client.get("/complaints/")
    first = resp.content.decode()
    cursor = resp.context["page"].next_cursor
    assert cursor and data[0].number not in first and data[3].number in first
    second = client.get(f"/complaints/?cursor={cursor}").content.decode()
    assert data[0].number in second and data[3].number not in second and "第一页" in second


def test_sort_headers_link_and_announce_the_order(client, agent, data):
    client.force_login(agent)
    body = client.get("/complaints/?severity=serious").content.decode()
    assert 'aria-sort="descending"' in body  # received, the default
    assert 'href="?severity=serious&amp;sort=-severity"' in body
    body = client.get("/complaints/?sort=-severity").content.decode()
    assert 'href="?sort=severity"' in body  # clicking again flips it
    body = client.get("/complaints/?sort=number").content.decode()
    assert 'aria-sort="ascending"' in body and 'href="?sort=-number"' in body


def test_htmx_request_returns_only_the_table(client, agent, data):
    client.force_login(agent)
    resp = client.get("/complaints/?q=漏油", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="complaint-table")
    body = resp.content.decode()
    assert "<html" not in body and "变速箱漏油" in body and "包装破损" not in body
    full = client.get("/complaints/?q=漏油").content.decode()  # without JS: the whole page
    assert "<html" in full and 'hx-push-url="true"' in full and 'value="漏油"' in full


def test_filters_form_is_labelled(client, agent, data):
    client.force_login(agent)
    body = client.get("/complaints/").content.decode()
    for field_id in ("q", "f-status", "f-severity", "f-category", "f-owner", "f-customer", "f-from", "f-to"):
        assert f'for="{field_id}"' in body and f'id="{field_id}"' in body


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01", "2026-02-30"])
def test_bad_date_is_shown_next_to_the_field(client, agent, data, raw):
    client.force_login(agent)
    resp = client.get(f"/complaints/?received_from={raw}")
    assert resp.status_code == 200
    assert 'class="invalid-feedback"' in resp.content.decode()


def test_overdue_view_explains_its_rule(client, agent, data):
    client.force_login(agent)
    assert 'id="overdue-rule"' in client.get("/complaints/?view=overdue").content.decode()


def test_capped_count_is_shown_as_more_than(client, agent, data, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 2)
    client.force_login(agent)
    body = client.get("/complaints/").content.decode()
    assert 'data-count="2"' in body and "2" in body and "4 " not in body.split('id="result-count"')[1][:200]


@pytest.mark.postgres
def test_an_estimated_search_is_shown_as_about_how_many(client, agent, customer, product, monkeypatch):
    analyzed_words(agent)
    monkeypatch.setattr(search, "ESTIMATE_FROM", 10)
    agent.language = "en"
    agent.save(update_fields=["language"])
    client.force_login(agent)

    def heading(url: str) -> str:
        html = client.get(url).content.decode().split('id="result-count"')[1].split("</h2>")[0]
        return html.split(">", 1)[1].strip()

    assert heading("/complaints/?q=变速箱") == "About 20 complaints"
    assert heading("/complaints/?q=第7件") == "1 complaint"  # a word of one complaint is counted


def test_empty_state_tells_what_to_do(client, agent, db):
    client.force_login(agent)
    body = client.get("/complaints/").content.decode()
    assert "/intake/new/" in body and "/intake/import/" in body


def test_empty_search_suggests_fewer_words(client, agent, data):
    client.force_login(agent)
    body = client.get("/complaints/?q=火箭").content.decode()
    assert 'data-count="0"' in body and 'class="empty-action"' not in body


def test_salesperson_page_lists_only_their_customers(client, sales, data, customer):
    customer.sales_owner = sales
    customer.save()
    client.force_login(sales)
    body = client.get("/complaints/").content.decode()

    def listed(c, html):
        return f'href="/complaints/{c.number}/"' in html

    assert listed(data[0], body) and listed(data[1], body)
    assert not listed(data[2], body) and not listed(data[3], body)
    assert not listed(data[2], client.get(f"/complaints/?q={data[2].number}").content.decode())


def test_login_required(client, db):
    resp = client.get("/complaints/")
    assert resp.status_code == 302 and "next=/complaints/" in resp["Location"]


def test_bulk_assign_from_the_list(client, qm, agent, data):
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


def test_rows_escape_what_people_typed(client, qm, data):
    """The rows are put together in Python (views_list.rows_html): typed text is still escaped."""
    c = data[0]
    Complaint.objects.filter(pk=c.pk).update(title='<script>alert("x")</script> & 漏油', urgency="urgent")
    client.force_login(qm)
    body = client.get("/complaints/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 漏油" in body
    assert f'name="numbers" value="{c.number}" aria-label="勾选 {c.number}"' in body  # qm may assign
    assert '<span class="pill pill-urgent">紧急</span>' in body
