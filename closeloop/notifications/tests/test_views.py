"""The inbox page and the bell."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closeloop.core import clock
from closeloop.notifications.models import Notification
from closeloop.notifications.services import notification_send
from closeloop.notifications.tests.conftest import triage

pytestmark = pytest.mark.django_db


def _accepted(to, actor, complaint, *, title="螺丝刀杆生锈"):
    return notification_send(
        verb="complaint_accepted",
        recipients={to: "role_general_manager"},
        actor=actor,
        complaint=complaint,
        data={"number": complaint.number, "title": title, "customer": "华东机电有限公司"},
    )[0]


def test_the_inbox_shows_my_notifications_newest_first_with_the_unread_emphasised(
    client, complaint, qe, managers, frozen_now
):
    gm = managers["gm"]  # reads English
    triage(complaint, qe)
    clock.freeze(frozen_now + dt.timedelta(minutes=5))
    later = _accepted(gm, qe, complaint, title="第二条")
    Notification.objects.filter(pk=later.pk).update(read_at=frozen_now)
    client.force_login(gm)
    page = client.get("/notifications/").content.decode()
    first = f"Complaint {complaint.number} accepted: 第二条 (华东机电有限公司)"
    second = f"Complaint {complaint.number} accepted: 螺丝刀杆生锈 (华东机电有限公司)"
    assert first in page and second in page and page.index(first) < page.index(second)
    unread = Notification.objects.get(recipient=gm, read_at__isnull=True)
    assert f'<tr id="notification-{unread.pk}" class="cl-unread fw-semibold">' in page
    assert f'<tr id="notification-{later.pk}" class="cl-read">' in page
    assert "Why did I get this: You are the general manager." in page
    assert f'href="/complaints/{complaint.number}/"' in page
    assert "2026-06-15 10:05" in page  # in the reader's time zone, Y-m-d H:i
    unread_only = client.get("/notifications/?show=unread").content.decode()
    assert second in unread_only and first not in unread_only


def test_another_users_notifications_are_never_shown(client, complaint, qe, qm, agent):
    _accepted(qm, qe, complaint, title="只给质量经理")
    client.force_login(agent)
    page = client.get("/notifications/").content.decode()
    assert "只给质量经理" not in page and 'id="notifications-empty"' in page
    mine = Notification.objects.get()
    client.post("/notifications/read/", {"id": mine.pk})
    assert Notification.objects.get().read_at is None


def test_mark_one_read_with_htmx_and_all_read_with_a_form(client, complaint, qe, qm):
    a, b, _c = (_accepted(qm, qe, complaint, title=t) for t in ("一", "二", "三"))
    client.force_login(qm)
    resp = client.post("/notifications/read/", {"id": a.pk, "show": "all"}, HTTP_HX_REQUEST="true")
    body = resp.content.decode()
    assert resp.status_code == 200 and body.startswith(f'<tr id="notification-{a.pk}" class="cl-read">')
    assert 'id="notification-bell"' in body and 'hx-swap-oob="true"' in body and ">2</span>" in body
    resp = client.post("/notifications/read/", {"id": b.pk, "show": "unread"})
    assert resp.status_code == 302 and resp["Location"] == "/notifications/?show=unread"
    resp = client.post("/notifications/read/", {"all": "1"})
    assert resp["Location"] == "/notifications/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert client.post("/notifications/read/", {"id": "x"}).status_code == 404


def test_the_inbox_pages_with_an_older_link(client, complaint, qe, qm, frozen_now):
    for i in range(52):
        clock.freeze(frozen_now + dt.timedelta(minutes=i))
        _accepted(qm, qe, complaint, title=f"第{i}条")
    client.force_login(qm)
    page = client.get("/notifications/")
    rows = page.context["notifications"]
    assert len(rows) == 50 and rows[0].data["title"] == "第51条" and page.context["older"]
    older = client.get("/notifications/", {"before": page.context["older"]})
    assert [n.data["title"] for n in older.context["notifications"]] == ["第1条", "第0条"]
    assert older.context["older"] is None
    assert client.get("/notifications/", {"before": "junk"}).status_code == 200


def test_the_inbox_runs_a_fixed_number_of_queries(client, complaint, qe, qm, django_assert_num_queries):
    for i in range(3):
        _accepted(qm, qe, complaint, title=f"第{i}条")
    client.force_login(qm)
    client.get("/notifications/")  # warm caches (content types, permissions)
    # session, user, the page of rows, the bell's count, the user's permissions (one query for the
    # direct and the role ones)
    with django_assert_num_queries(5):
        client.get("/notifications/")
    for i in range(20):
        _accepted(qm, qe, complaint, title=f"更多{i}")
    with django_assert_num_queries(5):
        assert len(client.get("/notifications/").context["notifications"]) == 23


def test_the_bell_counts_unread_with_one_query_per_page(client, complaint, qe, qm):
    _accepted(qm, qe, complaint)
    _accepted(qm, qe, complaint)
    client.force_login(qm)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/actions/mine/").content.decode()
    assert 'id="notification-count" aria-hidden="true">2</span>' in page
    assert (
        'aria-label="Notifications: 2 unread"' in page or "2" in page.split('id="notification-bell"')[1][:400]
    )
    assert sum("notifications_notification" in q["sql"] for q in ctx.captured_queries) == 1


def test_the_bell_stops_counting_past_what_it_shows(client, complaint, qe, qm):
    # A user who never opens the inbox: the bell says 99+ and its query stops at the hundredth row.
    first = _accepted(qm, qe, complaint)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=qm,
                verb=first.verb,
                reason=first.reason,
                complaint=complaint,
                data=first.data,
                created_at=first.created_at,
            )
            for _ in range(100)
        ]
    )
    client.force_login(qm)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/actions/mine/").content.decode()
    assert 'id="notification-count" aria-hidden="true">99+</span>' in page
    assert 'aria-label="通知：超过99条未读"' in page  # qm reads Chinese
    (count_sql,) = [q["sql"] for q in ctx.captured_queries if "notifications_notification" in q["sql"]]
    assert "LIMIT 100" in count_sql
    resp = client.get("/notifications/bell/")
    assert resp.context["unread"] == 100 and b">99+</span>" in resp.content


def test_the_bell_count_is_what_the_orm_counts(complaint, qe, qm):
    """The count's hand-written statement answers what the ORM's capped count answers: only the user's
    own unread rows, up to the cap."""
    from closeloop.notifications.selectors import notification_unread_count

    read = _accepted(qm, qe, complaint)
    read.read_at = read.created_at
    read.save(update_fields=["read_at"])
    _accepted(qm, qe, complaint)
    _accepted(qm, qe, complaint)
    for user in (qm, qe):
        mine = Notification.objects.filter(recipient=user, read_at__isnull=True)
        for cap in (1, 2, 100):
            assert notification_unread_count(user=user, cap=cap) == mine[:cap].count()
    assert notification_unread_count(user=qm) == 2


def test_no_bell_and_no_inbox_for_anonymous_visitors(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = client.get("/accounts/login/").content.decode()
    assert "notification-bell" not in page
    resp = client.get("/notifications/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_the_admin_lists_notifications_read_only(client, complaint, qe, qm):
    from closeloop.accounts import roles
    from closeloop.accounts.tests.factories import user_make

    n = _accepted(qm, qe, complaint)
    admin = user_make("admin", roles.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/notifications/notification/").status_code == 200
    assert client.get(f"/admin/notifications/notification/{n.pk}/change/").status_code == 200
    assert client.get("/admin/notifications/notification/add/").status_code == 403
