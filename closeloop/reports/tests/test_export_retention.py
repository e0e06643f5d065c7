"""Export files are deleted after ``EXPORT_KEEP_DAYS``; the job stays on record, marked expired, and its
page says to run the export again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from closeloop.core import clock
from closeloop.reports import exports
from closeloop.reports.export_retention import exports_expire
from closeloop.reports.models import ExportJob, ExportStatus
from closeloop.reports.tasks import exports_expire as exports_expire_task
from closeloop.reports.tests.ledger_data import ledger_complaints

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(agent, qe, customer, product):  # type: ignore[no-untyped-def]
    return ledger_complaints(agent, qe)


def _written(user, days_ago: float) -> ExportJob:  # type: ignore[no-untyped-def]
    job = exports.export_job_create(user=user, kind="ledger", params={})
    assert job.status == ExportStatus.DONE and default_storage.exists(job.file.name)
    ExportJob.objects.filter(pk=job.pk).update(finished_at=clock.now() - dt.timedelta(days=days_ago))
    return ExportJob.objects.get(pk=job.pk)


def test_files_older_than_the_keeping_time_are_deleted_and_their_jobs_kept(
    seeded, qm, django_capture_on_commit_callbacks
):
    keep = settings.CLOSELOOP["EXPORT_KEEP_DAYS"]
    old, recent = _written(qm, keep + 0.01), _written(qm, keep - 0.01)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports_expire() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.file.name) == (ExportStatus.EXPIRED, "")
    assert old.created_by == qm and old.params == {} and old.finished_at is not None  # still on record
    assert not default_storage.exists(f"exports/{old.created_at:%Y/%m}/ledger-{old.pk}.xlsx")
    assert recent.status == ExportStatus.DONE and default_storage.exists(recent.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports_expire() == 0  # nothing left to do; the expired job is not touched again


def test_the_file_is_deleted_only_once_the_job_is_marked(seeded, qm, django_capture_on_commit_callbacks):
    job = _written(qm, 30)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert exports_expire() == 1
    # Marked, not yet deleted: the deletion waits for the commit.
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.EXPIRED
    assert default_storage.exists(job.file.name)
    for callback in callbacks:
        callback()
    assert not default_storage.exists(job.file.name)


def test_the_keeping_time_is_a_setting(seeded, qm, settings, django_capture_on_commit_callbacks):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "EXPORT_KEEP_DAYS": 30}
    job = _written(qm, 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports_expire() == 0
        assert exports_expire(now=clock.now() + dt.timedelta(days=21)) == 1
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.EXPIRED


def test_an_expired_export_s_page_says_to_run_it_again(
    seeded, qm, client, django_capture_on_commit_callbacks
):
    job = _written(qm, 30)
    with django_capture_on_commit_callbacks(execute=True):
        exports_expire_task.apply()  # the worker's job, run as the beat schedule runs it
    client.force_login(qm)  # reads Chinese
    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 302 and download["Location"] == reverse(
        "reports:export_job", args=[job.pk]
    )
    page = client.get(download["Location"]).content.decode()
    assert 'id="export-expired"' in page and "export-download" not in page
    assert f"{settings.CLOSELOOP['EXPORT_KEEP_DAYS']} 天后删除" in page


def test_the_worker_runs_it_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["exports-expire"]
    assert entry == {"task": "closeloop.reports.tasks.exports_expire", "schedule": 3600.0}
    assert exports_expire_task.name == entry["task"]
