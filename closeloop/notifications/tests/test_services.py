"""notification_send and notification_mark_read."""

import pytest

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.notifications.models import Notification
from closeloop.notifications.services import notification_mark_read, notification_send

pytestmark = pytest.mark.django_db


def test_send_writes_one_row_per_distinct_active_recipient_never_the_actor(
    complaint, qm, qe, agent, frozen_now
):
    from closeloop.accounts.models import User

    gone = user_make("gone", roles.QUALITY_ENGINEER, is_active=False)
    qe_again = User.objects.get(pk=qe.pk)  # another instance of the same user
    recipients = {qe: "owner", agent: "recorder", gone: "owner", qm: "approver"}
    recipients.setdefault(qe_again, "team_member")
    rows = notification_send(
        verb="complaint_assigned",
        recipients=recipients,
        actor=qm,
        complaint=complaint,
        data={"number": complaint.number, "title": complaint.title},
    )
    assert sorted((r.recipient.username, r.reason) for r in rows) == [("agent", "recorder"), ("qe", "owner")]
    assert Notification.objects.count() == 2
    assert {n.created_at for n in Notification.objects.all()} == {frozen_now}


def test_send_with_nobody_to_tell_writes_nothing(qm):
    assert notification_send(verb="step_approved", recipients={qm: "approver"}, actor=qm) == []
    assert not Notification.objects.exists()


def test_unregistered_verbs_and_reasons_are_programming_errors(qm, qe):
    with pytest.raises(ValueError, match="verb"):
        notification_send(verb="complaint_exploded", recipients={qe: "owner"}, actor=qm)
    with pytest.raises(ValueError, match="reason"):
        notification_send(verb="step_approved", recipients={qe: "curious"}, actor=qm)


def test_notifications_roll_back_with_the_change_that_caused_them(complaint, qe, managers):
    from django.db import transaction

    from closeloop.notifications.tests.conftest import triage

    with pytest.raises(RuntimeError), transaction.atomic():
        triage(complaint, qe)
        assert Notification.objects.count() == 4
        raise RuntimeError("the rest of the change failed")
    assert not Notification.objects.exists()


def _send(to, actor, verb="step_approved"):
    return notification_send(verb=verb, recipients={to: "approver"}, actor=actor, investigation_id=7)[0]


def test_mark_read_touches_only_the_users_own_unread_rows(qm, qe, agent, frozen_now):
    mine = [_send(qe, qm), _send(qe, qm), _send(qe, qm)]
    theirs = _send(agent, qm)
    assert notification_mark_read(user=qe, notification_ids=[mine[0].pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert notification_mark_read(user=qe, notification_ids=[mine[0].pk]) == 0  # already read
    assert notification_mark_read(user=qe, notification_ids=[]) == 0
    assert notification_mark_read(user=qe, notification_ids=None) == 2
    assert Notification.objects.filter(recipient=qe, read_at=frozen_now).count() == 3
    assert Notification.objects.get(pk=theirs.pk).read_at is None
