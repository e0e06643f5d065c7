"""Actions on the complaint page and on "My actions"."""

import pytest

from closeloop.actions.models import Action

pytestmark = pytest.mark.django_db


def test_add_do_and_verify_an_action_through_the_pages(client, qm, qe, complaint, frozen_now):
    client.force_login(qm)
    resp = client.post(
        f"/actions/complaint/{complaint.number}/",
        {"title": "", "kind": "task", "owner": "", "due_date": ""},
        follow=True,
    )
    assert "请说明要做什么" in resp.content.decode() and Action.objects.count() == 0
    client.post(
        f"/actions/complaint/{complaint.number}/",
        {
            "title": "7天内查明原因并提出预防措施",
            "kind": "corrective",
            "owner": qe.pk,
            "due_date": "2026-06-22",
        },
    )
    a = Action.objects.get()
    assert (a.owner, a.requested_by, a.kind) == (qe, qm, "corrective")
    client.force_login(qe)
    page = client.get("/actions/mine/").content.decode()
    assert "7天内查明原因并提出预防措施" in page and complaint.number in page
    client.post(
        f"/actions/{a.pk}/complete/",
        {"version": a.version, "note": "原因：运输途中受潮，无防水包装", "next": "mine"},
    )
    a.refresh_from_db()
    assert a.status == "done"
    client.force_login(qm)
    assert (
        "原因：运输途中受潮" in client.get("/actions/mine/").content.decode()
    )  # waiting for my verification
    client.post(f"/actions/{a.pk}/verify/", {"version": a.version, "note": "已确认"})
    a.refresh_from_db()
    assert a.status == "verified"
    body = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert "验证了措施效果" in body and "已验证" in body


def test_action_steps_are_permission_checked(client, agent, qm, qe, complaint, frozen_now):
    from closeloop.actions.services import action_create

    a = action_create(complaint=complaint, actor=qm, title="t", owner=qe, due_date=frozen_now.date())
    client.force_login(agent)
    assert client.post(f"/actions/{a.pk}/start/", {"version": a.version}).status_code == 403
    assert client.post(f"/actions/{a.pk}/explode/", {"version": a.version}).status_code == 404
    assert (
        client.post(
            f"/actions/complaint/{complaint.number}/",
            {"title": "x", "owner": qe.pk, "due_date": "2026-07-01"},
        ).status_code
        == 403
    )


def test_my_actions_page_query_count_is_constant(
    client, qm, qe, complaint, frozen_now, django_assert_max_num_queries
):
    import datetime as dt

    from closeloop.actions.services import action_create

    for i in range(6):
        action_create(
            complaint=complaint,
            actor=qm,
            title=f"任务{i}",
            owner=qe,
            due_date=frozen_now.date() + dt.timedelta(days=i),
        )
    client.force_login(qe)
    with django_assert_max_num_queries(7):  # +1: the unread-notification count in the top bar
        body = client.get("/actions/mine/").content.decode()
    assert body.count("任务") >= 6


def test_actions_by_department_and_overdue(
    client, qm, qe, agent, complaint, frozen_now, django_assert_max_num_queries
):
    import datetime as dt

    from closeloop.actions.services import action_create
    from closeloop.core import clock

    action_create(complaint=complaint, actor=qm, title="质量部的任务", owner=qe, due_date=frozen_now.date())
    action_create(
        complaint=complaint,
        actor=qm,
        title="客服部的任务",
        owner=agent,
        due_date=frozen_now.date() + dt.timedelta(days=10),
    )
    client.force_login(qm)
    with django_assert_max_num_queries(8):
        body = client.get("/actions/?department=quality").content.decode()
    assert "质量部的任务" in body and "客服部的任务" not in body
    clock.freeze(frozen_now + dt.timedelta(days=2))
    body = client.get("/actions/?overdue=1").content.decode()
    assert "质量部的任务" in body and "客服部的任务" not in body
