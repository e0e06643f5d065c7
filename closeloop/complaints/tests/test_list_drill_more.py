"""The list's parameters behind the cockpit's KPI cards and product Pareto
(listing.filters._drill_parse_kpi): each one on known data at the edges of its local days
(Asia/Shanghai), bad values reported on their field in English and Chinese (page and API), chips that
say what the list shows, and no extra queries.
How each drill equals its figure is dashboards/tests/test_drills.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from closeloop.accounts.models import User
from closeloop.accounts.services import api_token_create
from closeloop.actions import services as action_services
from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.services import complaint_triage
from closeloop.complaints.tests.listing_data import page_of
from closeloop.core import clock
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.investigations.models import Investigation
from closeloop.investigations.tests.factories import case_open
from closeloop.sla.models import Deadline

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=dt.UTC)


def _received(agent: User, when: dt.datetime, product: str) -> Complaint:
    clock.freeze(when)
    return complaint_intake(
        draft=ComplaintDraft(
            channel="phone", customer="C001", product=product, title="生锈", description="生锈"
        ),
        actor=agent,
    )


def _triaged(c: Complaint, qm: User) -> Complaint:
    return complaint_triage(
        complaint=c,
        actor=qm,
        category=Category.objects.get(code="quality-corrosion"),
        severity="general",
        urgency="normal",
        impact_scope="single",
        safety_risk=False,
    )


@pytest.fixture
def data(agent, qm, customer, product) -> Any:
    """Five complaints (UTC times; Shanghai is 8 hours ahead):

    * a — P001; handling started 06-02 16:30 (06-03 00:30 local); satisfied verdict 06-03 16:30
      (06-04 00:30 local).
    * c — no product; its response deadline due 06-05 16:30 (06-06 00:30 local) is unmet (missed),
      its containment deadline due 06-07 02:00 was met on time.
    * d — P001; its 8D case (opened 06-01 04:00) closed 06-10 16:30 (06-11 00:30 local).
    * e — P001; an open action due 06-08.
    * f — P001, just received.
    """
    out: dict[str, Complaint] = {}
    try:
        out["a"] = _triaged(_received(agent, utc(1, 2), "P001"), qm)
        clock.freeze(utc(2, 16, 30))
        out["a"] = complaint_start_handling(complaint=out["a"], actor=qm, path="quick")
        out["a"] = complaint_resolve(complaint=out["a"], actor=qm, resolution="更换")
        clock.freeze(utc(3, 16, 30))
        out["a"] = complaint_record_verdict(complaint=out["a"], actor=qm, satisfied=True, score=5)
        out["c"] = _triaged(_received(agent, utc(1, 3), ""), qm)
        clock.freeze(utc(1, 4))
        inv = case_open(_received(agent, utc(1, 4), "P001"), qm)
        Investigation.objects.filter(pk=inv.pk).update(
            status="closed", closed_at=utc(10, 16, 30), cost_total=Decimal(100)
        )
        out["d"] = inv.complaints.get()
        out["e"] = _triaged(_received(agent, utc(1, 5), "P001"), qm)
        clock.freeze(utc(1, 6))
        action_services.action_create(
            complaint=out["e"], actor=qm, title="复查", owner=qm, due_date=dt.date(2026, 6, 8)
        )
        out["f"] = _received(agent, utc(14, 1), "P001")
        Deadline.objects.all().delete()
        for target, due, met in (("response", utc(5, 16, 30), None), ("containment", utc(7, 2), utc(6, 1))):
            Deadline.objects.create(
                complaint=out["c"], target=target, due_at=due, met_at=met, amount=1, unit="calendar_days"
            )
        clock.freeze(NOW)
        yield out
    finally:
        clock.freeze(None)


def listed(user: User, **params: str) -> set[str]:
    page = page_of(user, page_size=100, **params)
    assert page.filters.errors == {}
    return {c.number for c in page.rows}


def expect(data: dict[str, Complaint], *keys: str) -> set[str]:
    return {data[k].number for k in keys}


def test_product(agent, data):
    assert listed(agent, product="P001") == expect(data, "a", "d", "e", "f")
    assert listed(agent, product="none") == expect(data, "c")
    assert listed(agent, product="P999") == set()


def test_deadlines_due_in_local_days(agent, data):
    # Due 06-06 00:30 in Shanghai (06-05 in UTC): on the local day 06-06.
    assert listed(agent, due_from="2026-06-06", due_to="2026-06-06") == expect(data, "c")
    assert listed(agent, deadline_missed="response", due_to="2026-06-05") == set()
    assert listed(agent, deadline_missed="response", due_from="2026-06-06", due_to="2026-06-06") == expect(
        data, "c"
    )
    assert listed(agent, deadline_missed="containment") == set()  # met on time
    assert listed(agent, deadline_missed="any") == expect(data, "c")
    # Without deadline_missed, any deadline due in the days: the containment one, due 06-07.
    assert listed(agent, due_from="2026-06-07") == expect(data, "c")
    # The miss and the due day are those of one deadline: c's miss is due 06-06, not 06-07.
    assert listed(agent, deadline_missed="any", due_from="2026-06-07") == set()


def test_verdicts_in_local_days(agent, data):
    assert listed(agent, verdict_from="2026-06-04", verdict_to="2026-06-04") == expect(data, "a")
    assert listed(agent, verdict_to="2026-06-03") == set()
    assert listed(agent, satisfied="1") == expect(data, "a")
    assert listed(agent, satisfied="1", verdict_from="2026-06-05") == set()


def test_case_closed_in_local_days(agent, data):
    assert listed(agent, case_closed_from="2026-06-11", case_closed_to="2026-06-11") == expect(data, "d")
    assert listed(agent, case_closed_to="2026-06-10") == set()
    assert listed(agent, case_primary="1") == expect(data, "d")


def test_handling_started_in_local_days(agent, data):
    assert listed(agent, started_from="2026-06-03", started_to="2026-06-03") == expect(data, "a")
    assert listed(agent, started_to="2026-06-02") == expect(data, "d")  # its 8D opened 06-01 12:00 local
    assert listed(agent, started_from="2026-06-04") == set()


def test_overdue_actions(agent, data):
    assert listed(agent, overdue_actions="1") == expect(data, "e")  # due 06-08, today 06-15
    assert listed(agent, overdue_actions="1", actions_due_before="2026-06-08") == set()
    assert listed(agent, actions_due_before="2026-06-09") == expect(data, "e")


BAD = [
    ("product", "P" * 41, "Use a product code of at most 40 characters.", "产品编码最多 40 个字符。"),
    (
        "deadline_missed",
        "every",
        "Use one of the deadline targets: ",
        "请使用以下时限目标之一：",
    ),
    ("due_from", "2026-13-01", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("due_to", "tomorrow", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("verdict_from", "2026-02-30", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("verdict_to", "06/14/2026", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("satisfied", "yes", "Use 1 to apply this filter.", "填 1 以启用此筛选。"),
    ("case_closed_from", "2026-6-1x", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("case_closed_to", "2026-06-31", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("case_primary", "2", "Use 1 to apply this filter.", "填 1 以启用此筛选。"),
    ("started_from", "x" * 11, "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("started_to", "2026-00-10", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
    ("overdue_actions", "true", "Use 1 to apply this filter.", "填 1 以启用此筛选。"),
    ("actions_due_before", "today", "Use a date like 2026-11-22.", "请使用 2026-11-22 这样的日期格式。"),
]


@pytest.mark.parametrize(("name", "value", "english", "chinese"), BAD)
def test_bad_values_are_reported_on_their_field(client, agent, data, name, value, english, chinese):
    # The page (the agent reads Chinese): the error next to the chip, nothing filtered.
    client.force_login(agent)
    body = client.get("/complaints/", {name: value}).content.decode()
    assert f'id="error-{name}"' in body
    assert chinese in body
    assert 'data-count="5"' in body
    # The API: a 422 naming the field, in the caller's language (Accept-Language, without a session).
    client.logout()
    _token, raw = api_token_create(user=agent, name="tests")
    for language, message in (("en", english), ("zh-hans", chinese)):
        api = client.get(
            "/api/v1/complaints",
            {name: value},
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert api.status_code == 422
        fields = api.json()["fields"]
        assert list(fields) == [name]
        assert fields[name][0].startswith(message)


def test_chips_say_what_the_drilled_list_shows(client, agent, data):
    agent.language = "en"
    agent.save()
    client.force_login(agent)
    body = client.get(
        "/complaints/?deadline_missed=any&due_from=2026-06-01&due_to=2026-06-14&product=none"
    ).content.decode()
    assert 'data-count="1"' in body
    for name in ("deadline_missed", "due_from", "due_to", "product"):
        assert f'data-filter="{name}"' in body
    assert "Any deadline" in body and "No product" in body and "Deadline due from" in body
    # A chip's link drops its own filter and keeps the others.
    assert 'href="?deadline_missed=any&amp;product=none&amp;due_from=2026-06-01"' in body
    # They ride along in the filter form, so changing another filter keeps them.
    assert '<input type="hidden" name="due_to" value="2026-06-14">' in body
    body = client.get(
        "/complaints/?satisfied=1&verdict_from=2026-06-04&case_primary=1&overdue_actions=1"
        "&actions_due_before=2026-06-09&started_from=2026-06-01&case_closed_from=2026-06-01"
    ).content.decode()
    for name in ("satisfied", "verdict_from", "case_primary", "overdue_actions", "actions_due_before"):
        assert f'data-filter="{name}"' in body
    assert "First complaint of its 8D case" in body and "Actions due before" in body


def test_kpi_drill_filters_do_not_add_queries(client, agent, data, django_assert_max_num_queries):
    client.force_login(agent)
    client.get("/complaints/")
    # As the plain list (9 + the bell): each of these is a condition of the one count and one page.
    with django_assert_max_num_queries(10):
        r = client.get(
            "/complaints/?product=P001&deadline_missed=any&due_from=2026-06-01&due_to=2026-06-14"
            "&verdict_from=2026-06-01&verdict_to=2026-06-14&satisfied=1&case_closed_from=2026-06-01"
            "&case_closed_to=2026-06-14&case_primary=1&started_from=2026-06-01&started_to=2026-06-14"
            "&overdue_actions=1&actions_due_before=2026-06-14"
        )
    assert r.status_code == 200
