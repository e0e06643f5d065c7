"""The dispatcher's guarantees: claims and leases, a worker dying between sending and recording, a slow
worker losing its claim, dead letters after N failures, and re-sending them from the admin."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

import datetime as dt
import json

import pytest

from closeloop.core import clock
from closeloop.notifications import delivery
from closeloop.notifications.channels.email import Mailer
from closeloop.notifications.delivery import deliveries_dispatch, delivery_resend
from closeloop.notifications.models import Channel, Delivery
from closeloop.notifications.tests.outbox_builders import (
    advance_past_retries,
    advance_to,
    assign,
    mine,
    person,
    robot,
)
from closeloop.notifications.tests.receivers import smtp, webhooks  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

LEASE = dt.timedelta(seconds=300)


def test_a_worker_killed_after_sending_resends_with_the_same_message_id_and_event_id(
    smtp,
    webhooks,
    complaint,
    qm,
):
    robot("generic", webhooks.url("/hook"))
    assign(complaint, qm, person("zhang"))
    email_row = Delivery.objects.get(channel=Channel.EMAIL)
    hook_row = Delivery.objects.get(channel=Channel.WEBHOOK)

    # The first worker claims and sends both, then dies before recording anything.
    claimed = delivery._claim(now=clock.now(), limit=100)
    assert len(claimed) == 2
    mailer = Mailer()
    for row in claimed:
        delivery._send_one(row, mailer=mailer)
    mailer.close()
    assert deliveries_dispatch() == 0  # still leased: nobody else may send them yet

    advance_to(clock.now() + LEASE + dt.timedelta(seconds=1))
    assert deliveries_dispatch() == 2
    assert smtp.message_ids() == [f"<{email_row.event_id}@closeloop>"] * 2
    posted = webhooks.at("/hook")
    assert [r.headers["X-Closeloop-Event-Id"] for r in posted] == [str(hook_row.event_id)] * 2
    assert [json.loads(r.body)["event_id"] for r in posted] == [str(hook_row.event_id)] * 2
    assert {(d.status, d.attempts) for d in mine()} == {("sent", 2)}

    advance_to(clock.now() + dt.timedelta(hours=2))
    assert deliveries_dispatch() == 0
    assert len(smtp.messages) == 2 and len(webhooks.requests) == 2


def test_a_slow_worker_whose_lease_expired_cannot_overwrite_the_newer_outcome(webhooks, complaint, qm):
    robot("generic", webhooks.url("/hook"))
    assign(complaint, qm, person("chen", email=""))
    (slow,) = delivery._claim(now=clock.now(), limit=10)
    advance_to(clock.now() + LEASE + dt.timedelta(seconds=1))
    assert deliveries_dispatch() == 1  # a second worker takes it over and sends it
    assert not delivery._mark_failed(slow, error="timed out", permanent=False)
    assert not delivery._mark_sent(slow)
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_only_due_rows_are_claimed(complaint, qm, frozen_now):
    assign(complaint, qm, person("a"), person("b"), person("c"), person("d"))
    a, b, c, d = mine()
    Delivery.objects.filter(pk=a.pk).update(next_attempt_at=frozen_now + dt.timedelta(minutes=1))
    Delivery.objects.filter(pk=b.pk).update(
        status="sending", lease_until=frozen_now + dt.timedelta(seconds=1)
    )
    Delivery.objects.filter(pk=c.pk).update(
        status="sending", lease_until=frozen_now - dt.timedelta(seconds=1)
    )
    Delivery.objects.filter(pk=d.pk).update(status="dead")
    claimed = delivery._claim(now=frozen_now, limit=10)
    assert [r.pk for r in claimed] == [c.pk]
    assert (claimed[0].status, claimed[0].lease_until, claimed[0].attempts) == (
        "sending",
        frozen_now + LEASE,
        1,
    )


def test_a_row_whose_worker_died_on_every_attempt_becomes_a_dead_letter_unsent(
    settings, complaint, qm, frozen_now
):
    settings.CLOSELOOP_DELIVERY_MAX_ATTEMPTS = 3
    assign(complaint, qm, person("a"))
    Delivery.objects.update(status="sending", attempts=3, lease_until=frozen_now - dt.timedelta(seconds=1))
    assert delivery._claim(now=frozen_now, limit=10) == []
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.lease_until) == ("dead", 3, None)
    assert "worker stopped" in row.last_error


def test_the_batch_limit_is_respected_oldest_due_first(complaint, qm, frozen_now):
    assign(complaint, qm, person("a"), person("b"), person("c"))
    a, _due_now, c = mine()
    Delivery.objects.filter(pk=a.pk).update(next_attempt_at=frozen_now - dt.timedelta(minutes=1))
    Delivery.objects.filter(pk=c.pk).update(next_attempt_at=frozen_now - dt.timedelta(minutes=2))
    assert [r.pk for r in delivery._claim(now=frozen_now, limit=2)] == sorted([a.pk, c.pk])


def test_after_the_last_attempt_a_failing_row_is_a_dead_letter_listed_and_resent_from_the_admin(
    webhooks,
    complaint,
    qm,
    settings,
    admin_client,
    django_capture_on_commit_callbacks,
):
    settings.CLOSELOOP_DELIVERY_MAX_ATTEMPTS = 3
    webhooks.answer("/hook", 500, {"error": "down"})
    robot("generic", webhooks.url("/hook"))
    assign(complaint, qm, person("chen", email=""))
    for attempt in (1, 2, 3):
        assert deliveries_dispatch() == 1
        row = Delivery.objects.get()
        assert row.attempts == attempt
        if attempt < 3:
            assert row.status == "pending"
            advance_past_retries()
    assert (row.status, row.lease_until) == ("dead", None)
    assert "HTTP 500" in row.last_error
    advance_to(clock.now() + dt.timedelta(days=1))
    assert deliveries_dispatch() == 0  # dead letters are never picked up on their own

    page = admin_client.get("/admin/notifications/delivery/")
    assert page.status_code == 200
    assert "?status__exact=dead" in page.content.decode()
    dead = admin_client.get("/admin/notifications/delivery/?status__exact=dead")
    assert dead.status_code == 200
    assert list(dead.context["cl"].result_list) == [row]
    assert "HTTP 500" in dead.content.decode()
    detail = admin_client.get(f"/admin/notifications/delivery/{row.pk}/change/")
    assert detail.status_code == 200
    assert str(row.event_id) in detail.content.decode()
    assert detail.context["has_change_permission"] is False  # rows change only through the services

    webhooks.answer("/hook", 200, {})
    with django_capture_on_commit_callbacks(execute=True):
        resp = admin_client.post(
            "/admin/notifications/delivery/",
            {"action": "resend_failed", "_selected_action": [str(row.pk)]},
        )
    assert resp.status_code == 302
    # The re-send queued the dispatcher, which (eager in tests) sent it with the same event id.
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert [r.headers["X-Closeloop-Event-Id"] for r in webhooks.at("/hook")] == [str(row.event_id)] * 4


def test_resend_moves_only_dead_rows_unless_sent_ones_are_asked_for(complaint, qm, admin_user):
    assign(complaint, qm, person("a"), person("b"), person("c"))
    a, b, c = mine()
    Delivery.objects.filter(pk=a.pk).update(status="dead", attempts=8, last_error="HTTP 500")
    Delivery.objects.filter(pk=b.pk).update(status="sent", attempts=1, sent_at=clock.now())
    ids = [a.pk, b.pk, c.pk]
    assert delivery_resend(delivery_ids=ids, actor=admin_user) == 1
    assert delivery_resend(delivery_ids=ids, actor=admin_user, include_sent=True) == 1
    assert {(d.status, d.attempts, d.last_error, d.sent_at) for d in mine()} == {("pending", 0, "", None)}


def test_one_failing_row_does_not_stop_the_batch(smtp, complaint, qm):
    robot("generic", "http://[::1]:1/unreachable", allow_private=True)
    zhang, li = person("zhang"), person("li")
    assign(complaint, qm, zhang, li)
    zhang.email = ""
    zhang.save(update_fields=["email"])
    assert deliveries_dispatch() == 3
    outcome = {(d.recipient.username if d.recipient else "robot", d.status) for d in mine()}
    assert outcome == {("zhang", "dead"), ("li", "sent"), ("robot", "pending")}
    assert [m["To"] for m in smtp.messages] == ["li@example.com"]


@pytest.mark.parametrize(
    "page",
    [
        "/admin/notifications/notificationrule/add/",
        "/admin/notifications/notificationpreference/add/",
        "/admin/notifications/webhookendpoint/add/",
        "/admin/notifications/webhookendpoint/",
        "/admin/notifications/notificationrule/",
    ],
)
def test_the_notification_admin_pages_open(admin_client, page):
    assert admin_client.get(page).status_code == 200


def test_the_webhook_list_never_shows_the_secret_or_the_key_in_the_url(admin_client, webhooks):
    robot("generic", webhooks.url("/hook?key=url-key-42"), secret="s3cr3t-value")
    html = admin_client.get("/admin/notifications/webhookendpoint/").content.decode()
    assert "127.0.0.1" in html
    assert "s3cr3t-value" not in html and "url-key-42" not in html


def test_the_admin_test_message_action_reports_what_the_robot_said(admin_client, webhooks):
    ok = robot("wecom", webhooks.url("/ok"))
    webhooks.answer("/bad", 200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    bad = robot("wecom", webhooks.url("/bad"))
    resp = admin_client.post(
        "/admin/notifications/webhookendpoint/",
        {"action": "send_test_message", "_selected_action": [str(ok.pk), str(bad.pk)]},
        follow=True,
    )
    shown = [str(m) for m in resp.context["messages"]]
    assert any(str(ok) in m and "93000" not in m for m in shown)
    assert any(str(bad) in m and "93000" in m for m in shown)
    assert len(webhooks.at("/ok")) == 1 and len(webhooks.at("/bad")) == 1
    assert not Delivery.objects.exists()
