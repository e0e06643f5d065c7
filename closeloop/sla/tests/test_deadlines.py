"""Complaints' deadlines: planned at triage from the policies on the working calendar, met by the
handling and the 8D, provisional into an unloaded year and recomputed when it is loaded, in the API."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from closeloop.complaints.handling import complaint_start_handling
from closeloop.complaints.models import Category
from closeloop.complaints.services import complaint_triage
from closeloop.core import clock
from closeloop.sla import services
from closeloop.sla.deadlines import Facts, policy_choose
from closeloop.sla.models import CalendarDay, Deadline, DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*a: int) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH)


def _complaint(agent, order, received, **triage):
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    return complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            order_number="SO-2026-0001",
            title="生锈",
            description="杆部生锈",
            received_at=received,
        ),
        actor=agent,
    )


def _triage(c, qm, urgency="normal", severity="general"):
    return complaint_triage(
        complaint=c,
        actor=qm,
        category=Category.objects.get(code="quality-corrosion"),
        severity=severity,
        urgency=urgency,
        impact_scope="single",
        safety_risk=False,
    )


def _due(c, target):
    return Deadline.objects.get(complaint=c, target=target)


def test_a_normal_complaint_received_before_national_day_is_due_on_13_october(agent, qm, order):
    clock.freeze(at(2026, 10, 8, 9, 0))
    try:
        c = _triage(_complaint(agent, order, at(2026, 9, 30, 15, 0)), qm)
        d = _due(c, "response")
        assert (d.due_at.astimezone(SH), d.provisional, d.amount, d.unit) == (
            at(2026, 10, 13, 15, 0),
            False,
            5,
            "working_days",
        )
        assert _due(c, "closure").due_at.astimezone(SH) == at(2026, 11, 29, 15, 0)  # 60 calendar days
        assert not Deadline.objects.filter(complaint=c, target="containment").exists()  # not an 8D
        c = complaint_start_handling(complaint=c, actor=qm)
        d = _due(c, "response")
        assert d.met_at == clock.now() and d.breached_at is None
    finally:
        clock.freeze(None)


def test_an_urgent_complaint_handled_late_is_breached_at_its_due_time(agent, qm, order):
    clock.freeze(at(2026, 6, 20, 9, 0))
    try:
        c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")
        assert _due(c, "response").due_at.astimezone(SH) == at(2026, 6, 17, 10, 0)
        complaint_start_handling(complaint=c, actor=qm, path="8d")
        d = _due(c, "response")
        assert d.met_at is not None and d.breached_at.astimezone(SH) == at(2026, 6, 17, 10, 0)
        assert _due(c, "containment").due_at.astimezone(SH) == at(2026, 6, 16, 10, 0)  # 24 h, 8D only
    finally:
        clock.freeze(None)


def test_a_deadline_into_2027_is_provisional_and_recomputed_when_the_year_is_loaded(agent, qm, order):
    clock.freeze(at(2026, 12, 28, 11, 0))
    try:
        c = _triage(_complaint(agent, order, at(2026, 12, 28, 10, 0)), qm)
        d = _due(c, "response")
        assert d.provisional and d.due_at.astimezone(SH) == at(2027, 1, 4, 10, 0)
        CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind="holiday", name="元旦", source="admin")
        services.calendar_year_complete(year=2027)
        d.refresh_from_db()
        assert not d.provisional and d.due_at.astimezone(SH) == at(2027, 1, 5, 10, 0)
        # The move is on the timeline (and so reaches the cockpit's rollups, which follow events).
        event = c.events.get(verb="deadline_rescheduled")
        assert event.data["target"] == "response"
        assert event.data["due_at"] == d.due_at.isoformat()
    finally:
        clock.freeze(None)


def test_the_most_specific_policy_wins(customer, quality_dept):
    cat = Category.objects.get(code="quality-corrosion")
    parent = cat.parent
    DeadlinePolicy.objects.create(target="closure", amount=20, unit="calendar_days", category=parent)
    DeadlinePolicy.objects.create(target="closure", amount=10, unit="calendar_days", customer=customer)
    policies = list(DeadlinePolicy.objects.all())
    facts = Facts(
        severity="serious", urgency="normal", category_ids=frozenset({cat.pk, parent.pk}), customer_id=None
    )
    assert policy_choose(policies, "closure", facts).amount == 20  # category beats severity
    facts = Facts(
        severity="serious", urgency="normal", category_ids=frozenset({cat.pk}), customer_id=customer.pk
    )
    assert policy_choose(policies, "closure", facts).amount == 10  # the customer dictates its own
    assert policy_choose(policies, "closure", Facts("minor", "normal", frozenset(), None)).amount == 60


def test_a_quality_complaint_owes_a_handling_proposal_within_3_days_met_by_the_resolution(agent, qm, order):
    from closeloop.complaints.handling import complaint_resolve

    clock.freeze(at(2026, 6, 1, 9, 0))
    try:
        c = _triage(_complaint(agent, order, at(2026, 6, 1, 8, 0)), qm)
        proposal = _due(c, "proposal")
        assert (proposal.amount, proposal.unit, proposal.due_at) == (3, "calendar_days", at(2026, 6, 4, 8, 0))
        assert proposal.policy.category.code == "quality"
        complaint_start_handling(complaint=c, actor=qm, path="quick")
        clock.freeze(at(2026, 6, 3, 16, 0))
        complaint_resolve(complaint=c, actor=qm, resolution="更换50支并加强防锈包装")
        proposal.refresh_from_db()
        assert (proposal.met_at, proposal.breached_at) == (at(2026, 6, 3, 16, 0), None)
    finally:
        clock.freeze(None)


def test_other_categories_owe_no_handling_proposal(agent, qm, order):
    clock.freeze(at(2026, 6, 1, 9, 0))
    try:
        c = complaint_triage(
            complaint=_complaint(agent, order, at(2026, 6, 1, 8, 0)),
            actor=qm,
            category=Category.objects.get(code="delivery-late"),
            severity="general",
            urgency="normal",
            impact_scope="single",
            safety_risk=False,
        )
        assert not Deadline.objects.filter(complaint=c, target="proposal").exists()
        assert Deadline.objects.filter(complaint=c, target="response").exists()
    finally:
        clock.freeze(None)


def test_on_the_8d_path_the_approved_d3_containment_is_the_handling_proposal(complaint, qm, qe, worker):
    from closeloop.investigations.tests.factories import case_open, case_through

    inv = case_open(complaint, qm)
    case_through(inv, upto=3, qm=qm, team=[(qe, "leader"), (qm, "champion"), (worker, "member")], owner=qe)
    met = dict(Deadline.objects.filter(complaint=complaint).values_list("target", "met_at"))
    assert met["proposal"] == met["containment"] == clock.now()
    assert met["root_cause"] is None
