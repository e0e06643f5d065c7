"""The complaint's site (plant): changed at triage with its audit row, shown on the page, filtered in
the list (page and API) with a chip, and refused by name when it is not a site."""

from __future__ import annotations

import pytest

from closeloop.accounts.services import api_token_create
from closeloop.complaints.models import Category, Complaint, ComplaintEvent
from closeloop.complaints.services import KEEP, complaint_triage
from closeloop.core.errors import ValidationFailed
from closeloop.customers.models import Site
from closeloop.customers.tests.factories import product_make, site_make
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites(db) -> dict[str, Site]:
    return {
        "SZ": site_make("SZ", "深圳工厂", name_en="Shenzhen plant"),
        "SU": site_make("SU", "苏州工厂", name_en="Suzhou plant"),
    }


def _new(actor, title: str = "杆部生锈", **kw) -> Complaint:
    return complaint_intake(
        draft=ComplaintDraft(channel="phone", customer="C001", title=title, description=title, **kw),
        actor=actor,
    )


def _triage(c: Complaint, actor, **kw) -> Complaint:
    return complaint_triage(
        complaint=c,
        actor=actor,
        category=Category.objects.get(code="quality-corrosion"),
        severity="general",
        urgency="normal",
        impact_scope="single",
        safety_risk=False,
        **kw,
    )


def test_triage_moves_the_complaint_to_another_site_and_records_the_change(
    agent, qe, customer, sites, frozen_now
):
    product_make("P201", "扳手", site=sites["SZ"])
    c = _new(agent, product="P201")
    assert c.site == sites["SZ"]
    c = _triage(c, qe, site=sites["SU"])
    assert Complaint.objects.get(pk=c.pk).site == sites["SU"]
    ev = ComplaintEvent.objects.filter(complaint=c, verb="triaged").get()
    assert {"field": "site", "old": "SZ 深圳工厂", "new": "SU 苏州工厂"} in ev.changes


def test_triage_keeps_the_site_unless_told_and_none_clears_it(agent, qe, customer, sites, frozen_now):
    c = _new(agent, site="SZ")
    c = _triage(c, qe)  # KEEP by default
    assert c.site == sites["SZ"]
    assert not any(ch["field"] == "site" for ch in ComplaintEvent.objects.get(verb="triaged").changes)
    c = _triage(c, qe, site=KEEP)
    assert c.site == sites["SZ"]
    c = _triage(c, qe, site=None)
    assert Complaint.objects.get(pk=c.pk).site is None
    last = ComplaintEvent.objects.filter(verb="triaged").order_by("-id").first()
    assert {"field": "site", "old": "SZ 深圳工厂", "new": None} in last.changes


def test_triage_refuses_an_inactive_site_by_name_but_keeps_a_retired_current_one(
    agent, qe, customer, sites, frozen_now
):
    old = site_make("OLD", "旧工厂", is_active=False)
    c = _new(agent, site="SZ")
    with pytest.raises(ValidationFailed) as exc:
        _triage(c, qe, site=old)
    assert list(exc.value.fields) == ["site"]
    assert Complaint.objects.get(pk=c.pk).site == sites["SZ"]
    Site.objects.filter(pk=sites["SZ"].pk).update(is_active=False)
    c = _triage(Complaint.objects.get(pk=c.pk), qe, site=Site.objects.get(code="SZ"))
    assert c.site.code == "SZ"


def _post_triage(client, c: Complaint, **extra):
    data = {
        "version": c.version,
        "category": "quality-corrosion",
        "severity": "general",
        "urgency": "normal",
        "impact_scope": "single",
        "handling_path": "",
        "owner": "",
        "department": "",
        **extra,
    }
    return client.post(f"/complaints/{c.number}/triage/", data)


def test_complaint_page_shows_the_site_and_the_triage_form_changes_it(
    client, agent, qe, customer, sites, frozen_now
):
    c = _new(agent, site="SZ")
    client.force_login(qe)
    body = client.get(f"/complaints/{c.number}/").content.decode()
    assert 'id="site">SZ 深圳工厂<' in body
    assert '<option value="SU">SU 苏州工厂</option>' in body
    assert _post_triage(client, c, site="SU").status_code == 302
    c.refresh_from_db()
    assert c.site == sites["SU"]
    timeline = client.get(f"/complaints/{c.number}/").content.decode()
    assert "SU 苏州工厂" in timeline and "工厂" in timeline


def test_a_triage_post_without_the_field_keeps_the_site_and_a_bad_one_is_shown_beside_it(
    client, agent, qe, customer, sites, frozen_now
):
    c = _new(agent, site="SZ")
    client.force_login(qe)
    assert _post_triage(client, c).status_code == 302
    c.refresh_from_db()
    assert c.site == sites["SZ"]
    resp = _post_triage(client, c, site="XX")
    assert resp.status_code == 422 and "site" in resp.context["triage_form"].errors
    assert Complaint.objects.get(pk=c.pk).site == sites["SZ"]


@pytest.fixture
def listed(agent, customer, sites, frozen_now) -> None:
    _new(agent, "深圳一", site="SZ")
    _new(agent, "深圳二", site="SZ")
    _new(agent, "苏州一", site="SU")
    _new(agent, "无工厂")


def _api_get(client, user, **params):
    _token, raw = api_token_create(user=user, name="tests")
    return client.get("/api/v1/complaints", params, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_list_filters_by_site_on_the_page_and_in_the_api(client, agent, listed):
    client.force_login(agent)
    body = client.get("/complaints/", {"site": "SZ"}).content.decode()
    assert 'data-count="2"' in body
    assert 'data-filter="site"' in body and "SZ 深圳工厂" in body  # the chip, with the site's name
    assert '<input type="hidden" name="site" value="SZ">' in body  # kept when other filters change
    assert 'data-count="0"' in client.get("/complaints/", {"site": "CQ"}).content.decode()
    api = _api_get(client, agent, site="SU")
    assert api.status_code == 200 and [i["title"] for i in api.json()["items"]] == ["苏州一"]
    assert api.json()["items"][0]["site"] == "SU"


@pytest.mark.parametrize("value", ["深圳", "S Z", "x" * 21, "SZ;drop"])
def test_a_bad_site_value_is_reported_on_its_field(client, agent, listed, value):
    client.force_login(agent)
    body = client.get("/complaints/", {"site": value}).content.decode()
    assert 'id="error-site"' in body
    assert 'data-count="4"' in body  # not applied
    api = _api_get(client, agent, site=value)
    assert api.status_code == 422 and list(api.json()["fields"]) == ["site"]


def test_the_site_filter_does_not_add_queries(client, agent, listed, django_assert_max_num_queries):
    client.force_login(agent)
    # As the plain list (9 + the bell), plus one for the site chip's name.
    with django_assert_max_num_queries(11):
        assert client.get("/complaints/", {"site": "SZ"}).status_code == 200
