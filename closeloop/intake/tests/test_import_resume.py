"""An import whose worker stops half-way is found and finished (``importing.lease``): after
``JOB_STALL_SECONDS`` without a heartbeat the periodic resumer sends it to the worker again; the new
run takes the lease over, skips the complaint rows already saved and goes on with the digest as it was
committed, so the job ends exactly as one uninterrupted run would have ended it — no row twice, the
same report, one notification, email and robot post per person and robot with the same counts. A run
that was only thought stopped writes nothing more once taken over; a job stopped in each of three runs
is failed, keeping what was saved and telling the people about it; a queued job whose message was lost
is sent again.

A worker's death is played by an exception the import does not catch (as nothing runs after a kill),
raised at the chosen point, with the digest's sending in ``finally`` switched off for that run."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io

import pytest
from django.apps import apps
from django.conf import settings

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.customers.models import Customer
from closeloop.intake import tasks
from closeloop.intake.importing import batches, lease, service
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportJob
from closeloop.intake.tests.conftest import SEVEN_ROWS, complaints_csv
from closeloop.notifications.models import Delivery, Notification

pytestmark = pytest.mark.django_db

# SEVEN_ROWS are rows 2–8 of the file; rows 4 (unknown customer) and 6 (no title) are refused. In
# batches of 3: [2, 3, 4], [5, 6, 7], [8].
TITLES = ["杆部生锈", "包装破损", "螺栓断裂", "标签错误", "漏油"]
STALL = dt.timedelta(seconds=601)  # just past the default 600 s


@pytest.fixture(autouse=True)
def _outbox_left_queued(monkeypatch):
    # The outbox's dispatch (tested with the notifications) would try the robot's host: the rows it
    # would send are what these tests read.
    monkeypatch.setattr("closeloop.notifications.imports.deliveries_kick", lambda: None)


class Killed(BaseException):
    """The worker's death: nothing in the import catches it."""


def _kill_at_batch(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Kill the run as it is about to write its ``n``-th batch (the batches before are committed)."""
    real = batches._Writer.submit
    seen = {"batches": 0}

    def submit(writer: batches._Writer, prepared: object) -> None:
        seen["batches"] += 1
        if seen["batches"] == n:
            raise Killed
        real(writer, prepared)  # type: ignore[arg-type]

    monkeypatch.setattr(batches._Writer, "submit", submit)
    monkeypatch.setattr(batches, "_digest_send", lambda job, digest: None)  # a killed run sends nothing


def _job(agent) -> ImportJob:
    return import_job_create(
        user=agent, kind="complaints", name="六月客诉.csv", data=complaints_csv(SEVEN_ROWS), queue=False
    )


def _killed_run(monkeypatch: pytest.MonkeyPatch, agent, *, at_batch: int = 2) -> ImportJob:
    monkeypatch.setattr(batches, "BATCH_ROWS", 3)
    job = _job(agent)
    with monkeypatch.context() as m:
        _kill_at_batch(m, at_batch)
        with pytest.raises(Killed):
            import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def _resume(now: dt.datetime, capture) -> int:
    clock.freeze(now)
    with capture(execute=True):
        return lease.import_jobs_resume()


def _told() -> dict[str, tuple[int, int]]:
    return {
        n.recipient.username: (n.data["count"], n.data["serious"])
        for n in Notification.objects.filter(verb="complaints_imported")
    }


def _as_one_run_would_have_ended(job: ImportJob, routing) -> None:
    """The state the uninterrupted import of SEVEN_ROWS ends in (test_import_digest checks it row by row)."""
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count, job.error_count) == ("done", 7, 5, 2)
    assert [(line["row"], line["column"]) for line in job.report] == [(4, "客户编码"), (6, "标题")]
    assert sorted(Complaint.objects.values_list("title", flat=True)) == sorted(TITLES)
    assert Complaint.objects.filter(import_job_id=job.pk).count() == 5
    assert _told() == {"qe": (5, 2), "qm": (2, 2)}
    deliveries = Delivery.objects.order_by("channel")
    assert [(d.channel, d.recipient_id or d.endpoint_id) for d in deliveries] == [
        ("email", routing["qm"].pk),
        ("webhook", routing["robot"].pk),
    ]
    assert [d.payload["data"]["count"] for d in deliveries if d.channel == "webhook"] == [2]
    assert job.digest["sent"] is True


@pytest.fixture
def people(routing, qm):
    return {**routing, "qm": qm}


def test_a_killed_import_is_resumed_and_ends_as_one_run_would_have(
    agent, qe, people, frozen_now, monkeypatch, django_capture_on_commit_callbacks, client
):
    job = _killed_run(monkeypatch, agent, at_batch=2)
    # What the killed run left: its first batch committed, with the digest's counts so far, and no
    # email or post yet; the job still says it is running.
    assert (job.status, job.attempt, job.processed_rows, job.created_count) == ("running", 1, 3, 2)
    assert sorted(Complaint.objects.values_list("title", flat=True)) == ["包装破损", "杆部生锈"]
    assert _told() == {"qe": (2, 1), "qm": (1, 1)}
    assert job.digest["robots"] == {str(people["robot"].pk): [1, 1]} and job.digest["sent"] is False
    assert not Delivery.objects.exists()

    # Not before the stall limit: a slow batch is not a dead worker.
    assert _resume(frozen_now + dt.timedelta(seconds=599), django_capture_on_commit_callbacks) == 0
    assert _resume(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert job.attempt == 2
    _as_one_run_would_have_ended(job, people)
    assert lease.rows_saved(job) == {2, 3, 5, 7, 8}

    client.force_login(agent)
    page = client.get(f"/intake/import/{job.pk}/").content.decode()
    assert "后台任务进程在导入途中中断，第 2 次运行续接了它：此前已保存的行没有重复导入。" in page
    assert "查看导入创建的 5 条客诉" in page  # the created count includes the rows of the first run


def test_an_import_killed_after_its_digest_went_out_does_not_send_it_twice(
    agent, people, frozen_now, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(batches, "BATCH_ROWS", 3)
    job = _job(agent)
    real_hold = service.job_hold

    def hold(job: ImportJob, **fields: object) -> None:
        if fields.get("status") == "done":
            raise Killed  # between the digest's transaction and the job's last write
        real_hold(job, **fields)

    with monkeypatch.context() as m:
        m.setattr(service, "job_hold", hold)
        with pytest.raises(Killed):
            import_job_run(job_id=job.pk)
    assert Delivery.objects.count() == 2
    assert _resume(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    _as_one_run_would_have_ended(job, people)  # still the same two deliveries: none written again


def test_a_run_taken_over_writes_nothing_more_and_stops_quietly(
    agent, people, frozen_now, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(batches, "BATCH_ROWS", 3)
    job = _job(agent)
    real = batches._Writer.submit
    seen = {"batches": 0}

    def submit(writer: batches._Writer, prepared: object) -> None:
        seen["batches"] += 1
        if seen["batches"] == 2:
            # This run was thought stopped: the resumer sent the job again and run 2 claimed it.
            assert lease.job_claim(job.pk, resume=1)[1] is lease.Claim.RUN
        real(writer, prepared)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(batches._Writer, "submit", submit)
        returned = import_job_run(job_id=job.pk)
    # Its second batch was rolled back; it neither ended the job nor sent the digest.
    assert (returned.status, returned.attempt, returned.processed_rows) == ("running", 2, 3)
    assert Complaint.objects.count() == 2
    assert _told() == {"qe": (2, 1), "qm": (1, 1)}
    assert not Delivery.objects.exists()
    # A late copy of an earlier message changes nothing either.
    assert import_job_run(job_id=job.pk).attempt == 2
    assert import_job_run(job_id=job.pk, resume=1).attempt == 2

    # Run 2 then died before writing anything: the resumer gives the job to run 3, which finishes it.
    assert _resume(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert job.attempt == 3
    _as_one_run_would_have_ended(job, people)


def test_a_job_stopped_in_each_of_its_runs_is_failed_keeping_what_was_saved(
    agent, qe, people, frozen_now, monkeypatch, django_capture_on_commit_callbacks, client
):
    job = _killed_run(monkeypatch, agent, at_batch=2)
    ImportJob.objects.filter(pk=job.pk).update(attempt=lease.MAX_ATTEMPTS)  # as if runs 2 and 3 died too
    assert _resume(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempt, job.created_count) == ("failed", 4, 2)  # the 4th run gave it up
    assert job.failure == (
        "后台任务进程在此导入的 3 次运行中都中断了（被重启或内存不足），因此不再重试。"
        "这些运行已保存的内容予以保留。已保存 2 条客诉；请只重新导入不在其客诉列表中的行。"
    )
    # The people are told of the two complaints saved, once.
    assert _told() == {"qe": (2, 1), "qm": (1, 1)}
    deliveries = Delivery.objects.order_by("channel")
    assert [(d.channel, d.recipient_id or d.endpoint_id) for d in deliveries] == [
        ("email", people["qm"].pk),
        ("webhook", people["robot"].pk),
    ]
    assert deliveries[1].payload["data"]["count"] == 1
    assert _resume(frozen_now + 2 * STALL, django_capture_on_commit_callbacks) == 0
    assert import_job_run(job_id=job.pk, resume=3).status == "failed"  # a second copy of the message
    assert Delivery.objects.count() == 2
    client.force_login(agent)
    page = client.get(f"/intake/import/{job.pk}/").content.decode()
    assert "查看导入创建的 2 条客诉" in page


def test_a_queued_job_whose_message_was_lost_is_sent_again_once_per_stall_period(
    agent, people, frozen_now, django_capture_on_commit_callbacks
):
    job = _job(agent)
    assert job.heartbeat_at == frozen_now and job.attempt == 0
    assert _resume(frozen_now + dt.timedelta(seconds=599), django_capture_on_commit_callbacks) == 0
    clock.freeze(frozen_now + STALL)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert lease.import_jobs_resume() == 1
        assert lease.import_jobs_resume() == 0  # its heartbeat renewed: not sent twice
    for send in sent:
        send()  # the worker runs it
    job.refresh_from_db()
    assert job.attempt == 1
    _as_one_run_would_have_ended(job, people)
    assert _resume(frozen_now + 3 * STALL, django_capture_on_commit_callbacks) == 0
    # The worker's beat runs the resumer every minute.
    entry = settings.CELERY_BEAT_SCHEDULE["imports-resume"]
    assert entry["task"] == tasks.import_jobs_resume_task.name and entry["schedule"] == 60.0


def _customers_csv(n: int) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([["客户编码", "客户名称"], *[[f"R{i:03}", f"客户{i}"] for i in range(n)]])
    return buf.getvalue().encode("utf-8-sig")


def test_a_killed_master_data_import_is_run_again_from_the_first_row(
    frozen_now, monkeypatch, django_capture_on_commit_callbacks, client
):
    admin = user_make("boss", roles.ADMINISTRATOR)
    data = _customers_csv(7)
    job = import_job_create(user=admin, kind="customers", name="客户.csv", data=data, queue=False)
    real = service.HANDLERS["customers"]
    seen = {"rows": 0}

    def handler(row: dict[str, str], **kwargs: object) -> bool:
        seen["rows"] += 1
        if seen["rows"] == 5:
            raise Killed
        return real(row, **kwargs)

    monkeypatch.setattr(service, "PROGRESS_EVERY", 2)
    with monkeypatch.context() as m:
        m.setitem(service.HANDLERS, "customers", handler)
        with pytest.raises(Killed):
            import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, Customer.objects.filter(code__startswith="R").count()) == (
        "running",
        4,
        4,
    )
    assert _resume(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempt, job.processed_rows) == ("done", 2, 7)
    assert (job.created_count, job.updated_count, job.error_count) == (3, 4, 0)
    assert Customer.objects.filter(code__startswith="R").count() == 7
    client.force_login(admin)
    page = client.get(f"/intake/import/{job.pk}/").content.decode()
    assert "第 2 次运行从第一行起续接了它：此前已保存的行以相同的值再次保存，计为更新。" in page


def test_jobs_started_before_the_lease_count_one_run(agent, frozen_now):
    migration = importlib.import_module("closeloop.intake.migrations.0002_import_job_lease")
    made = {
        status: ImportJob.objects.create(
            kind="complaints", original_name="x.csv", file_format="csv", created_by=agent, status=status
        )
        for status in ("queued", "running", "done", "failed")
    }
    migration.runs_started(apps, None)
    assert {s: ImportJob.objects.get(pk=j.pk).attempt for s, j in made.items()} == {
        "queued": 0,
        "running": 1,
        "done": 1,
        "failed": 1,
    }
    # The running one has no heartbeat: its worker stopped before the upgrade, and it is resumed.
    assert [j.pk for j in lease.jobs_stalled(frozen_now)] == [made["queued"].pk, made["running"].pk]


def test_the_page_of_a_job_with_no_progress_says_when_it_will_be_resumed(agent, people, frozen_now, client):
    job = _job(agent)
    ImportJob.objects.filter(pk=job.pk).update(status="running", attempt=1, heartbeat_at=frozen_now)
    client.force_login(agent)
    clock.freeze(frozen_now + dt.timedelta(seconds=119))  # a live run may pause (counting a large file)
    assert 'id="import-quiet"' not in client.get(f"/intake/import/{job.pk}/").content.decode()
    clock.freeze(frozen_now + dt.timedelta(minutes=3))
    page = client.get(f"/intake/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    # 10:00 + the 10-minute stall limit + the resumer's minute, in the user's time zone.
    assert "自 10:00 起没有进展。如果后台任务进程已停止，任务会在 10:11 前自动重新开始。" in page
