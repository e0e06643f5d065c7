"""CRM pages: lists with pinned query counts, masking on the detail pages, scoping by owner."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closeloop.customers.tests.factories import contact_make, customer_make, order_make
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_list_shows_open_counts_in_a_constant_number_of_queries(client, agent, complaint):
    client.force_login(agent)
    client.get("/crm/customers/")  # warm the session and permission caches
    few, body = _queries(client, "/crm/customers/")
    assert "华东机电有限公司" in body and 'data-open="1"' in body
    for i in range(2, 12):
        customer_make(f"C{i:03d}", f"测试客户{i}有限公司", tier="strategic", sales_owner=agent)
    many, body = _queries(client, "/crm/customers/")
    assert many == few <= 8
    assert "测试客户11有限公司" in body and body.count("pill-serious") == 10


def test_list_search_and_tier_filter_are_kept_in_the_url(client, agent, customer):
    customer_make("C002", "苏州精密模具有限公司", tier="strategic")
    client.force_login(agent)
    body = client.get("/crm/customers/", {"q": "精密"}).content.decode()
    assert "苏州精密模具有限公司" in body and "华东机电有限公司" not in body
    body = client.get("/crm/customers/", {"tier": "key"}).content.decode()
    assert "华东机电有限公司" in body and "苏州精密模具有限公司" not in body
    # an unknown tier is reported and ignored rather than failing the page
    response = client.get("/crm/customers/", {"tier": "gold"})
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert "苏州精密模具有限公司" in response.content.decode()


def test_detail_masks_phones_and_emails_for_roles_without_pii(client, qe, agent, complaint):
    client.force_login(qe)
    body = client.get("/crm/customers/C001/").content.decode()
    assert "138****5678" in body and "13812345678" not in body
    assert "w***@example.com" in body and "wang@example.com" not in body
    assert complaint.number in body and "SO-2026-0001" in body
    client.force_login(agent)
    body = client.get("/crm/customers/C001/").content.decode()
    assert "13812345678" in body and "wang@example.com" in body


def test_detail_query_count_does_not_grow_with_orders_and_contacts(client, agent, order, product):
    client.force_login(agent)
    client.get("/crm/customers/C001/")
    few, _ = _queries(client, "/crm/customers/C001/")
    customer = order.customer
    for i in range(2, 8):
        contact_make(customer, name=f"联系人{i}", phone=f"1390000000{i}")
        order_make(f"SO-2026-00{i:02d}", customer, [(product, i, f"L{i}"), (product, 1, "")])
    many, body = _queries(client, "/crm/customers/C001/")
    assert many == few and "SO-2026-0007" in body and "联系人7" in body


def test_salesperson_sees_only_own_customers(client, sales, customer):
    client.force_login(sales)
    assert "华东机电有限公司" not in client.get("/crm/customers/").content.decode()
    assert client.get("/crm/customers/C001/").status_code == 404
    customer.sales_owner = sales
    customer.save()
    assert "华东机电有限公司" in client.get("/crm/customers/").content.decode()
    assert client.get("/crm/customers/C001/").status_code == 200


def test_pages_need_the_view_permissions(client, customer, order):
    from closeloop.accounts.tests.factories import user_make

    client.force_login(user_make("nobody"))
    for url in [
        "/crm/customers/",
        "/crm/customers/C001/",
        "/crm/products/",
        "/crm/orders/",
        f"/crm/orders/{order.number}/",
    ]:
        assert client.get(url).status_code == 403, url


def test_products_page(client, agent, product):
    client.force_login(agent)
    body = client.get("/crm/products/").content.decode()
    assert "十字螺丝刀" in body and "hand-tools" in body


def test_order_list_paginates_with_constant_queries(client, agent, customer, product):
    for i in range(1, 4):
        order_make(f"SO-A{i}", customer, [(product, 10 * i, f"L{i}")], order_date=dt.date(2026, 1, i))
    client.force_login(agent)
    client.get("/crm/orders/")
    few, body = _queries(client, "/crm/orders/")
    assert body.index("SO-A3") < body.index("SO-A1")  # newest first
    for i in range(4, 60):
        order_make(
            f"SO-A{i}", customer, [(product, 1, "")], order_date=dt.date(2025, 1, 1) + dt.timedelta(days=i)
        )
    many, body = _queries(client, "/crm/orders/")
    assert many == few <= 12
    assert "page=2" in body
    assert ">SO-A3</a>" in body and ">SO-A12</a>" not in body
    page2 = client.get("/crm/orders/", {"page": 2}).content.decode()
    assert ">SO-A12</a>" in page2 and ">SO-A4</a>" in page2 and ">SO-A3</a>" not in page2
    assert ">SO-A3</a>" in client.get("/crm/orders/", {"page": "zz"}).content.decode()  # bad page -> page 1
    searched = client.get("/crm/orders/", {"q": "SO-A5"}).content.decode()
    assert ">SO-A5</a>" in searched and ">SO-A50</a>" in searched and ">SO-A4</a>" not in searched


def test_order_detail_lines_shipments_warranty_and_complaints(client, qe, agent, order, frozen_now):
    c = complaint_intake(
        draft=ComplaintDraft(
            channel="email", order_number=order.number, title="包装破损", description="外箱破损"
        ),
        actor=agent,
    )
    client.force_login(qe)
    body = client.get(f"/crm/orders/{order.number}/").content.decode()
    assert "P001" in body and "L2605" in body and "SH-0001" in body and "顺丰速运" in body
    assert "2027-05-10" in body  # shipped 2026-05-10, twelve months of warranty
    assert c.number in body
    assert "138****5678" in body and "13812345678" not in body  # the order's contact, masked for QE


def test_salesperson_cannot_open_other_peoples_orders(client, sales, order):
    client.force_login(sales)
    assert client.get(f"/crm/orders/{order.number}/").status_code == 404
    assert order.number not in client.get("/crm/orders/").content.decode()
    order.customer.sales_owner = sales
    order.customer.save()
    assert client.get(f"/crm/orders/{order.number}/").status_code == 200


def test_empty_order_list_says_where_orders_come_from(client, agent):
    client.force_login(agent)
    body = client.get("/crm/orders/").content.decode()
    assert 'colspan="6"' in body and "page=2" not in body
