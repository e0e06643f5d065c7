"""Admin-editable notification rules: conditions, every kind of recipient, "why", robots, outbox rows."""

import pytest
from django.contrib.auth.models import Group

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import department_make, user_make
from closeloop.complaints.models import Category
from closeloop.notifications.models import (
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
    NotificationRule,
    WebhookEndpoint,
)
from closeloop.notifications.rules import notify_complaint_accepted
from closeloop.notifications.services import notification_send
from closeloop.notifications.tests.conftest import triage

pytestmark = pytest.mark.django_db


def _told(verb="complaint_accepted"):
    return {(n.recipient.username, n.reason) for n in Notification.objects.filter(verb=verb)}


def _rule(**kw):
    people = {k: kw.pop(k) for k in ("roles", "departments", "users", "webhooks") if k in kw}
    rule = NotificationRule.objects.create(name=kw.pop("name", "test rule"), **kw)
    for field, values in people.items():
        getattr(rule, field).set(values)
    return rule


def test_the_seed_rule_is_data_and_can_be_switched_off(complaint, qe, managers):
    seed = NotificationRule.objects.get(event="complaint_accepted")
    assert seed.category.code == "quality"
    assert sorted(seed.roles.values_list("name", flat=True)) == sorted(
        [roles.SALES_MANAGER, roles.QUALITY_MANAGER, roles.PURCHASING_MANAGER, roles.GENERAL_MANAGER]
    )
    seed.is_active = False
    seed.save()
    triage(complaint, qe)
    assert _told() == set()


def test_a_category_condition_matches_subcategories_and_nothing_else(complaint, qe, managers):
    # The complaint is quality-corrosion, a subcategory of the seed rule's "quality".
    triage(complaint, qe, category="delivery-late")
    assert _told() == set()


def test_conditions_on_severity_tier_and_product_family(complaint, qe, agent):
    named = user_make("watcher", roles.AGENT, email="watcher@example.com")
    base = {"event": "complaint_accepted", "users": [named]}
    _rule(name="wrong severity", severity="minor", **base)
    _rule(name="wrong tier", customer_tier="strategic", **base)
    _rule(name="wrong family", product_family="power-tools", **base)
    triage(complaint, qe)
    assert ("watcher", "rule_named") not in _told()
    right = _rule(name="hand tools, key customers", customer_tier="key", product_family="hand-tools", **base)
    notify_complaint_accepted(complaint=complaint, actor=qe)
    n = Notification.objects.get(verb="complaint_accepted", recipient=named)
    assert (n.reason, n.rule) == ("rule_named", right)


def test_every_kind_of_recipient_and_why_each_was_told(complaint, qe, qm, agent, sales):
    ops = department_make("ops", "运营部", "Operations")
    head = user_make("ops-head", roles.QUALITY_ENGINEER, department=ops)
    member = user_make("ops-member", roles.AGENT, department=ops)
    ops.manager = head
    ops.save()
    complaint.owner, complaint.department = qe, ops
    complaint.save()
    complaint.customer.sales_owner = sales
    complaint.customer.save()
    rule = _rule(
        name="everyone",
        event="complaint_received",
        departments=[ops],
        roles=[Group.objects.get(name=roles.QUALITY_MANAGER)],
        to_owner=True,
        to_department_manager=True,
        to_recorder=True,
        to_sales_owner=True,
    )
    notification_send(verb="complaint_received", recipients={}, actor=None, complaint=complaint)
    assert _told("complaint_received") == {
        ("qm", "role_quality_manager"),
        ("ops-head", "rule_department"),
        ("ops-member", "rule_department"),
        ("qe", "owner"),
        ("agent", "recorder"),
        ("sales", "sales_owner"),
    }
    assert set(Notification.objects.filter(verb="complaint_received").values_list("rule", flat=True)) == {
        rule.pk
    }
    from django.utils import translation

    with translation.override("en"):
        assert member.notifications.get().reason_label == (
            "A notification rule names your department. (notification rule “everyone”)"
        )


def test_built_in_recipients_keep_their_own_reason_and_no_rule(complaint, qe, qm):
    _rule(name="QM sees assignments", event="complaint_assigned", to_owner=True)
    notification_send(verb="complaint_assigned", recipients={qm: "owner"}, actor=qe, complaint=complaint)
    n = Notification.objects.get(verb="complaint_assigned", recipient=qm)
    assert (n.reason, n.rule) == ("owner", None)


def test_a_rule_with_conditions_never_matches_an_event_without_a_complaint(qm, qe):
    _rule(name="serious only", event="step_approved", severity="serious", users=[qm])
    assert notification_send(verb="step_approved", recipients={}, actor=qe, investigation_id=3) == []


def test_the_outbox_gets_an_email_per_reader_who_wants_one_and_a_post_per_robot(complaint, qe, managers):
    sm, qm_, pm = managers["sm"], managers["qm"], managers["pm"]
    for u in (sm, qm_, pm):
        u.email = f"{u.username}@example.com"
        u.save()
    NotificationPreference.objects.create(user=pm, email_mode="digest")
    NotificationPreference.objects.create(
        user=qm_, email_mode="immediate", muted_events=["complaint_accepted"]
    )
    robot = WebhookEndpoint.objects.create(
        name="质量群", kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
    )
    NotificationRule.objects.get(event="complaint_accepted").webhooks.add(robot)
    triage(complaint, qe)
    emails = Delivery.objects.filter(channel=Channel.EMAIL)
    # gm has no address, pm wants a digest, qm muted the event: only the sales manager is emailed now.
    assert [(d.recipient.username, d.verb, d.status) for d in emails] == [
        ("salesmgr", "complaint_accepted", "pending")
    ]
    post = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert (post.endpoint, post.payload["verb"], post.payload["complaint"]) == (
        robot,
        "complaint_accepted",
        complaint.number,
    )
    assert len({d.event_id for d in Delivery.objects.all()}) == 2


def test_deliveries_roll_back_with_the_change(complaint, qe, managers):
    from django.db import transaction

    managers["sm"].email = "sm@example.com"
    managers["sm"].save()
    with pytest.raises(RuntimeError), transaction.atomic():
        triage(complaint, qe)
        assert Delivery.objects.count() == 1
        raise RuntimeError("rolled back")
    assert not Delivery.objects.exists()


def test_rule_admin_lists_and_edits_rules(client, complaint):
    admin = user_make("root", roles.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/notifications/notificationrule/")
    assert page.status_code == 200
    assert "质量客诉受理" in page.content.decode()
    rule = NotificationRule.objects.get(event="complaint_accepted")
    assert client.get(f"/admin/notifications/notificationrule/{rule.pk}/change/").status_code == 200
    assert Category.objects.filter(code="quality").exists()
