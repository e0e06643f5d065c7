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
