"""The deadline scan: reminders at 50 % and 80 % (once each), the miss, and the escalation ladder up to
the general manager, each step on the complaint's timeline; paused and ended complaints are left alone.

The complaint: serious and urgent, received Monday 2026-06-15 10:00 (Shanghai), owned by the quality
engineer. Its first response is due 2 working days later, Wednesday 06-17 10:00; half of that working
time is used on Tuesday 10:00, four fifths on Tuesday 15:48."""

import pytest

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.models import ComplaintEvent
from closeloop.complaints.services import complaint_assign, complaint_mark_invalid
from closeloop.core import clock
from closeloop.notifications.models import Notification
from closeloop.sla import services
from closeloop.sla.models import EscalationStep
from closeloop.sla.tests.test_deadlines import _complaint, _due, _triage, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_proposal_clock(db):
    """These tests follow the response and closure clocks of quality complaints; the 3-day handling
    proposal they also owe has its own tests (test_deadlines.py)."""
    from closeloop.sla.models import DeadlinePolicy

    DeadlinePolicy.objects.filter(target="proposal").update(is_active=False)


@pytest.fixture
def dm(quality_dept):
    """The quality department's manager (not a quality manager by role)."""
    user = user_make("dm", roles.QUALITY_ENGINEER, display_name="质量部部长", department=quality_dept)
    quality_dept.manager = user
    quality_dept.save()
    return user


@pytest.fixture
def serious(agent, qm, qe, gm, dm, order):
    clock.freeze(at(2026, 6, 15, 10, 30))
    c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent", severity="serious")
    c = complaint_assign(complaint=c, actor=qm, owner=qe)
    yield c
    clock.freeze(None)


def scan_at(*when: int) -> int:
    clock.freeze(at(*when))
    return services.deadlines_scan()


def told(user, verb):
    return list(Notification.objects.filter(recipient=user, verb=verb).values_list("reason", "data"))


def test_reminders_at_half_and_four_fifths_are_sent_once_each(serious, qe):
    assert _due(serious, "response").next_check_at == at(2026, 6, 16, 10, 0)
    assert scan_at(2026, 6, 16, 9, 59) == 0
    assert scan_at(2026, 6, 16, 10, 0) == 1
    assert scan_at(2026, 6, 16, 10, 0) == 0  # the same minute again: nothing is due any more
    assert scan_at(2026, 6, 16, 15, 47) == 0
    assert scan_at(2026, 6, 16, 16, 0) == 1
    assert scan_at(2026, 6, 16, 16, 1) == 0
    sent = told(qe, "deadline_warning")
    assert [(reason, data["percent"], data["target"], data["due_at"]) for reason, data in sent] == [
        ("owner", 80, "response", "2026-06-17 10:00"),
        ("owner", 50, "response", "2026-06-17 10:00"),
    ]
    warnings = ComplaintEvent.objects.filter(complaint=serious, verb="deadline_warning").order_by("id")
    assert [(e.data["percent"], e.data["told"]) for e in warnings] == [
        (50, ["质量工程师陈工"]),
        (80, ["质量工程师陈工"]),
    ]


def test_a_late_first_scan_sends_only_the_latest_reminder(serious, qe):
    assert scan_at(2026, 6, 16, 17, 0) == 1
    assert [data["percent"] for _reason, data in told(qe, "deadline_warning")] == [80]


def test_escalation_climbs_to_the_general_manager_and_the_timeline_shows_each_step(serious, qe, dm, qm, gm):
    scan_at(2026, 6, 16, 16, 0)  # both reminders
    assert scan_at(2026, 6, 17, 10, 0) == 1  # due: the miss and the owner's overdue notice
    d = _due(serious, "response")
    assert d.breached_at == at(2026, 6, 17, 10, 0) and d.met_at is None
    assert d.next_check_at == at(2026, 6, 17, 14, 0)
    assert told(dm, "deadline_escalated") == []
    scan_at(2026, 6, 17, 14, 0)
    scan_at(2026, 6, 18, 9, 59)
    scan_at(2026, 6, 18, 10, 0)
    scan_at(2026, 6, 19, 10, 0)
    assert scan_at(2026, 6, 20, 10, 0) == 0  # the top of the ladder: nobody is chased again
    assert _due(serious, "response").next_check_at is None

    assert [r for r, _data in told(qe, "deadline_breached")] == ["escalation_owner"]
    assert [r for r, _data in told(dm, "deadline_escalated")] == ["escalation_department_manager"]
    assert [r for r, _data in told(qm, "deadline_escalated")] == ["escalation_quality_manager"]
    assert [r for r, _data in told(gm, "deadline_escalated")] == ["escalation_general_manager"]
    assert told(gm, "deadline_escalated")[0][1]["owner"] == "质量工程师陈工"

    timeline = [
        (e.verb, e.data.get("level"), e.data.get("who"), e.data.get("told"), e.created_at)
        for e in ComplaintEvent.objects.filter(
            complaint=serious, verb__in=["deadline_breached", "deadline_escalated"]
        ).order_by("created_at", "id")
    ]
    assert timeline == [
        ("deadline_breached", None, None, None, at(2026, 6, 17, 10, 0)),
        ("deadline_escalated", 1, "owner", ["质量工程师陈工"], at(2026, 6, 17, 10, 0)),
        ("deadline_escalated", 2, "department_manager", ["质量部部长"], at(2026, 6, 17, 14, 0)),
        ("deadline_escalated", 3, "quality_managers", ["质量部张经理"], at(2026, 6, 18, 10, 0)),
        ("deadline_escalated", 4, "general_manager", ["总经理"], at(2026, 6, 19, 10, 0)),
    ]


def test_a_scan_that_comes_late_climbs_every_due_step_in_order(serious):
    assert scan_at(2026, 6, 22, 9, 0) == 1
    steps = ComplaintEvent.objects.filter(complaint=serious, verb="deadline_escalated").order_by("id")
    assert [e.data["who"] for e in steps] == [
        "owner",
        "department_manager",
        "quality_managers",
        "general_manager",
    ]


def test_a_step_for_serious_complaints_only_skips_the_others(agent, qm, qe, gm, dm, order):
    EscalationStep.objects.filter(who="general_manager").update(severity="serious")
    clock.freeze(at(2026, 6, 15, 10, 30))
    try:
        c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")  # general
        complaint_assign(complaint=c, actor=qm, owner=qe)
        scan_at(2026, 6, 22, 9, 0)
        steps = ComplaintEvent.objects.filter(complaint=c, verb="deadline_escalated").order_by("id")
        assert [e.data["who"] for e in steps] == ["owner", "department_manager", "quality_managers"]
        assert told(gm, "deadline_escalated") == [] and _due(c, "response").next_check_at is None
    finally:
        clock.freeze(None)


def test_a_paused_deadline_is_not_escalated(serious, qm, gm):
    clock.freeze(at(2026, 6, 16, 9, 0))
    services.complaint_clock_pause(complaint=serious, reason="awaiting_samples", note="", actor=qm)
    assert scan_at(2026, 6, 22, 9, 0) == 0
    assert not Notification.objects.filter(verb__startswith="deadline_").exists()
    assert not ComplaintEvent.objects.filter(complaint=serious, verb__startswith="deadline_").exists()
    assert _due(serious, "response").breached_at is None


def test_an_ended_complaint_is_not_chased(agent, qm, order):
    clock.freeze(at(2026, 6, 15, 10, 30))
    try:
        c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")
        complaint_mark_invalid(complaint=c, actor=qm, reason="非我司产品")
        assert scan_at(2026, 6, 22, 9, 0) == 1  # its missed response deadline is looked at once ...
        assert scan_at(2026, 6, 22, 9, 1) == 0  # ... and never again
        assert not Notification.objects.filter(verb__startswith="deadline_").exists()
        assert _due(c, "response").next_check_at is None
    finally:
        clock.freeze(None)


def test_a_batch_bounds_one_run(agent, qm, order):
    clock.freeze(at(2026, 6, 15, 10, 30))
    try:
        for _ in range(3):
            _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")
        clock.freeze(at(2026, 6, 22, 9, 0))
        assert services.deadlines_scan(batch=2) == 2
        assert services.deadlines_scan(batch=200) == 1  # the third response deadline
        assert services.deadlines_scan() == 0
    finally:
        clock.freeze(None)


def test_the_beat_task_runs_the_scan(serious, settings):
    from closeloop.sla import tasks

    assert settings.CELERY_BEAT_SCHEDULE["deadlines-scan"]["task"] == tasks.deadlines_scan.name
    clock.freeze(at(2026, 6, 16, 10, 0))
    assert tasks.deadlines_scan.apply().get() == 1
    assert ComplaintEvent.objects.filter(complaint=serious, verb="deadline_warning").count() == 1
