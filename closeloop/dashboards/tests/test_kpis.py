"""KPIs to the unit on hand-built data, through the real services: a complaint reopened twice, a repeat
across the period boundary, an invalid and a duplicate complaint, deadlines met at the due second,
late, paused before and after their due time; scoping for a salesperson; the API."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Category
from closeloop.complaints.services import complaint_mark_duplicate, complaint_mark_invalid, complaint_triage
from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.dashboards.kpi import DashFilters, dashboard_filters_parse
from closeloop.dashboards.selectors import kpis_get
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.sla.models import Deadline

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
JUNE = DashFilters(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 14))


def at(*a: int) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH)


def _intake(agent, received, **kw):
    clock.freeze(received)
    draft = ComplaintDraft(channel="phone", title="生锈", description="杆部生锈", received_at=received, **kw)
    return complaint_intake(draft=draft, actor=agent)


def _triage(c, qm):
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
def story(agent, qm, order):
    """B (05-20, open) then A (06-02, same customer and product: a repeat across the boundary; reopened
    twice, closed 06-08 09:00 with score 4), C invalid, D a duplicate of B, E without product (open)
    carrying hand-set deadlines."""
    try:
        b = _triage(_intake(agent, at(2026, 5, 20, 9, 0), order_number="SO-2026-0001"), qm)
        a = _triage(_intake(agent, at(2026, 6, 2, 9, 0), order_number="SO-2026-0001"), qm)
        clock.freeze(at(2026, 6, 2, 10, 0))
        a = complaint_start_handling(complaint=a, actor=qm)
        for day in (3, 5):
            clock.freeze(at(2026, 6, day, 9, 0))
            a = complaint_resolve(complaint=a, actor=qm, resolution="更换")
            clock.freeze(at(2026, 6, day + 1, 9, 0))
            a = complaint_record_verdict(complaint=a, actor=qm, satisfied=False, reopen_reason="仍生锈")
        clock.freeze(at(2026, 6, 7, 9, 0))
        a = complaint_resolve(complaint=a, actor=qm, resolution="更换")
        clock.freeze(at(2026, 6, 8, 9, 0))
        a = complaint_record_verdict(complaint=a, actor=qm, satisfied=True, score=4)
        c = _intake(agent, at(2026, 6, 3, 9, 0), order_number="SO-2026-0001")
        complaint_mark_invalid(complaint=c, actor=qm, reason="测试")
        d = _intake(agent, at(2026, 6, 4, 9, 0), order_number="SO-2026-0001")
        complaint_mark_duplicate(complaint=d, actor=qm, original=b)
        e = _intake(agent, at(2026, 6, 10, 9, 0), customer="C001")
        # Deadlines set by hand so each edge case is exact (the policies' arithmetic is sla's own test).
        Deadline.objects.all().delete()
        due = {"amount": 1, "unit": "calendar_days"}
        Deadline.objects.create(
            complaint=e, target="response", due_at=at(2026, 6, 5, 12), met_at=at(2026, 6, 5, 12), **due
        )
        Deadline.objects.create(
            complaint=e,
            target="containment",
            due_at=at(2026, 6, 6, 12),
            met_at=at(2026, 6, 6, 12, 0, 1),
            **due,
        )
        Deadline.objects.create(
            complaint=e, target="root_cause", due_at=at(2026, 6, 7, 12), paused_at=at(2026, 6, 7, 10), **due
        )
        Deadline.objects.create(
            complaint=e, target="closure", due_at=at(2026, 6, 8, 12), paused_at=at(2026, 6, 9), **due
        )
        Deadline.objects.create(complaint=e, target="proposal", due_at=at(2026, 6, 20, 12), **due)
        clock.freeze(at(2026, 6, 15, 10, 0))
        yield {"a": a, "b": b, "e": e}
    finally:
        clock.freeze(None)


def test_kpis_count_every_edge_case_to_the_unit(story, gm):
    k = kpis_get(user=gm, f=JUNE)
    assert k["received"].value == 2  # A and E; C invalid and D duplicate are not received
    assert k["invalid"].value == 2
    assert k["closed"].value == 1
    assert k["open"].value == 2  # B and E at 06-14 24:00
    assert k["open"].previous == 1  # B alone at 05-31 24:00
    assert k["received"].previous == 1
    assert (k["repeat_rate"].value, k["repeat_rate"].numerator, k["repeat_rate"].denominator) == (0.5, 1, 2)
    assert (k["reopen_rate"].value, k["reopen_rate"].numerator) == (1.0, 1)
    assert (k["satisfaction_rate"].numerator, k["satisfaction_rate"].denominator) == (1, 3)
    assert k["satisfaction_rate"].value == 0.3333
    assert (k["satisfaction_mean"].value, k["satisfaction_mean"].denominator) == (4.0, 1)
    assert k["cycle_median_days"].value == 6.0
    assert k["cycle_p90_days"].value == 6.0
    assert k["first_response_hours"].value == 1.0
    # response met at the due second (on time), containment a second late, closure paused after it
    # was missed; root cause paused before its due time is not due yet; proposal is due after the period.
    assert (k["timely_rate"].numerator, k["timely_rate"].denominator) == (1, 3)
    assert k["timely_response"].value == 1.0
    assert k["timely_containment"].value == 0.0
    assert k["timely_root_cause"].value is None
    assert k["timely_closure"].value == 0.0
    assert k["copq"].value == 0.0
    assert k["closed"].drill == {"status": "closed", "closed_from": "2026-06-01", "closed_to": "2026-06-14"}
    assert k["open"].drill == {}  # a past period's backlog cannot be listed


def test_a_salesperson_counts_only_their_customers(story, sales, gm):
    from closeloop.customers.tests.factories import customer_make

    other = customer_make("C002", "别家")
    _intake(story["a"].created_by, at(2026, 6, 11, 9), customer=other.code)
    clock.freeze(at(2026, 6, 15, 10))
    assert kpis_get(user=gm, f=JUNE)["received"].value == 3
    assert kpis_get(user=sales, f=JUNE)["received"].value == 0
    story["a"].customer.sales_owner = sales
    story["a"].customer.save()
    assert kpis_get(user=sales, f=JUNE)["received"].value == 2


def test_filters_name_each_bad_field(gm, sales, customer, frozen_now):
    f = dashboard_filters_parse(user=gm, params={})
    assert (f.date_from, f.date_to) == (dt.date(2026, 5, 17), dt.date(2026, 6, 15))
    with pytest.raises(ValidationFailed) as e:
        dashboard_filters_parse(
            user=sales,
            params={
                "from": "2026-13-01",
                "to": "x",
                "customer": "C001",
                "category": "nope",
                "product_family": "nope",
            },
        )
    assert set(e.value.fields) == {"from", "to", "customer", "category", "product_family"}
    with pytest.raises(ValidationFailed) as e:
        dashboard_filters_parse(user=gm, params={"from": "2026-06-10", "to": "2026-06-01"})
    assert set(e.value.fields) == {"to"}


def test_api_shapes_and_errors(story, gm, client):
    from closeloop.accounts.services import api_token_create

    assert client.get("/api/v1/dashboard/kpis").status_code == 401
    _t, raw = api_token_create(user=gm, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = client.get("/api/v1/dashboard/kpis?from=2026-06-01&to=2026-06-14", **auth).json()
    assert body["kpis"]["received"]["value"] == 2
    assert body["kpis"]["repeat_rate"]["status"] == "red"  # 0.5 against a 0.05 target, band 0.05
    assert set(body["kpis"]["timely_rate"]) >= {
        "value",
        "numerator",
        "denominator",
        "previous",
        "target",
        "status",
    }
    bad = client.get("/api/v1/dashboard/kpis?from=2026-06-10&to=2026-06-01", **auth)
    assert bad.status_code == 422 and "to" in bad.json()["fields"]
    # The site filter: only the complaints the plant answers for, and an unknown plant is a 422.
    from closeloop.complaints.models import Complaint
    from closeloop.customers.models import Site

    plant = Site.objects.create(code="SZ", name="深圳工厂", name_en="Shenzhen plant")
    june = Complaint.objects.filter(received_at__date__gte="2026-06-01").order_by("received_at").first()
    Complaint.objects.filter(pk=june.pk).update(site=plant)
    at_plant = client.get("/api/v1/dashboard/kpis?from=2026-06-01&to=2026-06-14&site=SZ", **auth).json()
    assert at_plant["kpis"]["received"]["value"] == 1
    assert at_plant["kpis"]["received"]["drill"]["site"] == "SZ"
    bad = client.get("/api/v1/dashboard/kpis?site=NOPE", **auth)
    assert bad.status_code == 422 and "site" in bad.json()["fields"]
    bad = client.get("/api/v1/dashboard/pareto?dimension=colour", **auth)
    assert bad.status_code == 422 and "dimension" in bad.json()["fields"]
    rows = client.get(
        "/api/v1/dashboard/pareto?dimension=customer&from=2026-06-01&to=2026-06-14", **auth
    ).json()["rows"]
    assert [(r["key"], r["count"], r["cumulative_share"]) for r in rows] == [("C001", 2, 1.0)]
    points = client.get("/api/v1/dashboard/trend?grain=month&to=2026-06-14", **auth).json()["points"]
    assert len(points) == 12 and points[-1]["label"] == "2026-06" and points[-1]["received"] == 2
    ageing = client.get("/api/v1/dashboard/ageing?by=owner", **auth).json()["rows"]
    assert sum(r["total"] for r in ageing) == 2
    assert client.get("/api/v1/dashboard/risk?from=2026-06-01&to=2026-06-14", **auth).status_code == 200
