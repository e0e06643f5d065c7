"""API v1: token endpoint, throttling, master-data reads with scoping and masking, the schema and docs."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_token_endpoint_issues_a_working_token(client, agent):
    resp = client.post(
        "/api/v1/auth/token", {"username": "agent", "password": "pass12345!"}, content_type="application/json"
    )
    token = resp.json()["token"]
    assert resp.status_code == 200 and token.startswith("cl_")
    assert client.get("/api/v1/complaints", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_wrong_password_is_401_json(client, agent):
    resp = client.post(
        "/api/v1/auth/token", {"username": "agent", "password": "x"}, content_type="application/json"
    )
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"


def test_token_endpoint_is_throttled(client, agent, settings):
    cache.clear()
    settings.API_TOKEN_RATE = "3/min"
    codes = [
        client.post(
            "/api/v1/auth/token", {"username": "agent", "password": "x"}, content_type="application/json"
        ).status_code
        for _ in range(5)
    ]
    cache.clear()
    assert codes == [401, 401, 401, 429, 429]


def test_customers_scoped_and_phones_masked(api, sales, qe, agent, order):
    assert api(sales).get("/customers").json()["items"] == []
    data = api(qe).get("/customers").json()["items"]
    assert data[0]["code"] == "C001" and data[0]["contacts"][0]["phone"] == "138****5678"
    assert api(agent).get("/customers/C001").json()["contacts"][0]["phone"] == "13812345678"
    assert api(sales).get("/customers/C001").status_code == 404


def test_products_and_orders(api, agent, order):
    assert api(agent).get("/products").json()["items"][0]["code"] == "P001"
    orders = api(agent).get("/orders", customer="C001").json()["items"]
    assert orders[0]["number"] == "SO-2026-0001"
    assert orders[0]["lines"] == [{"line": 1, "product": "P001", "quantity": 500, "lot": "L2605"}]
    assert orders[0]["shipments"][0]["number"] == "SH-0001"
    assert api(agent).get("/orders/SO-404").status_code == 404


def test_openapi_lists_the_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for p in [
        "/api/v1/auth/token",
        "/api/v1/complaints",
        "/api/v1/complaints/{number}",
        "/api/v1/customers",
        "/api/v1/products",
        "/api/v1/orders",
    ]:
        assert p in paths
    assert "patch" in paths["/api/v1/complaints/{number}"]


def test_docs_page_uses_local_assets(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
