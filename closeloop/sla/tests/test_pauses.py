"""Clocks pause while a complaint waits on the customer and resume afterwards: deadlines move later by
the wait (working time for working units), automatically at awaiting customer and on the verdict."""

import datetime as dt

import pytest

from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import ComplaintEvent
from closeloop.core import clock
from closeloop.core.errors import PermissionDenied, ValidationFailed
from closeloop.sla import services
from closeloop.sla.models import ClockPause, Deadline
from closeloop.sla.selectors import deadline_rows
from closeloop.sla.tests.test_deadlines import SH, _complaint, _due, _triage, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_proposal_clock(db):
    """These tests follow the response and closure clocks of quality complaints; the 3-day handling
    proposal they also owe has its own tests (test_deadlines.py)."""
    from closeloop.sla.models import DeadlinePolicy

    DeadlinePolicy.objects.filter(target="proposal").update(is_active=False)


@pytest.fixture
def frozen():
    """clock.freeze as a callable, unfrozen after the test."""
    yield clock.freeze
    clock.freeze(None)


def test_a_weekend_wait_moves_a_working_time_deadline_by_its_working_hours_only(agent, qm, order, frozen):
    frozen(at(2026, 6, 2, 9, 0))
    c = _triage(_complaint(agent, order, at(2026, 6, 1, 10, 0)), qm)  # Monday; 5 working days
    response, closure = _due(c, "response"), _due(c, "closure")
    assert response.due_at.astimezone(SH) == at(2026, 6, 8, 10, 0)
    frozen(at(2026, 6, 5, 16, 30))  # Friday afternoon: we ask the customer for photos
    services.complaint_clock_pause(complaint=c, reason="awaiting_information", note="要照片", actor=qm)
    assert Deadline.objects.filter(complaint=c, paused_at__isnull=False, next_check_at=None).count() == 2
    frozen(at(2026, 6, 8, 9, 30))  # Monday: the photos came; 2 working hours passed, 65 hours in all
    pause = services.complaint_clock_resume(complaint=c, actor=qm)
    assert pause.ended_at == clock.now() and pause.ended_by == qm
    moved = _due(c, "response")
    assert moved.due_at.astimezone(SH) == at(2026, 6, 8, 12, 0)  # + 2 working hours, not + 65 h
    assert (moved.paused_at, moved.provisional) == (None, False)
    assert moved.next_check_at is not None
    # The closure target is in calendar days: it moves by the whole wait.
    assert _due(c, "closure").due_at - closure.due_at == dt.timedelta(hours=65)
    verbs = list(ComplaintEvent.objects.filter(complaint=c).values_list("verb", flat=True))
    assert verbs[-2:] == ["clock_paused", "clock_resumed"]


def test_a_paused_deadline_reads_paused_not_overdue_and_a_met_one_counts_the_wait(agent, qm, order, frozen):
    frozen(at(2026, 6, 15, 11, 0))
    c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")  # due Wed 10:00
    services.complaint_clock_pause(complaint=c, reason="awaiting_samples", note="", actor=qm)
    frozen(at(2026, 6, 18, 9, 0))  # past the stale due time, still waiting for the parts
    rows = {r["target"]: r for r in deadline_rows(c.deadlines.all(), now=clock.now())}
    assert (rows["response"]["paused"], rows["response"]["met"], rows["response"]["breached_at"]) == (
        True,
        None,
        None,
    )
    complaint_start_handling(complaint=c, actor=qm)  # met while waiting: not late for the customer's time
    d = _due(c, "response")
    assert d.met_at == clock.now() and d.breached_at is None and d.due_at > d.met_at


def test_awaiting_the_customer_pauses_and_a_reopen_resumes(agent, qm, order, frozen):
    frozen(at(2026, 6, 15, 11, 0))
    c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm)
    c = complaint_start_handling(complaint=c, actor=qm)
    closure_before = _due(c, "closure").due_at
    frozen(at(2026, 6, 16, 11, 0))
    c = complaint_resolve(complaint=c, actor=qm, resolution="已补发")
    pause = ClockPause.objects.get(complaint=c)
    assert (pause.reason, pause.ended_at, pause.started_by) == ("awaiting_confirmation", None, qm)
    assert _due(c, "closure").paused_at == clock.now()
    frozen(at(2026, 6, 19, 11, 0))  # three days later the customer says no
    complaint_record_verdict(complaint=c, actor=qm, satisfied=False, reopen_reason="仍有锈迹")
    pause.refresh_from_db()
    assert pause.ended_at == clock.now() and pause.ended_by == qm
    closure = _due(c, "closure")
    assert closure.paused_at is None and closure.due_at - closure_before == dt.timedelta(days=3)


def test_closing_ends_the_pause_before_meeting_the_closure_deadline(agent, qm, order, frozen):
    frozen(at(2026, 6, 15, 11, 0))
    c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm)  # closure: 60 calendar days
    c = complaint_start_handling(complaint=c, actor=qm)
    frozen(at(2026, 8, 10, 10, 0))  # resolved 4 days before the closure deadline
    c = complaint_resolve(complaint=c, actor=qm, resolution="已补发")
    frozen(at(2026, 8, 20, 10, 0))  # the customer took 10 days to confirm
    complaint_record_verdict(complaint=c, actor=qm, satisfied=True, score=4)
    closure = _due(c, "closure")
    assert closure.met_at == clock.now() and closure.breached_at is None
    assert closure.due_at.astimezone(SH) == at(2026, 8, 24, 10, 0)  # 08-14 + the 10-day wait
    assert not ClockPause.objects.filter(complaint=c, ended_at__isnull=True).exists()


def test_pausing_twice_resuming_a_running_clock_and_pausing_an_ended_complaint_are_refused(
    agent, qm, sales, order, frozen
):
    frozen(at(2026, 6, 15, 11, 0))
    c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm)
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_clock_resume(complaint=c, actor=qm)
    assert set(exc.value.fields) == {"complaint"}
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_clock_pause(complaint=c, reason="nap", note="", actor=qm)
    assert set(exc.value.fields) == {"reason"}
    services.complaint_clock_pause(complaint=c, reason="other", note="等客户盘点", actor=qm)
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_clock_pause(complaint=c, reason="other", note="", actor=qm)
    assert set(exc.value.fields) == {"reason"} and "2026-06-15 11:00" in str(exc.value.fields["reason"][0])
    with pytest.raises(PermissionDenied):
        services.complaint_clock_resume(complaint=c, actor=sales)
    services.complaint_clock_resume(complaint=c, actor=qm)
    from closeloop.complaints.services import complaint_mark_invalid

    complaint_mark_invalid(complaint=c, actor=qm, reason="非我司产品")
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_clock_pause(complaint=c, reason="other", note="", actor=qm)
    assert set(exc.value.fields) == {"complaint"}
    assert ClockPause.objects.filter(complaint=c).count() == 1
