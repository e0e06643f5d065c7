"""An export whose worker stops half-way is written again by a new run (``core.leases``): after
``JOB_STALL_SECONDS`` without a heartbeat the periodic resender sends it to the worker again, and the
run that takes it over writes the file from the start. A run that was only thought stopped keeps no
file; an export stopped in each of three runs is failed with the reason; a queued export whose message
was lost (a ledger or an audit pack) is sent again, each to its own task.

A worker's death is played by an exception the export does not catch (as nothing runs after a kill)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from closeloop.core import clock, leases
from closeloop.reports import export_leases, exports, pack_jobs, tasks
from closeloop.reports.models import ExportJob
from closeloop.reports.tests.ledger_data import ledger_complaints

pytestmark = pytest.mark.django_db
STALL = dt.timedelta(seconds=601)


class Killed(BaseException):
    """The worker's death: nothing in the export catches it."""


@pytest.fixture
def seeded(agent, qe, customer, product):  # type: ignore[no-untyped-def]
    return ledger_complaints(agent, qe)


def _queued(qm) -> ExportJob:
    return exports.export_job_create(
        user=qm, kind="ledger", params={"status": ["closed", "new"]}, inline_max_rows=0
    )


def _resend(now: dt.datetime, capture) -> int:
    clock.freeze(now)
    with capture(execute=True):
        return export_leases.exports_resume()


def _files() -> list[str]:
    """Every export file in storage (MEDIA_ROOT is this test's own)."""
    root = Path(settings.MEDIA_ROOT) / "exports"
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def _rows(job: ExportJob) -> int:
    with job.file.open("rb") as fh:
        return load_workbook(fh).active.max_row - 2  # the title line and the headers


def test_a_killed_export_is_written_again_by_a_new_run(
    seeded, qm, frozen_now, monkeypatch, django_capture_on_commit_callbacks, client
):
    job = _queued(qm)
    real = exports.ledger_write

    def dies_after_writing(**kwargs):  # type: ignore[no-untyped-def]
        real(**kwargs)
        raise Killed  # the rows written, the file never kept

    with monkeypatch.context() as m:
        m.setattr(exports, "ledger_write", dies_after_writing)
        with pytest.raises(Killed):
            exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempt, job.total_rows, bool(job.file)) == ("running", 1, 3, False)

    client.force_login(qm)
    clock.freeze(frozen_now + dt.timedelta(minutes=3))
    page = client.get(f"/reports/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "自 10:00 起没有进展。如果后台任务进程已停止，任务会在 10:11 前自动重新开始。" in page

    assert _resend(frozen_now + dt.timedelta(seconds=599), django_capture_on_commit_callbacks) == 0
    assert _resend(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempt, job.processed_rows) == ("done", 2, 3)
    assert _rows(job) == 3
    assert _resend(frozen_now + 2 * STALL, django_capture_on_commit_callbacks) == 0


def test_a_run_taken_over_keeps_no_file_and_leaves_the_job_to_the_new_run(
    seeded, qm, frozen_now, monkeypatch, django_capture_on_commit_callbacks, client
):
    job = _queued(qm)
    real = exports.ledger_write

    def taken_over_while_writing(**kwargs):  # type: ignore[no-untyped-def]
        real(**kwargs)
        # Thought stopped, this run was sent again and the new run claimed the job.
        assert leases.claim(ExportJob.objects.all(), job.pk, resume=1)[1] is leases.Claim.RUN

    with monkeypatch.context() as m:
        m.setattr(exports, "ledger_write", taken_over_while_writing)
        returned = exports.export_job_run(job_id=job.pk)
    assert (returned.status, returned.attempt, bool(returned.file)) == ("running", 2, False)
    assert _files() == []  # its file was deleted, not left behind in storage
    assert exports.export_job_run(job_id=job.pk, resume=1).attempt == 2  # a late copy changes nothing
    client.force_login(qm)
    page = client.get(f"/reports/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "后台任务进程在写入此导出时中断；第 2 次运行正在从头重新写入。" in page

    # The new run died before writing: run 3 writes the export.
    assert _resend(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("done", 3)
    assert _files() == [job.file.name.rsplit("/", 1)[1]] and _rows(job) == 3


def test_an_export_stopped_in_each_of_its_runs_is_failed_with_the_reason(
    seeded, qm, frozen_now, django_capture_on_commit_callbacks
):
    job = _queued(qm)
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempt=3, heartbeat_at=frozen_now)
    assert _resend(frozen_now + STALL, django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempt, bool(job.file)) == ("failed", 4, False)  # the 4th run gave it up
    assert exports.export_job_run(job_id=job.pk, resume=3).attempt == 4  # a second copy changes nothing
    assert job.failure == (
        "后台任务进程在此导出的 3 次运行中都中断了（被重启或内存不足），因此不再重试。"
        "请重新导出；筛选条件越窄，导出越小。"
    )


def test_queued_exports_whose_message_was_lost_are_sent_again_each_to_its_task(
    seeded, qm, frozen_now, django_capture_on_commit_callbacks
):
    ledger = _queued(qm)
    pack = pack_jobs.audit_pack_job_create(user=qm, complaint=seeded[0], language="en")
    assert ledger.heartbeat_at == pack.heartbeat_at == frozen_now
    assert _resend(frozen_now + STALL, django_capture_on_commit_callbacks) == 2
    ledger.refresh_from_db()
    pack.refresh_from_db()
    assert (ledger.status, ledger.attempt, pack.status, pack.attempt) == ("done", 1, "done", 1)
    assert ledger.file.name.endswith(".xlsx") and pack.file.name.endswith(".zip")
    entry = settings.CELERY_BEAT_SCHEDULE["exports-resume"]
    assert entry["task"] == tasks.exports_resume.name and entry["schedule"] == 60.0


def test_exports_started_before_the_lease_count_one_run(qm, frozen_now):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("closeloop.reports.migrations.0005_export_job_lease")
    made = {
        status: ExportJob.objects.create(kind="ledger", created_by=qm, created_at=frozen_now, status=status)
        for status in ("queued", "running", "done", "expired")
    }
    migration.runs_started(apps, None)
    assert {s: ExportJob.objects.get(pk=j.pk).attempt for s, j in made.items()} == {
        "queued": 0,
        "running": 1,
        "done": 1,
        "expired": 1,
    }
    # Neither has a heartbeat: the running one lost its worker before the upgrade, and both are sent.
    assert [j.pk for j in leases.stalled(ExportJob.objects.all(), frozen_now)] == [
        made["queued"].pk,
        made["running"].pk,
    ]
