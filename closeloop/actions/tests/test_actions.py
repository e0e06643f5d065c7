"""Actions: the transition table, the services' rules, and the timeline they write."""

import datetime as dt
import itertools

import pytest

from closeloop.actions import selectors, services
from closeloop.actions.workflow import ACTION_TRANSITIONS, ActionStatus, check_action_transition
from closeloop.complaints.models import ComplaintEvent
from closeloop.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed

ALLOWED = {
    ("open", "in_progress"),
    ("open", "done"),
    ("in_progress", "done"),
    ("done", "verified"),
    ("done", "in_progress"),
    ("open", "cancelled"),
    ("in_progress", "cancelled"),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(ActionStatus.values, ActionStatus.values))
)
def test_action_table_every_pair(current, target):
    if (current, target) in ALLOWED:
        check_action_transition(current, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            check_action_transition(current, target)
    assert set(ACTION_TRANSITIONS) == ALLOWED


@pytest.fixture
def action(db, complaint, qm, qe, frozen_now):
    return services.action_create(
        complaint=complaint,
        actor=qm,
        title="明天派工程师到现场处理不良品",
        owner=qe,
        due_date=dt.date(2026, 6, 16),
        kind="containment",
    )


@pytest.mark.django_db
def test_owner_does_requester_verifies(action, qm, qe, frozen_now):
    a = services.action_start(action=action, actor=qe)
    a = services.action_complete(action=a, actor=qe, note="现场挑选500支，更换不良50支")
    assert a.status == "done" and a.done_at is not None
    assert list(selectors.action_to_verify_list(user=qm)) == [a]
    a = services.action_verify(action=a, actor=qm, note="客户确认已更换")
    assert (a.status, a.verified_by) == ("verified", qm)
    verbs = list(
        ComplaintEvent.objects.filter(complaint=a.complaint, verb__startswith="action_").values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["action_created", "action_started", "action_done", "action_verified"]


@pytest.mark.django_db
def test_rejected_back_to_the_owner(action, qm, qe):
    a = services.action_complete(action=action, actor=qe, note="已处理")
    a = services.action_reject(action=a, actor=qm, reason="客户处仍有不良品")
    assert a.status == "in_progress"
    assert ComplaintEvent.objects.get(verb="action_rejected").note == "客户处仍有不良品"


@pytest.mark.django_db
def test_who_may_do_what(action, qm, qe, agent):
    with pytest.raises(PermissionDenied):
        services.action_start(action=action, actor=qm)  # not the owner
    a = services.action_complete(action=action, actor=qe, note="done")
    with pytest.raises(PermissionDenied):
        services.action_verify(action=a, actor=qe, note="self")  # owners don't verify themselves
    with pytest.raises(PermissionDenied):
        services.action_verify(action=a, actor=agent, note="x")  # neither requester nor quality
    with pytest.raises(PermissionDenied):
        services.action_create(
            complaint=a.complaint, actor=agent, title="t", owner=qe, due_date=dt.date(2027, 1, 1)
        )


@pytest.mark.django_db
def test_create_validates_every_field(complaint, qm, frozen_now):
    with pytest.raises(ValidationFailed) as exc:
        services.action_create(
            complaint=complaint, actor=qm, title=" ", owner=None, due_date=dt.date(2026, 6, 1), kind="wish"
        )
    assert set(exc.value.fields) == {"title", "owner", "due_date", "kind"}


@pytest.mark.django_db
def test_my_actions_and_overdue(action, qe, frozen_now):
    assert list(selectors.action_mine_list(user=qe)) == [action]
    assert not action.is_overdue(dt.date(2026, 6, 16)) and action.is_overdue(dt.date(2026, 6, 17))


@pytest.mark.django_db
def test_steps_cannot_be_skipped(action, qm, qe):
    with pytest.raises(TransitionNotAllowed):
        services.action_verify(action=action, actor=qm, note="x")  # not done yet
    with pytest.raises(ValidationFailed):
        services.action_complete(action=action, actor=qe, note="")
