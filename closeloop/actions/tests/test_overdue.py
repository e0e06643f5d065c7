"""The periodic overdue check: each overdue action is told about once, on the timeline too."""

import datetime as dt

import pytest

from closeloop.actions import services
from closeloop.complaints.models import ComplaintEvent
from closeloop.core import clock
from closeloop.notifications.models import Notification

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _make(complaint, qm, qe, due, title="派工程师到现场"):
    return services.action_create(
        complaint=complaint, actor=qm, title=title, owner=qe, due_date=due, kind="containment"
    )


def test_overdue_actions_are_told_once_to_owner_requester_and_tracker(complaint, qm, qe, frozen_now):
    late = _make(complaint, qm, qe, dt.date(2026, 6, 16))
    on_time = _make(complaint, qm, qe, dt.date(2026, 6, 18), title="更换库存")
    done = _make(complaint, qm, qe, dt.date(2026, 6, 16), title="已完成的措施")
    services.action_complete(action=done, actor=qe, note="完成")
    clock.freeze(dt.datetime(2026, 6, 17, 9, 0, tzinfo=SHANGHAI))
    assert services.actions_overdue_notify() == 1
    assert services.actions_overdue_notify() == 0  # told once
    told = {(n.recipient.username, n.reason) for n in Notification.objects.filter(verb="action_overdue")}
    assert told == {("qe", "owner"), ("qm", "requester")}
    n = Notification.objects.filter(verb="action_overdue").first()
    assert n.data["due_date"] == "2026-06-16" and n.actor is None
    event = ComplaintEvent.objects.get(verb="action_overdue")
    assert event.data["action"] == late.pk and event.actor is None
    on_time.refresh_from_db()
    assert on_time.overdue_notified_at is None


def test_nothing_is_overdue_on_its_due_date(complaint, qm, qe, frozen_now):
    _make(complaint, qm, qe, dt.date(2026, 6, 15))
    assert services.actions_overdue_notify() == 0


def test_the_task_calls_the_service(complaint, qm, qe, frozen_now):
    from closeloop.actions.tasks import actions_overdue_notify

    _make(complaint, qm, qe, dt.date(2026, 6, 16))
    clock.freeze(dt.datetime(2026, 6, 20, 9, 0, tzinfo=SHANGHAI))
    assert actions_overdue_notify.delay().get() == 1
