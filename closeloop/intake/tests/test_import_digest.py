"""An import tells each person its new complaints concern once, not once per complaint: one
``complaints_imported`` notification per person (counts across batches, the reason and rule of the
routing ``complaint_received`` has), one email per person who wants email for that event, one post
per robot, linked to the list of the import's complaints; a batch the database refuses leaves the
digest as it was committed."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.utils import translation

from closeloop.accounts.services import api_token_create
from closeloop.complaints.models import Complaint
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.importing import batches
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportJob
from closeloop.intake.services import complaint_intake
from closeloop.intake.tests.conftest import SEVEN_ROWS, complaints_csv
from closeloop.notifications.channels import event_link
from closeloop.notifications.channels.email import email_notification_build
from closeloop.notifications.channels.webhooks import webhook_message_from_delivery
from closeloop.notifications.imports import ImportDigest, import_digest_add, import_digest_send
from closeloop.notifications.models import Delivery, Notification

pytestmark = pytest.mark.django_db


def test_an_import_tells_each_person_and_robot_once_with_its_counts(
    agent, qm, qe, routing, frozen_now, monkeypatch, client
):
    monkeypatch.setattr(batches, "BATCH_ROWS", 3)  # three batches
    job = import_job_create(
        user=agent, kind="complaints", name="六月客诉.csv", data=complaints_csv(SEVEN_ROWS), queue=False
    )
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.created_count, job.error_count) == ("done", 5, 2)
    imported = Complaint.objects.filter(import_job_id=job.pk)
    assert imported.count() == 5 == Complaint.objects.count()

    assert not Notification.objects.filter(verb="complaint_received").exists()
    told = {
        n.recipient.username: (n.reason, n.rule_id, n.complaint_id, n.data)
        for n in Notification.objects.filter(verb="complaints_imported")
    }
    data = {"import_job": job.pk, "file": "六月客诉.csv"}
    assert told == {
        "qe": ("owner", None, None, {**data, "count": 5, "serious": 2}),
        "qm": ("role_quality_manager", routing["rule"].pk, None, {**data, "count": 2, "serious": 2}),
    }
    digest = Notification.objects.get(recipient=qe)
    with translation.override("en"):
        assert digest.text == "5 new complaints from the import of 六月客诉.csv (2 serious)"
    with translation.override("zh-hans"):
        assert digest.text == "导入的 六月客诉.csv 带来 5 条新客诉（其中严重 2 条）"
    assert digest.import_job == job.pk
    assert event_link(complaint_number=None, data=digest.data).endswith(f"/complaints/?import_job={job.pk}")

    # One email (qe muted the event) and one post to the active robot, with the robot's count.
    deliveries = list(Delivery.objects.order_by("channel"))
    assert [(d.channel, d.verb) for d in deliveries] == [
        ("email", "complaints_imported"),
        ("webhook", "complaints_imported"),
    ]
    email, post = deliveries
    assert email.recipient == qm and email.notification.recipient == qm
    message = email_notification_build(email)
    assert message.subject == "[Closeloop] 导入的 六月客诉.csv 带来 2 条新客诉（其中严重 2 条）"
    assert f"/complaints/?import_job={job.pk}" in message.body
    assert post.endpoint == routing["robot"] and post.notification is None
    robot = webhook_message_from_delivery(post)
    assert robot.text == "导入的 六月客诉.csv 带来 2 条新客诉（其中严重 2 条）"
    assert robot.event == "收到客诉" and robot.link.endswith(f"/complaints/?import_job={job.pk}")

    # The import's page links to the list of its complaints; so does the inbox's digest, and the list
    # shows exactly them.
    client.force_login(agent)
    job_page = client.get(f"/intake/import/{job.pk}/").content.decode()
    link = f'id="import-complaints" href="/complaints/?import_job={job.pk}">查看导入创建的 5 条客诉<'
    assert link in job_page
    client.force_login(qm)
    inbox = client.get("/notifications/").content.decode()
    assert f'href="/complaints/?import_job={job.pk}"' in inbox
    page = client.get(f"/complaints/?import_job={job.pk}").content.decode()
    for c in imported:
        assert c.number in page
    assert f"#{job.pk} 六月客诉.csv" in page  # the filter's chip


def test_the_import_filter_names_a_bad_value_and_lists_only_that_imports_complaints(
    agent, qm, routing, frozen_now, client
):
    first = import_job_run(
        job_id=import_job_create(
            user=agent,
            kind="complaints",
            name="a.csv",
            data=complaints_csv([["C001", "一", "描述", ""]]),
            queue=False,
        ).pk
    )
    import_job_run(
        job_id=import_job_create(
            user=agent,
            kind="complaints",
            name="b.csv",
            data=complaints_csv([["C001", "二", "描述", ""]]),
            queue=False,
        ).pk
    )
    complaint_intake(
        draft=ComplaintDraft(channel="phone", customer="C001", title="三", description="描述"), actor=agent
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=qm, name='t')[1]}"}
    resp = client.get(f"/api/v1/complaints?import_job={first.pk}", **headers)
    assert [c["title"] for c in resp.json()["items"]] == ["一"]
    resp = client.get("/api/v1/complaints?import_job=x1", **headers)
    assert resp.status_code == 422
    assert list(resp.json()["fields"]) == ["import_job"]
    client.force_login(qm)
    page = client.get("/complaints/?import_job=99999999999").content.decode()
    assert "请填写导入的编号，例如 12。" in page


def _complaints(qe, titles_severities):
    return [
        complaint_intake(
            draft=ComplaintDraft(
                channel="phone", customer="C001", title=title, description="描述", severity=severity
            ),
            actor=None,
        )
        for title, severity in titles_severities
    ]


def test_a_batch_rolled_back_leaves_the_digest_as_committed(agent, qm, qe, routing, frozen_now):
    digest = ImportDigest(job_id=41, file="x.csv", actor=agent)
    committed = _complaints(qe, [("一", "general"), ("二", "general")])
    import_digest_add(digest, complaints=committed)
    refused = _complaints(qe, [("三", "serious")])

    class Refused:
        def write(self, *, digest: ImportDigest) -> list[Complaint]:
            import_digest_add(digest, complaints=refused)  # tells qm for the first time, qe again
            raise DatabaseError("refused")

    writer = batches._Writer(ImportJob(pk=41, attempt=1), digest)  # the job is never reached: the writes fail
    assert isinstance(writer._write(Refused()), DatabaseError)  # type: ignore[arg-type]
    assert set(digest.people) == {qe.pk}
    row, told = digest.people[qe.pk]
    assert (told.count, told.serious) == (2, 0) and row.data["count"] == 2
    assert list(Notification.objects.filter(verb="complaints_imported").values_list("recipient", "data")) == [
        (qe.pk, {"import_job": 41, "file": "x.csv", "count": 2, "serious": 0})
    ]
    assert digest.robots == {}

    class Broken:
        def write(self, *, digest: ImportDigest) -> list[Complaint]:
            import_digest_add(digest, complaints=refused)
            raise RuntimeError("a bug")  # ends the import: its digest must still hold only what committed

    with pytest.raises(RuntimeError):
        writer._write(Broken())  # type: ignore[arg-type]
    assert set(digest.people) == {qe.pk} and digest.people[qe.pk][1].count == 2 and digest.robots == {}
    # The next batch counts on from what was committed; the outbox is written once.
    import_digest_add(digest, complaints=refused)
    assert len(import_digest_send(digest)) == 2  # qm's email and the robot's post (qe muted the event)
    assert import_digest_send(digest) == []
    assert Notification.objects.get(recipient=qe, verb="complaints_imported").data["count"] == 3


@pytest.mark.postgres
def test_rows_of_a_refused_batch_saved_one_by_one_are_counted_into_the_digest_too(
    agent, qm, qe, routing, frozen_now
):
    # PostgreSQL refuses the batch as a whole (a quantity past its integer column), which is then run
    # again row by row: the rows it saves tell no one by themselves, they count into the digest.
    rows: list[list[object]] = [
        ["C001", "第一行", "描述", "严重"],
        ["C001", "数量过大", "描述", "严重"],
        ["C001", "第三行", "描述", "一般"],
    ]
    rows[1] = [*rows[1], 10**11]
    data = "客户编码,标题,问题描述,严重程度,数量\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    job = import_job_create(
        user=agent, kind="complaints", name="r.csv", data=data.encode("utf-8-sig"), queue=False
    )
    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.error_count) == (2, 1)
    assert not Notification.objects.filter(verb="complaint_received").exists()
    counts = {
        n.recipient.username: (n.data["count"], n.data["serious"])
        for n in Notification.objects.filter(verb="complaints_imported")
    }
    assert counts == {"qe": (2, 1), "qm": (1, 1)}
    assert Delivery.objects.filter(channel="webhook").get().payload["data"]["count"] == 1


def test_a_batch_routed_before_its_write_counts_as_one_routed_inside_it(agent, qm, qe, routing, frozen_now):
    """The import routes a batch's complaints while the batch before is written (outside the transaction
    that holds the numbers): the write then reads no notification rule, and the digest ends as the
    routing inside the write leaves it. Routed for another actor, it is routed again."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from closeloop.intake.bulk import complaint_intake_prepare
    from closeloop.notifications.imports import import_digest_route

    drafts = [
        ComplaintDraft(channel="phone", customer="C001", title=title, description="描述", severity=severity)
        for title, severity in [("一", "general"), ("二", "serious"), ("三", "serious")]
    ]
    ahead = ImportDigest(job_id=41, file="x.csv", actor=agent)
    batch = complaint_intake_prepare(drafts=drafts, actor=agent, digest_routed=True)
    assert batch.built.routed is not None
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        saved = batch.write(digest=ahead)
    assert len(saved) == 3 and not any("notificationrule" in q["sql"] for q in queries.captured_queries)

    inside = ImportDigest(job_id=42, file="x.csv", actor=agent)
    import_digest_add(inside, complaints=saved)  # routed here, from the saved complaints

    def counts(digest: ImportDigest) -> dict[str, dict[int, tuple[int, int]]]:
        return {
            "people": {pk: (t.count, t.serious) for pk, (_n, t) in digest.people.items()},
            "robots": {pk: (t.count, t.serious) for pk, (_e, t) in digest.robots.items()},
        }

    assert (
        counts(ahead)
        == counts(inside)
        == {
            "people": {qe.pk: (3, 2), qm.pk: (2, 2)},
            "robots": {routing["robot"].pk: (2, 2)},
        }
    )
    # The digest is qm's (the actor is left out of those told): a routing for agent is not used for it.
    as_qm = ImportDigest(job_id=43, file="x.csv", actor=qm)
    import_digest_add(as_qm, complaints=saved, routed=import_digest_route(saved, actor=agent))
    assert qm.pk not in as_qm.people and qe.pk in as_qm.people
