"""The staff intake form and its create-from-order lookup."""

from __future__ import annotations

import pytest

from closeloop.complaints.models import Complaint

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _post(client, **overrides):
    data = {
        "channel": "phone",
        "received_at": "2026-06-15T09:30",
        "order_number": "",
        "customer": "",
        "title": "螺丝刀杆生锈",
        "description": "表面生锈约50支",
        "severity": "serious",
        "urgency": "normal",
        "impact_scope": "single",
        "category": "quality-corrosion",
        "quantity_affected": "50",
    }
    data.update(overrides)
    return client.post("/intake/new/", data)


def test_form_renders_for_agent_and_is_refused_without_permission(client, agent, db):
    from closeloop.accounts.tests.factories import user_make

    client.force_login(agent)
    page = client.get("/intake/new/").content.decode()
    assert 'name="order_number"' in page and "锈蚀" in page
    client.force_login(user_make("reader"))
    assert client.get("/intake/new/").status_code == 403


@pytest.mark.parametrize("number", ["SO-2026-0001", "SH-0001"])
def test_lookup_by_order_or_shipment_fills_the_fields(client, agent, order, frozen_now, number):
    client.force_login(agent)
    html = client.get("/intake/order-lookup/", {"order_number": number, "received_at": "2026-06-15T09:30"})
    page = html.content.decode()
    assert "华东机电有限公司" in page and 'value="C001"' in page
    assert 'value="P001"' in page and 'value="L2605"' in page
    assert "2026-05-10" in page and "在保" in page and "2027-05-10" in page


def test_lookup_unknown_number_says_so(client, agent, db):
    client.force_login(agent)
    page = client.get("/intake/order-lookup/", {"order_number": "SO-404"}).content.decode()
    assert "SO-404" in page and "没有" in page


def test_lookup_offers_a_choice_of_lines(client, agent, customer, product, frozen_now):
    from closeloop.customers.tests.factories import order_make, product_make

    other = product_make("P002", "一字螺丝刀")
    order_make("SO-2", customer, [(product, 10, "LA"), (other, 20, "LB")])
    client.force_login(agent)
    page = client.get("/intake/order-lookup/", {"order_number": "SO-2"}).content.decode()
    assert 'name="order_line"' in page and "LA" in page and "LB" in page
    page = client.get("/intake/order-lookup/", {"order_number": "SO-2", "order_line": "2"}).content.decode()
    assert 'value="P002"' in page and 'value="LB"' in page


def test_salesperson_cannot_look_up_other_peoples_orders(client, sales, order, frozen_now):
    client.force_login(sales)
    page = client.get("/intake/order-lookup/", {"order_number": "SO-2026-0001"}).content.decode()
    assert "华东机电有限公司" not in page and "SO-2026-0001" in page
    order.customer.sales_owner = sales
    order.customer.save()
    page = client.get("/intake/order-lookup/", {"order_number": "SO-2026-0001"}).content.decode()
    assert "华东机电有限公司" in page


def test_post_from_order_creates_the_complaint_and_redirects(client, agent, order, frozen_now):
    client.force_login(agent)
    resp = _post(client, order_number="SO-2026-0001")
    c = Complaint.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/complaints/{c.number}/"
    assert (c.customer.code, c.product.code, c.lot, c.warranty_status) == ("C001", "P001", "L2605", "in")
    assert c.channel == "phone" and c.quantity_affected == 50


def test_bad_post_shows_field_errors_keeps_input_and_saves_nothing(client, agent, order, frozen_now):
    client.force_login(agent)
    resp = _post(client, order_number="SO-404", title="", description="我打的字不会丢", quantity_affected="5")
    page = resp.content.decode()
    assert resp.status_code == 422
    assert Complaint.objects.count() == 0
    assert "我打的字不会丢" in page  # typed text survives
    assert 'id="title-errors"' in page  # title error sits next to the title
    assert "SO-404" in page


def test_valid_attachment_is_kept_and_disguised_one_refused(client, agent, customer, frozen_now):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agent)
    bad = SimpleUploadedFile(
        "photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    resp = _post(client, customer="C001", attachments=[bad])
    assert resp.status_code == 422 and Complaint.objects.count() == 0
    assert "photo.jpg" in resp.content.decode()
    good = SimpleUploadedFile("现场照片.png", PNG, content_type="image/png")
    resp = _post(client, customer="C001", attachments=[good])
    assert resp.status_code == 302
    assert Complaint.objects.get().attachments.get().original_name == "现场照片.png"
