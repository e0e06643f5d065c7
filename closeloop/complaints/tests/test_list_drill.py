"""The list's drill-down parameters (the cockpit links to the list through them): each one counted on
known data built through the real services, bad values reported on their field (page) or as a 422
naming it (API), and the active filters shown as removable chips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from closeloop.accounts.models import Department, User
from closeloop.accounts.services import api_token_create
from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.services import complaint_triage
from closeloop.complaints.tests.listing_data import page_of
from closeloop.core import clock
from closeloop.customers.tests.factories import customer_make, product_make
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.investigations.tests.factories import case_open, case_through, save

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)


@contextmanager
def at(when: dt.datetime) -> Iterator[None]:
    clock.freeze(when)
    try:
        yield
    finally:
        clock.freeze(None)


def day(month: int, d: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, d, hour, 0, tzinfo=dt.UTC)


def received(actor: User, when: dt.datetime, title: str, **kw: Any) -> Complaint:
    with at(when):
        return complaint_intake(
            draft=ComplaintDraft(
                channel="phone", customer=kw.pop("customer", "C001"), title=title, description=title, **kw
            ),
            actor=actor,
        )


def triaged(c: Complaint, actor: User, when: dt.datetime, department: Department | None = None) -> Complaint:
    with at(when):
        return complaint_triage(
            complaint=c,
            actor=actor,
            category=Category.objects.get(code="quality-corrosion"),
            severity="general",
            urgency="normal",
            impact_scope="single",
            safety_risk=False,
            department=department,
            reassign=department is not None,
        )


def closed_quick(c: Complaint, actor: User, started: dt.datetime, closed: dt.datetime) -> Complaint:
    with at(started):
        c = complaint_start_handling(complaint=c, actor=actor, path="quick")
        c = complaint_resolve(complaint=c, actor=actor, resolution="已更换")
    with at(closed):
        return complaint_record_verdict(complaint=c, actor=actor, satisfied=True, score=5)


@pytest.fixture
def data(
    agent, qm, qe, worker, team, finance, salesmgr, customer, product, quality_dept
) -> dict[str, Complaint]:
    """Nine complaints (C001 and C002; products P001 and P002 of families hand-tools / power-tools):

    * quick1 — P001, received 05-01, triaged to the quality department and started at once, closed 06-15.
    * quick2 — P001, 06-10 (a repeat of quick1, 40 days later); triaged 06-10, started only 06-25 (its
      first response met late), reopened once by the customer, closed 06-28.
    * later — P001, 09-20 received (102 days after quick2: not a repeat).
    * other_customer — C002, P001, 06-11 (another customer: not a repeat).
    * power — P002, 06-12, triaged 06-12 to production and never started (its first response missed by NOW).
    * case_d0 / case_d4 — 8D cases at D0, and at D4 with the D4 seed content (verified root cause in
      the environment bone).
    * new1, new2 — untriaged.
    """
    customer_make("C002", "广州南方汽配", tier="normal")
    product_make("P002", "电钻", family="power-tools", warranty_months=12)
    out: dict[str, Complaint] = {}
    out["quick1"] = received(agent, day(5, 1), "螺丝刀杆生锈", product="P001")
    out["quick1"] = triaged(out["quick1"], qm, day(5, 1, 11), department=quality_dept)
    out["quick1"] = closed_quick(out["quick1"], qm, day(5, 1, 12), day(6, 15))
    out["quick2"] = received(agent, day(6, 10), "螺丝刀杆再次生锈", product="P001")
    out["quick2"] = triaged(out["quick2"], qm, day(6, 10, 11))
    with at(day(6, 25)):
        c = complaint_start_handling(complaint=out["quick2"], actor=qm, path="quick")
        c = complaint_resolve(complaint=c, actor=qm, resolution="已更换")
        c = complaint_record_verdict(complaint=c, actor=qm, satisfied=False, reopen_reason="仍有锈迹")
        c = complaint_resolve(complaint=c, actor=qm, resolution="再次更换并加防锈油")
    with at(day(6, 28)):
        out["quick2"] = complaint_record_verdict(complaint=c, actor=qm, satisfied=True, score=4)
    out["later"] = received(agent, day(9, 20), "刀头磨损", product="P001")
    out["other_customer"] = received(agent, day(6, 11), "包装破损", customer="C002", product="P001")
    production = Department.objects.get(code="production")
    out["power"] = triaged(
        received(agent, day(6, 12), "电钻异响", product="P002"), qm, day(6, 12, 11), department=production
    )
    out["case_d0"] = received(agent, day(6, 13), "批量锈蚀")
    out["case_d4"] = received(agent, day(6, 13), "批量锈蚀二")
    with at(day(6, 13, 11)):
        case_open(out["case_d0"], qm)
        inv = case_open(out["case_d4"], qm)
        case_through(inv, upto=3, qm=qm, team=team, owner=qe)
        save(inv, 4, qm)
    out["new1"] = received(agent, day(6, 20), "新客诉一")
    out["new2"] = received(agent, day(6, 21), "新客诉二")
    return out


def numbers(user: User, **params: str) -> set[str]:
    with at(NOW):
        return {c.number for c in page_of(user, page_size=100, **params).rows}


def expect(data: dict[str, Complaint], *keys: str) -> set[str]:
    return {data[k].number for k in keys}


def test_product_family(agent, data):
    assert numbers(agent, product_family="hand-tools") == expect(
        data, "quick1", "quick2", "later", "other_customer"
    )
    assert numbers(agent, product_family="power-tools") == expect(data, "power")
    assert numbers(agent, product_family="no-such-family") == set()


def test_closed_range(agent, data):
    assert numbers(agent, closed_from="2026-06-01") == expect(data, "quick1", "quick2")
    assert numbers(agent, closed_from="2026-06-16") == expect(data, "quick2")
    assert numbers(agent, closed_to="2026-06-15") == expect(data, "quick1")
    assert numbers(agent, closed_from="2026-06-16", closed_to="2026-06-27") == set()


def test_step(agent, data):
    assert numbers(agent, step="quick") == expect(data, "quick1", "quick2")
    assert numbers(agent, step="D0") == expect(data, "case_d0")
    assert numbers(agent, step="D4") == expect(data, "case_d4")
    assert numbers(agent, step="d4") == expect(data, "case_d4")  # the step's letter in either case
    assert numbers(agent, step="D8") == set()


def test_department(agent, data):
    # Starting the handling makes the (quality manager) starter the owner, and their department the
    # complaint's; "power" was triaged to production and never started.
    assert numbers(agent, department="quality") == expect(data, "quick1", "quick2", "case_d0", "case_d4")
    assert numbers(agent, department="production") == expect(data, "power")
    assert numbers(agent, department="finance") == set()


def test_root_cause(agent, data):
    assert numbers(agent, root_cause="environment") == expect(data, "case_d4")
    assert numbers(agent, root_cause="man") == set()


def test_deadline_missed(agent, data):
    # quick2 started 15 days after triage (met late); power was never started (missed by NOW); quick1
    # and the 8D complaints were started the day they were triaged.
    assert numbers(agent, deadline_missed="response") == expect(data, "quick2", "power")


def test_reopened_and_repeat(agent, data):
    assert numbers(agent, reopened="1") == expect(data, "quick2")
    assert numbers(agent, repeat="1") == expect(data, "quick2")
    assert numbers(agent, reopened="0") == numbers(agent)  # 0 is "not filtered", as if absent
    assert len(numbers(agent)) == 9


def test_parameters_combine(agent, data):
    assert numbers(agent, product_family="hand-tools", step="quick", reopened="1") == expect(data, "quick2")
    assert numbers(agent, customer="C002", repeat="1") == set()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("step", "D9"),
        ("step", "D-1"),
        ("department", "质量 部;drop"),
        ("root_cause", "weather"),
        ("deadline_missed", "lunch"),
        ("reopened", "yes"),
        ("repeat", "2"),
        ("closed_from", "2026-13-01"),
        ("closed_to", "tomorrow"),
    ],
)
def test_bad_values_are_reported_on_their_field(client, agent, data, name, value):
    client.force_login(agent)
    r = client.get("/complaints/", {name: value})
    assert r.status_code == 200
    body = r.content.decode()
    assert f'id="error-{name}"' in body
    # Not applied: the list shows everything.
    assert 'data-count="9"' in body
    _token, raw = api_token_create(user=agent, name="tests")
    api = client.get("/api/v1/complaints", {name: value}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 422
    assert list(api.json()["fields"]) == [name]


def test_drilled_list_shows_removable_chips(client, agent, data):
    client.force_login(agent)
    body = client.get("/complaints/?product_family=hand-tools&step=quick&reopened=1").content.decode()
    assert 'data-count="1"' in body
    assert 'data-filter="product_family"' in body and "hand-tools" in body
    assert 'data-filter="step"' in body and 'data-filter="reopened"' in body
    # The chip's link drops its own filter and keeps the others.
    assert 'href="?product_family=hand-tools&amp;reopened=1"' in body
    # The drill-down parameters ride along in the filter form, so changing another filter keeps them.
    assert '<input type="hidden" name="product_family" value="hand-tools">' in body
    assert '<input type="hidden" name="step" value="quick">' in body


def test_drill_filters_do_not_add_queries(client, agent, data, django_assert_max_num_queries):
    client.force_login(agent)
    # As for the plain list (9 + the bell), plus one for the department chip's name.
    with django_assert_max_num_queries(11):
        r = client.get(
            "/complaints/?product_family=hand-tools&step=quick&department=quality&root_cause=man"
            "&deadline_missed=response&reopened=1&repeat=1&closed_from=2026-06-01&closed_to=2026-06-30"
        )
    assert r.status_code == 200
