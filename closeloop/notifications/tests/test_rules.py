"""Who is told: the seed rule (quality complaint accepted) and the action rules."""

import datetime as dt

import pytest

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.actions.services import action_complete, action_create
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.notifications import rules
from closeloop.notifications.models import Notification
from closeloop.notifications.tests.conftest import triage

pytestmark = pytest.mark.django_db


def _told(verb):
    return {(n.recipient.username, n.reason) for n in Notification.objects.filter(verb=verb)}


def test_quality_complaint_accepted_tells_exactly_the_four_managers(complaint, qe, managers, agent, sales):
    user_make("retired-gm", roles.GENERAL_MANAGER, is_active=False)
    triage(complaint, qe)
    assert _told("complaint_accepted") == {
        ("salesmgr", "role_sales_manager"),
        ("qm", "role_quality_manager"),
        ("purchasing", "role_purchasing_manager"),
        ("gm", "role_general_manager"),
    }
    n = Notification.objects.filter(verb="complaint_accepted").first()
    assert (n.complaint, n.actor, n.read_at) == (complaint, qe, None)
    assert n.data == {"number": complaint.number, "title": "螺丝刀杆生锈", "customer": "华东机电有限公司"}


def test_the_rule_fires_only_on_the_first_triage(complaint, qe, managers):
    triage(complaint, qe)
    triage(complaint, qe, severity="general")
    assert Notification.objects.filter(verb="complaint_accepted").count() == 4


def test_a_delivery_complaint_tells_none_of_them(agent, qe, managers, order, frozen_now):
    c = complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            order_number="SO-2026-0001",
            title="晚到三天",
            description="d",
            category="delivery-late",
        ),
        actor=agent,
    )
    triage(c, qe)
    assert not Notification.objects.exists()


def test_a_complaint_moved_out_of_quality_on_triage_tells_nobody(complaint, qe, managers):
    triage(complaint, qe, category="delivery-late")
    assert not Notification.objects.exists()


def test_the_actor_is_never_told_and_a_user_with_two_roles_is_told_once(complaint, qm, managers):
    from django.contrib.auth.models import Group

    managers["gm"].groups.add(Group.objects.get(name=roles.SALES_MANAGER))
    triage(complaint, qm)  # the quality manager triages it themself
    assert _told("complaint_accepted") == {
        ("salesmgr", "role_sales_manager"),
        ("purchasing", "role_purchasing_manager"),
        ("gm", "role_sales_manager"),  # the first role listed gives the reason
    }


def test_a_newly_assigned_owner_is_told(complaint, qm, qe, agent):
    from closeloop.complaints.services import complaint_assign

    triage(complaint, qm, owner=qe, reassign=True)
    complaint_assign(complaint=complaint, actor=qm, owner=qe)  # unchanged: not told again
    complaint_assign(complaint=complaint, actor=qm, owner=qm)  # assigning oneself: not told
    complaint_assign(complaint=complaint, actor=qm, owner=agent)
    assert sorted(_told("complaint_assigned")) == [("agent", "owner"), ("qe", "owner")]


@pytest.fixture
def done_action(complaint, customer, sales, qm, qe, frozen_now):
    customer.sales_owner = sales
    customer.save()
    a = action_create(
        complaint=complaint, actor=qm, title="现场处理不良品", owner=qe, due_date=dt.date(2026, 6, 16)
    )
    done = action_complete(action=a, actor=qe, note="已到现场更换50支")
    # The action services may already tell people; these tests call the rules themselves.
    Notification.objects.all().delete()
    return done


def test_a_done_action_tells_who_asked_and_the_customers_sales_side(done_action, sm, qe):
    from closeloop.accounts.tests.factories import department_make

    user_make("export-sm", roles.SALES_MANAGER, department=department_make("export", "外贸部", "Export"))
    user_make("hq-sm", roles.SALES_MANAGER)  # no department: not the salesperson's manager
    rules.notify_action_done(action=done_action, actor=qe)
    assert _told("action_done") == {
        ("qm", "requester"),
        ("agent", "recorder"),
        ("sales", "sales_owner"),
        ("salesmgr", "sales_manager_of_owner"),
    }
    n = Notification.objects.filter(verb="action_done").first()
    assert n.data["owner"] == "质量工程师陈工" and n.data["note"] == "已到现场更换50支"


def test_without_a_manager_in_the_salespersons_department_every_sales_manager_is_told(done_action, sales, qe):
    from closeloop.accounts.tests.factories import department_make

    user_make("export-sm", roles.SALES_MANAGER, department=department_make("export", "外贸部", "Export"))
    user_make("hq-sm", roles.SALES_MANAGER)
    got = rules.recipients_action_done(done_action)
    assert {u.username: r for u, r in got.items() if r == "sales_manager_of_owner"} == {
        "export-sm": "sales_manager_of_owner",
        "hq-sm": "sales_manager_of_owner",
    }


def test_action_assigned_verified_and_rejected_tell_the_owner(done_action, qm, qe):
    rules.notify_action_assigned(action=done_action, actor=qm)
    rules.notify_action_verified(action=done_action, actor=qm)
    rules.notify_action_rejected(action=done_action, actor=qm, note="客户仍投诉")
    assert {(n.verb, n.recipient.username, n.reason) for n in Notification.objects.all()} == {
        ("action_assigned", "qe", "owner"),
        ("action_verified", "qe", "owner"),
        ("action_rejected", "qe", "owner"),
    }
    assigned = Notification.objects.get(verb="action_assigned")
    assert assigned.data["due_date"] == "2026-06-16" and assigned.complaint == done_action.complaint
