"""API v1: the complaint's site (plant) by code — created with it or derived from the product, changed
by PATCH, returned, filtered; an unknown code is a 422 naming ``site`` in the caller's language."""

from __future__ import annotations

import pytest

from closeloop.complaints.models import Complaint
from closeloop.customers.models import Product
from closeloop.customers.tests.factories import product_make, site_make

pytestmark = pytest.mark.django_db

BODY = {
    "customer": "C001",
    "channel": "email",
    "title": "齿轮泵漏油",
    "description": "齿轮泵运行两小时后轴封漏油严重",
    "received_at": "2026-06-14T09:30:00+08:00",
}


@pytest.fixture
def sites(db):
    return site_make("SZ", "深圳工厂", name_en="Shenzhen plant"), site_make("SU", "苏州工厂", name_en="")


def test_create_with_a_site_and_read_it_back(api, agent, customer, sites, frozen_now):
    resp = api(agent).post("/complaints", {**BODY, "site": "SU"})
    assert resp.status_code == 201, resp.content
    assert resp.json()["site"] == "SU"
    assert api(agent).get(f"/complaints/{resp.json()['number']}").json()["site"] == "SU"


def test_create_without_a_site_takes_the_product_site(api, agent, customer, sites, frozen_now):
    product_make("P201", "齿轮泵", site=sites[0])
    resp = api(agent).post("/complaints", {**BODY, "product": "P201"})
    assert resp.status_code == 201 and resp.json()["site"] == "SZ"
    resp = api(agent).post("/complaints", BODY)
    assert resp.status_code == 201 and resp.json()["site"] is None


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "No site has the code “XX”."), ("zh-hans", "没有编码为“XX”的工厂。")],
)
def test_create_with_an_unknown_site_is_a_422_naming_it(api, agent, customer, sites, language, message):
    resp = api(agent, HTTP_ACCEPT_LANGUAGE=language).post("/complaints", {**BODY, "site": "XX"})
    body = resp.json()
    assert resp.status_code == 422 and body["code"] == "validation_error"
    assert body["fields"] == {"site": [message]}
    assert Complaint.objects.count() == 0


def test_patch_moves_clears_and_refuses_a_site(api, qm, complaint, sites):
    resp = api(qm).patch(f"/complaints/{complaint.number}", {"site": "SZ"})
    assert resp.status_code == 200 and resp.json()["site"] == "SZ"
    resp = api(qm).patch(f"/complaints/{complaint.number}", {"severity": "minor"})
    assert resp.json()["site"] == "SZ"  # not sent: kept
    resp = api(qm, HTTP_ACCEPT_LANGUAGE="en").patch(f"/complaints/{complaint.number}", {"site": "XX"})
    assert resp.status_code == 422 and resp.json()["fields"] == {"site": ["No site has the code “XX”."]}
    assert Complaint.objects.get(pk=complaint.pk).site.code == "SZ"
    resp = api(qm).patch(f"/complaints/{complaint.number}", {"site": None})
    assert resp.status_code == 200 and resp.json()["site"] is None
    timeline = [ch for e in Complaint.objects.get(pk=complaint.pk).events.all() for ch in e.changes]
    assert {"field": "site", "old": None, "new": "SZ 深圳工厂"} in timeline
    assert {"field": "site", "old": "SZ 深圳工厂", "new": None} in timeline


def test_products_carry_their_site(api, agent, product, sites):
    Product.objects.filter(pk=product.pk).update(site=sites[1])
    assert api(agent).get("/products").json()["items"][0]["site"] == "SU"


def test_openapi_documents_the_site_field(api, agent):
    schema = api(agent).get("/openapi.json").json()["components"]["schemas"]
    assert "site" in schema["ComplaintIn"]["properties"] and "site" in schema["ComplaintOut"]["properties"]
