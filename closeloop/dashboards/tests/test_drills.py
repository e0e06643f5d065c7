"""Every KPI card and the product Pareto, followed through the real complaint list: on known data, the
drill's parameters list exactly the complaints behind the figure — those counted; for a rate its
numerator (for an on-time rate its misses, due − met); for a median or mean its sample. Then the
Pareto's labels in the request's language, on the API and the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from closeloop.accounts.models import User
from closeloop.accounts.services import api_token_create
from closeloop.actions import services as action_services
from closeloop.complaints import listing
from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.services import complaint_mark_invalid, complaint_triage
from closeloop.core import clock
from closeloop.customers.tests.factories import customer_make, product_make
from closeloop.dashboards.charts import drill_url
from closeloop.dashboards.kpi import DashFilters, drill_query
from closeloop.dashboards.selectors import kpis_get, pareto_get
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.investigations.models import Investigation
from closeloop.investigations.tests.factories import case_open
from closeloop.sla.models import Deadline

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
JUNE = DashFilters(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 14))
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SH)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def _intake(agent: User, received: dt.datetime, customer: str = "C001", product: str = "P001") -> Complaint:
    clock.freeze(received)
    draft = ComplaintDraft(
        channel="phone",
        customer=customer,
        product=product,
        title="生锈",
        description="杆部生锈",
        received_at=received,
    )
    return complaint_intake(draft=draft, actor=agent)


def _triage(c: Complaint, qm: User, when: dt.datetime) -> Complaint:
    clock.freeze(when)
    return complaint_triage(
        complaint=c,
        actor=qm,
        category=Category.objects.get(code="quality-corrosion"),
        severity="general",
        urgency="normal",
        impact_scope="single",
        safety_risk=False,
    )


def _started(agent: User, qm: User, received: dt.datetime, started: dt.datetime, **kw: Any) -> Complaint:
    c = _triage(_intake(agent, received, **kw), qm, received + dt.timedelta(minutes=30))
    clock.freeze(started)
    return complaint_start_handling(complaint=c, actor=qm, path="quick")


def _verdict(
    c: Complaint, qm: User, when: dt.datetime, *, satisfied: bool, score: int | None = None
) -> Complaint:
    clock.freeze(when - dt.timedelta(hours=1))
    c = complaint_resolve(complaint=c, actor=qm, resolution="更换")
    clock.freeze(when)
    return complaint_record_verdict(
        complaint=c, actor=qm, satisfied=satisfied, score=score, reopen_reason="" if satisfied else "仍生锈"
    )


def _case(agent: User, qm: User, opened: dt.datetime, customer: str = "C001") -> Investigation:
    clock.freeze(opened)
    return case_open(_intake(agent, opened - dt.timedelta(hours=2), customer=customer), qm)


def _join(agent: User, qm: User, inv: Investigation, when: dt.datetime, customer: str) -> Complaint:
    c = _triage(
        _intake(agent, when - dt.timedelta(hours=2), customer=customer), qm, when - dt.timedelta(hours=1)
    )
    clock.freeze(when)
    return complaint_start_handling(complaint=c, actor=qm, path="8d", investigation=inv)


def _close_case(inv: Investigation, when: dt.datetime, cost: int, recovered: int) -> None:
    # Closing through D8 is the investigations tests' business; here only its date and cost matter.
    Investigation.objects.filter(pk=inv.pk).update(
        status="closed", closed_at=when, cost_total=Decimal(cost), cost_recovered=Decimal(recovered)
    )


def _deadline(c: Complaint, target: str, due: dt.datetime, **kw: dt.datetime) -> None:
    Deadline.objects.create(complaint=c, target=target, due_at=due, amount=1, unit="calendar_days", **kw)


@pytest.fixture
def story(agent, qm, customer, product) -> Any:
    """The complaints behind every figure of JUNE (06-01 … 06-14, Shanghai), seen at NOW (06-15 10:00):

    * Deadlines (set by hand; the policies' arithmetic is sla's own test), on complaints t1…t6:
      t1 response met at its due second (on time) and containment met an hour late; t2 response unmet
      and past due, closure paused *after* its due time (missed); t3 root cause paused *before* its due
      time (not yet due) and response due 06-14 23:30 met the next morning (late, due in the period);
      t4 response due 06-15 00:30 and containment due 05-31 23:30, both missed but due outside the
      period; t5 response missed but t5 is invalid; t6 response met early.
    * Verdicts: s1 unsatisfied 06-04 then satisfied (4) 06-06; s2 satisfied 05-25 (before); s3
      satisfied (3) 06-14 23:00; s4 unsatisfied 06-09.
    * Handling started: s1 06-02, s3 06-08, s4 06-03 and the 8D complaints below in the period; s2 and
      k3 before it.
    * 8D cases: k1 (primary k1a of C001, joined by k1b of C002) closed 06-10 at 1,000 − 100; k2
      (primary k2a of C002, joined by k2b of C001) closed 06-12 at 500; k3 closed 05-28; k4 open.
    * Actions: s4 has two open ones due 06-05 and 06-10 (overdue); k4a one due 06-14 (the period's last
      day: not before it); t2 one due 06-08 but done; t5 one due 06-03, open, but t5 is invalid.
    * Products: every complaint is P001 except p2 (P002) and none1, none2 (no product).
    """
    customer_make("C002", "广州南方汽配", tier="normal")
    product_make("P002", "电钻", family="power-tools", warranty_months=12)
    c: dict[str, Any] = {}
    try:
        for n in range(1, 7):
            c[f"t{n}"] = _triage(_intake(agent, at(6, 1, 8)), qm, at(6, 1, 8, 30))
        clock.freeze(at(6, 1, 9))
        done = action_services.action_create(
            complaint=c["t2"], actor=qm, title="复查", owner=qm, due_date=dt.date(2026, 6, 8)
        )
        action_services.action_complete(action=done, actor=qm, note="完成")
        action_services.action_create(
            complaint=c["t5"], actor=qm, title="复查", owner=qm, due_date=dt.date(2026, 6, 3)
        )
        c["t5"] = complaint_mark_invalid(complaint=c["t5"], actor=qm, reason="测试")

        c["s1"] = _started(agent, qm, at(6, 1, 10), at(6, 2))
        c["s1"] = _verdict(c["s1"], qm, at(6, 4), satisfied=False)
        c["s1"] = _verdict(c["s1"], qm, at(6, 6), satisfied=True, score=4)
        c["s2"] = _started(agent, qm, at(5, 19), at(5, 20))
        c["s2"] = _verdict(c["s2"], qm, at(5, 25), satisfied=True, score=5)
        c["s3"] = _started(agent, qm, at(6, 7), at(6, 8))
        c["s3"] = _verdict(c["s3"], qm, at(6, 14, 23), satisfied=True, score=3)
        c["s4"] = _started(agent, qm, at(6, 2), at(6, 3))
        clock.freeze(at(6, 3, 10))
        for due in (5, 10):
            action_services.action_create(
                complaint=c["s4"], actor=qm, title="整改", owner=qm, due_date=dt.date(2026, 6, due)
            )
        c["s4"] = _verdict(c["s4"], qm, at(6, 9), satisfied=False)

        k1 = _case(agent, qm, at(6, 2))
        c["k1b"] = _join(agent, qm, k1, at(6, 3), "C002")
        k2 = _case(agent, qm, at(6, 2, 11), customer="C002")
        c["k2b"] = _join(agent, qm, k2, at(6, 3, 11), "C001")
        k3 = _case(agent, qm, at(5, 20))
        k4 = _case(agent, qm, at(6, 4))
        clock.freeze(at(6, 4, 10))
        action_services.action_create(
            complaint=k4.complaints.get(), actor=qm, title="遏制", owner=qm, due_date=dt.date(2026, 6, 14)
        )
        _close_case(k1, at(6, 10), 1000, 100)
        _close_case(k2, at(6, 12), 500, 0)
        _close_case(k3, at(5, 28), 700, 0)
        for name, inv in (("k1a", k1), ("k2a", k2), ("k3a", k3), ("k4a", k4)):
            c[name] = inv.complaints.order_by("pk").first()

        c["p2"] = _intake(agent, at(6, 5), product="P002")
        c["none1"] = _intake(agent, at(6, 6), product="")
        c["none2"] = _intake(agent, at(6, 7), product="")

        Deadline.objects.all().delete()
        _deadline(c["t1"], "response", at(6, 3, 12), met_at=at(6, 3, 12))
        _deadline(c["t1"], "containment", at(6, 5, 12), met_at=at(6, 5, 13))
        _deadline(c["t2"], "response", at(6, 4, 12))
        _deadline(c["t2"], "closure", at(6, 10, 12), paused_at=at(6, 11))
        _deadline(c["t3"], "root_cause", at(6, 7, 12), paused_at=at(6, 7, 10))
        _deadline(c["t3"], "response", at(6, 14, 23, 30), met_at=at(6, 15, 8))
        _deadline(c["t4"], "response", at(6, 15, 0, 30))
        _deadline(c["t4"], "containment", at(5, 31, 23, 30), met_at=at(6, 2))
        _deadline(c["t5"], "response", at(6, 5, 12))
        _deadline(c["t6"], "response", at(6, 6, 12), met_at=at(6, 5, 12))
        clock.freeze(NOW)
        yield c
    finally:
        clock.freeze(None)


def listed(user: User, drill: dict[str, str]) -> set[str]:
    """The numbers the complaint list shows for ``drill`` (every page; the drill must parse cleanly)."""
    f = listing.filters_parse(QueryDict(drill_query(drill)))
    assert f.errors == {}
    page = listing.complaint_list(user=user, f=f, page_size=500)
    assert page.count == len(page.rows)
    return {row.number for row in page.rows}


def numbers(story: dict[str, Any], *keys: str) -> set[str]:
    return {story[k].number for k in keys}


def test_timely_drills_list_the_misses(story, gm):
    k = kpis_get(user=gm, f=JUNE)
    response = k["timely_response"]
    assert (response.numerator, response.denominator) == (2, 4)  # t1 (exact second), t6 of t1 t2 t3 t6
    assert listed(gm, response.drill) == numbers(story, "t2", "t3")
    for code in ("timely_response", "timely_containment", "timely_root_cause", "timely_closure"):
        due, met = k[code].denominator or 0, k[code].numerator or 0
        assert len(listed(gm, k[code].drill)) == due - met, code  # one deadline per complaint and target
    containment = k["timely_containment"]
    assert (containment.numerator, containment.denominator) == (0, 1)
    assert listed(gm, containment.drill) == numbers(story, "t1")
    root_cause = k["timely_root_cause"]
    assert (root_cause.value, root_cause.denominator) == (None, 0)  # paused before due: not yet due
    assert listed(gm, root_cause.drill) == set()
    closure = k["timely_closure"]
    assert (closure.numerator, closure.denominator) == (0, 1)
    assert listed(gm, closure.drill) == numbers(story, "t2")
    overall = k["timely_rate"]
    assert (overall.numerator, overall.denominator) == (2, 6)
    # Four missed deadlines on three complaints: t2 missed two and is listed once.
    assert listed(gm, overall.drill) == numbers(story, "t1", "t2", "t3")
    assert overall.drill["deadline_missed"] == "any"
    assert (overall.drill["due_from"], overall.drill["due_to"]) == ("2026-06-01", "2026-06-14")


def test_satisfaction_drills_list_the_satisfied_verdicts(story, gm):
    k = kpis_get(user=gm, f=JUNE)
    rate, mean = k["satisfaction_rate"], k["satisfaction_mean"]
    assert (rate.numerator, rate.denominator) == (2, 4)  # s1 twice, s3, s4
    assert (mean.value, mean.denominator) == (3.5, 2)
    assert listed(gm, rate.drill) == numbers(story, "s1", "s3")
    assert len(listed(gm, rate.drill)) == rate.numerator == mean.denominator
    assert mean.drill == rate.drill
    # Without satisfied=1: every complaint with a verdict recorded in the period (s1 once).
    every = {k: v for k, v in rate.drill.items() if k != "satisfied"}
    assert listed(gm, every) == numbers(story, "s1", "s3", "s4")


def test_copq_drill_lists_one_primary_complaint_per_case(story, gm):
    k = kpis_get(user=gm, f=JUNE)
    assert k["copq"].value == 1400.0  # k1 (1,000 − 100) + k2 (500); k3 closed before the period
    assert listed(gm, k["copq"].drill) == numbers(story, "k1a", "k2a")
    # By customer: k2 is counted with its primary complaint k2a (C002), never with k2b (C001).
    c001 = DashFilters(date_from=JUNE.date_from, date_to=JUNE.date_to, customer="C001")
    k = kpis_get(user=gm, f=c001)
    assert k["copq"].value == 900.0
    assert listed(gm, k["copq"].drill) == numbers(story, "k1a")
    # Without case_primary=1: every complaint of the cases closed in the period.
    every = {"case_closed_from": "2026-06-01", "case_closed_to": "2026-06-14"}
    assert listed(gm, every) == numbers(story, "k1a", "k1b", "k2a", "k2b")


def test_first_response_drill_lists_its_sample(story, gm):
    k = kpis_get(user=gm, f=JUNE)["first_response_hours"]
    expected = numbers(story, "s1", "s3", "s4", "k1a", "k1b", "k2a", "k2b", "k4a")
    assert k.denominator == len(expected)
    assert listed(gm, k.drill) == expected


def test_overdue_actions_drill_lists_their_complaints(story, gm):
    k = kpis_get(user=gm, f=JUNE)["overdue_actions"]
    assert k.value == 2  # s4's two; k4a's is due on the last day, t2's is done, t5 is invalid
    assert listed(gm, k.drill) == numbers(story, "s4")
    # overdue_actions=1 alone counts up to today (06-15): k4a's action, due 06-14, is overdue now.
    assert listed(gm, {"overdue_actions": "1"}) == numbers(story, "s4", "k4a", "t5")


def test_every_kpi_card_has_a_drill_except_a_past_backlog(story, gm):
    k = kpis_get(user=gm, f=JUNE)
    assert [code for code, kpi in k.items() if not kpi.drill] == ["open"]  # JUNE ended before NOW


def test_product_pareto_bars_list_exactly_their_complaints(story, gm):
    rows = pareto_get(user=gm, f=JUNE, dimension="product")
    assert [(r.key, r.count) for r in rows] == [("P001", rows[0].count), ("", 2), ("P002", 1)]
    for row in rows:
        assert row.drill, row
        assert len(listed(gm, row.drill)) == row.count
    assert listed(gm, rows[1].drill) == numbers(story, "none1", "none2")
    assert rows[1].drill["product"] == "none"
    assert listed(gm, rows[2].drill) == numbers(story, "p2")


def test_the_page_links_each_card_and_bar_to_its_list(client, story, gm):
    k = kpis_get(user=gm, f=JUNE)
    expected = {
        "timely_rate": 3,
        "timely_response": 2,
        "timely_containment": 1,
        "timely_closure": 1,
        "satisfaction_rate": 2,
        "satisfaction_mean": 2,
        "copq": 2,
        "first_response_hours": k["first_response_hours"].denominator,
        "overdue_actions": 1,
    }
    client.force_login(gm)
    body = client.get("/dashboard/?period=custom&from=2026-06-01&to=2026-06-14").content.decode()
    for code, count in expected.items():
        url = drill_url(k[code].drill)
        assert f'href="{url.replace("&", "&amp;")}"' in body, code
        assert f'data-count="{count}"' in client.get(url).content.decode(), code
    for row in pareto_get(user=gm, f=JUNE, dimension="product"):
        assert drill_url(row.drill).replace("&", "&amp;") in body
        assert f'data-count="{row.count}"' in client.get(drill_url(row.drill)).content.decode()


def test_drills_count_the_same_days_for_a_user_in_another_time_zone(client, story, gm):
    # The cockpit counts days in the site's time zone (Shanghai); a manager who reads times in New York
    # (12 hours behind, so a 09:00 receipt there is the day before) must get the same complaints when
    # following a card or a bar, as the list reads its day filters in the site's zone too.
    gm.time_zone = "America/New_York"
    gm.save(update_fields=["time_zone"])
    client.force_login(gm)
    k = kpis_get(user=gm, f=JUNE)
    links = [(code, k[code].drill, k[code].value) for code in ("received", "closed") if k[code].drill]
    links += [(row.key, row.drill, row.count) for row in pareto_get(user=gm, f=JUNE, dimension="product")]
    assert links
    for name, drill, count in links:
        assert f'data-count="{count}"' in client.get(drill_url(drill)).content.decode(), name
    story_day = story["p2"].received_at.astimezone(SH).date().isoformat()
    page = client.get(f"/complaints/?received_from={story_day}&received_to={story_day}").content.decode()
    assert story["p2"].number in page


def test_kpi_help_says_the_drill_shows_the_misses(story, gm, client):
    gm.language = "en"
    gm.save()
    client.force_login(gm)
    body = client.get("/dashboard/?period=custom&from=2026-06-01&to=2026-06-14").content.decode()
    card = body[body.index('data-kpi="timely_response"') :]
    assert "Its list shows the misses" in card[: card.index("data-kpi=", 20)]


@pytest.fixture
def labelled(agent, qm, customer, product) -> Any:
    """Two complaints received 06-02 in category quality (corrosion), one with a verified environment
    root cause on its 8D."""
    try:
        _triage(_intake(agent, at(6, 2)), qm, at(6, 2, 10))
        inv = _case(agent, qm, at(6, 3))
        Investigation.objects.filter(pk=inv.pk).update(root_cause_category="environment")
        clock.freeze(NOW)
        yield
    finally:
        clock.freeze(None)


@pytest.mark.parametrize(
    ("language", "category", "cause"), [("en", "Quality", "Environment 环"), ("zh-hans", "质量", "环")]
)
def test_pareto_labels_follow_the_request_language(client, gm, labelled, language, category, cause):
    _t, raw = api_token_create(user=gm, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": language}
    period = "from=2026-06-01&to=2026-06-14"
    rows = client.get(f"/api/v1/dashboard/pareto?dimension=category&{period}", **headers).json()["rows"]
    assert [(r["key"], r["label"]) for r in rows] == [("quality", category)]
    rows = client.get(f"/api/v1/dashboard/pareto?dimension=root_cause&{period}", **headers).json()["rows"]
    assert [(r["key"], r["label"]) for r in rows] == [("environment", cause)]
    gm.language = language
    gm.save()
    client.force_login(gm)
    body = client.get(f"/dashboard/?period=custom&{period}").content.decode()
    charts = re.search(r'<script id="cockpit-data" type="application/json">(.*?)</script>', body, re.S)
    assert charts is not None
    paretos = {p["id"]: p for p in json.loads(charts.group(1))["pareto"]}
    assert paretos["pareto-category"]["categories"] == [category]
    assert paretos["pareto-root_cause"]["categories"] == [cause]
