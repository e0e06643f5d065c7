"""The email channel against a real local SMTP server (aiosmtpd): retries while the server refuses,
exactly one copy after it recovers, text + HTML in each recipient's language and time zone, a stable
Message-ID, one connection per batch, the daily digest, and failures that no retry can fix."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

import datetime as dt

import pytest
from django.utils import translation

from closeloop.core import clock
from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.notifications.messages import EVENT_LABELS
from closeloop.notifications.models import Channel, Delivery, Notification
from closeloop.notifications.services import notification_send
from closeloop.notifications.tests.outbox_builders import (
    advance_past_retries,
    advance_to,
    assign,
    mine,
    person,
)
from closeloop.notifications.tests.receivers import smtp  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_mail_refused_for_a_while_is_delivered_exactly_once_after_the_server_recovers(smtp, complaint, qm):
    zhang, smith = person("zhang"), person("smith", language="en")
    assign(complaint, qm, zhang, smith)
    rows = mine(channel=Channel.EMAIL)
    assert len(rows) == 2

    smtp.refuse = "451 4.3.0 Mailbox busy, try again later"
    assert deliveries_dispatch() == 2
    waiting = mine(channel=Channel.EMAIL)
    assert {(d.status, d.attempts) for d in waiting} == {("pending", 1)}
    assert all("451" in d.last_error and d.next_attempt_at > clock.now() for d in waiting)
    assert deliveries_dispatch() == 0  # nothing is due before its backoff has passed

    smtp.refuse = "421 4.3.2 Service not available, closing channel"
    advance_past_retries()
    assert deliveries_dispatch() == 2
    assert {(d.status, d.attempts) for d in mine(channel=Channel.EMAIL)} == {("pending", 2)}
    assert all("421" in d.last_error for d in mine(channel=Channel.EMAIL))

    smtp.refuse = None
    advance_past_retries()
    assert deliveries_dispatch() == 2
    assert smtp.refused == 4
    done = mine(channel=Channel.EMAIL)
    assert {(d.status, d.attempts, d.last_error) for d in done} == {("sent", 3, "")}
    assert all(d.sent_at == clock.now() for d in done)

    advance_to(clock.now() + dt.timedelta(hours=6))
    assert deliveries_dispatch() == 0
    assert sorted(smtp.message_ids()) == sorted(f"<{d.event_id}@closeloop>" for d in done)
    for d in done:
        (message,) = smtp.by_recipient(d.recipient.email)
        assert message["X-Closeloop-Event-Id"] == str(d.event_id)


def test_each_recipient_reads_the_mail_in_their_language_and_time_zone_over_one_connection(
    smtp,
    complaint,
    qm,
    frozen_now,
):
    zhang = person("zhang")
    smith = person("smith", language="en", time_zone="Europe/London")
    wang = person("wang")
    assign(complaint, qm, zhang, smith, wang)
    assert deliveries_dispatch() == 3
    assert smtp.sessions == 1
    link = f"http://127.0.0.1:8000/complaints/{complaint.number}/"

    (zh,) = smtp.by_recipient("zhang@example.com")
    assert zh["Subject"].strip() == f"[Closeloop] 客诉{complaint.number}已分派给您：螺丝刀杆生锈"
    assert zh["Auto-Submitted"] == "auto-generated"
    text, html = _parts(zh)
    assert f"客诉{complaint.number}已分派给您：螺丝刀杆生锈" in text
    assert "为什么收到此通知： 您是负责人。" in text
    assert link in text
    assert "2026-06-15 10:00" in text  # 10:00 in Shanghai, the site's zone (zhang has none)
    assert f'href="{link}"' in html
    assert "您是负责人。" in html
    assert '<html lang="zh-hans">' in html

    (en,) = smtp.by_recipient("smith@example.com")
    assert en["Subject"].strip() == f"[Closeloop] Complaint {complaint.number} is now yours: 螺丝刀杆生锈"
    text, html = _parts(en)
    assert "Why did I get this: You are the owner." in text
    assert "2026-06-15 03:00 BST" in text  # the same instant in London
    with translation.override("en"):
        assert str(EVENT_LABELS["complaint_assigned"]) in html
    assert "您" not in text


def test_the_daily_digest_lists_the_recipients_notifications_in_one_mail(smtp, complaint, qm, frozen_now):
    smith = person("smith", language="en", email="")  # digest only: no immediate email rows
    other = person("other", email="")
    assign(complaint, qm, smith, other)
    notification_send(
        verb="step_approved",
        recipients={smith: "approver"},
        actor=qm,
        investigation_id=7,
        data={"case": "8D-2026-0007", "step": "D4"},
    )
    smith.email = "smith@example.com"
    smith.save(update_fields=["email"])
    ids = list(Notification.objects.filter(recipient__in=[smith, other]).values_list("pk", flat=True))
    # As the daily-digest service writes it; the other person's id is ignored.
    Delivery.objects.create(
        channel=Channel.DIGEST,
        event_id="3f2b8c1e-0000-4000-8000-000000000001",
        verb="digest",
        recipient=smith,
        payload={"notification_ids": ids},
        next_attempt_at=frozen_now,
        created_at=frozen_now,
    )
    assert deliveries_dispatch() == 1
    (message,) = smtp.messages
    assert message["Message-ID"] == "<3f2b8c1e-0000-4000-8000-000000000001@closeloop>"
    assert message["Subject"].strip() == "[Closeloop] Daily digest: 2 notifications"
    text, html = _parts(message)
    assert f"Complaint {complaint.number} is now yours" in text
    assert "8D 8D-2026-0007: D4 was approved" in text
    assert "http://127.0.0.1:8000/8d/8D-2026-0007/" in html
    assert text.index("is now yours") < text.index("was approved")  # oldest first
    assert Delivery.objects.get(channel=Channel.DIGEST).status == "sent"


def test_a_recipient_who_lost_their_address_is_a_dead_letter_at_once(smtp, complaint, qm):
    zhang = person("zhang")
    assign(complaint, qm, zhang)
    zhang.email = ""
    zhang.save(update_fields=["email"])
    assert deliveries_dispatch() == 1
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("dead", 1)
    assert "no email address" in row.last_error
    assert smtp.messages == []


def test_an_unreachable_mail_server_fails_the_batchs_mail_for_a_later_retry(settings, complaint, qm):
    from closeloop.notifications.tests.receivers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    assign(complaint, qm, person("zhang"), person("li"))
    assert deliveries_dispatch() == 2
    rows = mine()
    assert {(d.status, d.attempts) for d in rows} == {("pending", 1)}
    assert all(d.last_error.startswith("mail server unreachable: ConnectionRefusedError") for d in rows)
