"""An import whose worker is killed half-way is finished by another worker — a real Celery worker process
on the real Redis and PostgreSQL, killed with SIGKILL while it writes the complaint batches.

The killed worker's batch in flight is rolled back by PostgreSQL; the job stays ``running`` with no
heartbeat. Once the stall limit (3 s here) has passed, the resumer sends the job again and a second
worker takes it over: it skips the rows already saved and ends the job with every row saved once and
one digest notification counting them all. Runs in the PostgreSQL leg of .ci/run (CLOSELOOP_REDIS_URL
set).
"""

from __future__ import annotations

import csv
import io
import os
import signal
import time

import pytest

from closeloop.core.tests.test_production_stack import _prod_env, redis_url  # noqa: F401
from closeloop.core.tests.worker_processes import wait_for, worker_processes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 6000  # 12 batches: long enough to be killed between the first and the last


def _file() -> bytes:
    buf = io.StringIO(newline="")
    rows = [["客户编码", "标题", "问题描述"], *[["C001", f"导入{i:05}", "描述"] for i in range(ROWS)]]
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def test_a_worker_killed_mid_import_is_replaced_and_every_row_saved_once(
    tmp_path,
    agent,
    qe,
    customer,
    settings,
    redis_url,  # noqa: F811
):
    from closeloop.complaints.models import AssignmentRule, Complaint
    from closeloop.intake.importing import lease
    from closeloop.intake.importing.service import import_job_create
    from closeloop.intake.models import ImportJob
    from closeloop.notifications.models import Notification

    AssignmentRule.objects.create(order=1, name="全部→陈工", owner=qe, department=qe.department)
    settings.CLOSELOOP = {**settings.CLOSELOOP, "JOB_STALL_SECONDS": 3}
    env = _prod_env(tmp_path)
    env["CLOSELOOP_JOB_STALL_SECONDS"] = "3"
    with worker_processes(redis_url, env, tmp_path / "workers.log") as start_worker:
        first = start_worker(f"import-a-{os.getpid()}@%h")
        # Committed (transactional test): on commit the job is queued on Redis for the first worker.
        job = import_job_create(user=agent, kind="complaints", name="大批.csv", data=_file())

        def half_way() -> bool:
            done = ImportJob.objects.get(pk=job.pk).processed_rows
            return 1000 <= done < ROWS - 1000

        wait_for(half_way, 120, "the first worker to be half-way through the import")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        job.refresh_from_db()
        saved = Complaint.objects.filter(import_job_id=job.pk).count()
        assert (job.status, job.attempt) == ("running", 1)
        assert 1000 <= saved < ROWS and saved % 500 == 0  # whole batches only: the one in flight rolled back

        start_worker(f"import-b-{os.getpid()}@%h")
        assert lease.import_jobs_resume() == 0  # not stalled yet
        time.sleep(3.5)
        assert lease.import_jobs_resume() == 1
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == "done", 180, "the second worker to finish"
        )
        job.refresh_from_db()
        assert (job.status, job.attempt, job.created_count, job.processed_rows) == ("done", 2, ROWS, ROWS)
        assert job.error_count == 0
        titles = list(Complaint.objects.filter(import_job_id=job.pk).values_list("title", flat=True))
        assert len(titles) == ROWS and len(set(titles)) == ROWS
        digest = Notification.objects.get(verb="complaints_imported")
        assert (digest.recipient_id, digest.data["count"]) == (qe.pk, ROWS)
        assert job.digest["sent"] is True
