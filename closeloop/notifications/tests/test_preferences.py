"""Per-user preferences, the daily digest and the polled bell."""

import datetime as dt

import pytest

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.core import clock
from closeloop.notifications.models import Channel, Delivery, NotificationPreference
from closeloop.notifications.services import digests_send, notification_preference_set, notification_send

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def reader(db):
    return user_make("reader", roles.QUALITY_ENGINEER, email="reader@example.com", language="en")


def _tell(user, actor, n=1):
    for _ in range(n):
        notification_send(
            verb="step_approved", recipients={user: "team_member"}, actor=actor, data={"case": "8D-1"}
        )


def test_preferences_page_saves_and_shows_them(client, reader):
    client.force_login(reader)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    assert "One daily digest" in page.content.decode()
    r = client.post(
        "/notifications/preferences/",
        {"email_mode": "digest", "muted_events": ["action_done", "step_approved"]},
    )
    assert r.status_code == 302
    pref = NotificationPreference.objects.get(user=reader)
    assert (pref.email_mode, pref.muted_events) == ("digest", ["action_done", "step_approved"])


def test_bad_preferences_are_refused_by_field_in_the_users_language(client, reader):
    reader.language = "zh-hans"
    reader.save()
    client.force_login(reader)
    r = client.post("/notifications/preferences/", {"email_mode": "carrier-pigeon", "muted_events": ["nope"]})
    assert r.status_code == 422
    form = r.context["form"]
    assert set(form.errors) == {"email_mode", "muted_events"}
    assert "选择" in " ".join(form.errors["email_mode"])  # Django's own message, in Chinese
    assert not NotificationPreference.objects.exists()


def test_the_service_names_the_field_too(reader):
    from closeloop.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        notification_preference_set(user=reader, email_mode="sometimes", muted_events=["no_such_event"])
    assert set(exc.value.fields) == {"email_mode", "muted_events"}


def test_digest_once_a_day_after_the_hour_with_the_unread_notifications(reader, qm, settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "DIGEST_HOUR": 8}
    NotificationPreference.objects.create(user=reader, email_mode="digest")
    clock.freeze(dt.datetime(2026, 11, 2, 7, 0, tzinfo=SHANGHAI))
    try:
        _tell(reader, qm, 3)
        assert not Delivery.objects.filter(
            channel=Channel.EMAIL
        ).exists()  # digest readers get no instant mail
        assert digests_send() == 0  # 07:00 in Shanghai: before the digest hour
        first = reader.notifications.order_by("pk").first()
        first.read_at = clock.now()
        first.save()
        clock.freeze(dt.datetime(2026, 11, 2, 8, 5, tzinfo=SHANGHAI))
        assert digests_send() == 1
        assert digests_send() == 0  # one a day
        digest = Delivery.objects.get(channel=Channel.DIGEST)
        unread = list(
            reader.notifications.filter(read_at__isnull=True).order_by("pk").values_list("pk", flat=True)
        )
        assert (digest.recipient, digest.payload["notification_ids"]) == (reader, unread)
        clock.freeze(dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI))
        assert digests_send() == 0  # nothing new since yesterday's digest: no empty email
        clock.freeze(dt.datetime(2026, 11, 3, 14, 0, tzinfo=SHANGHAI))
        _tell(reader, qm)
        clock.freeze(dt.datetime(2026, 11, 4, 8, 0, tzinfo=SHANGHAI))
        assert digests_send() == 1
        assert (
            len(
                Delivery.objects.filter(channel=Channel.DIGEST).order_by("-pk")[0].payload["notification_ids"]
            )
            == 1
        )
    finally:
        clock.freeze(None)


def test_digest_hour_is_the_readers_own_time_zone(reader, qm, settings):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "DIGEST_HOUR": 8}
    reader.time_zone = "Europe/Berlin"
    reader.save()
    NotificationPreference.objects.create(user=reader, email_mode="digest")
    clock.freeze(dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))  # 03:00 in Berlin
    try:
        _tell(reader, qm)
        assert digests_send() == 0
        clock.freeze(dt.datetime(2026, 11, 2, 15, 30, tzinfo=SHANGHAI))  # 08:30 in Berlin
        assert digests_send() == 1
    finally:
        clock.freeze(None)


def test_the_bell_is_polled_and_counts_unread(client, reader, qm):
    client.force_login(reader)
    page = client.get("/notifications/").content.decode()
    assert 'hx-get="/notifications/bell/"' in page and 'hx-trigger="every ' in page
    assert 'id="notification-count"' not in client.get("/notifications/bell/").content.decode()
    _tell(reader, qm, 2)
    bell = client.get("/notifications/bell/")
    assert bell["Cache-Control"] == "no-store"
    assert (
        '<span class="badge bg-red text-red-fg ms-1" id="notification-count" aria-hidden="true">2</span>'
        in (bell.content.decode())
    )


def test_the_bell_needs_a_sign_in(client):
    assert client.get("/notifications/bell/").status_code == 302
