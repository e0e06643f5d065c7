"""The complaint import on PostgreSQL outside a test transaction, where each batch is written by a worker
thread on its own connection while the next one is validated: same results as the serial run, and
numbers that stay distinct and gap-free beside concurrent single creates."""

from __future__ import annotations

import threading

import pytest

from closeloop.complaints.models import Complaint
from closeloop.customers.models import Contact
from closeloop.intake import bulk
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.importing import batches
from closeloop.intake.services import complaint_intake
from closeloop.intake.tests.test_import_batches import _csv, _run

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def writer_threads(monkeypatch):
    """The names of the threads that wrote batches."""
    names: list[str] = []
    write = bulk.IntakeBatch.write

    def spy(self, **kwargs):  # type: ignore[no-untyped-def]
        names.append(threading.current_thread().name)
        return write(self, **kwargs)

    monkeypatch.setattr(bulk.IntakeBatch, "write", spy)
    return names


def test_batches_written_by_the_worker_thread_see_the_contacts_of_the_batch_before(
    agent, customer, order, frozen_now, monkeypatch, writer_threads
):
    monkeypatch.setattr(batches, "BATCH_ROWS", 2)
    rows: list[list[object]] = [
        ["C001", "", "第一行", "描述", 1, "", "冯工", "13300000000"],
        ["NOPE", "", "未知客户", "描述", 1, "", "", ""],
        ["C001", "", "第三行", "描述", 3, "", "冯工", "13300000000"],  # the contact of row 2, a batch before
        ["", "SO-2026-0001", "第四行", "描述", 4, "", "冯工", "13300000000"],
        ["C001", "", "第五行", "描述", 5, "", "冯工", ""],
    ]
    job = _run(agent, _csv(rows))
    assert (job.status, job.created_count, job.error_count, job.processed_rows) == ("done", 4, 1, 5)
    assert [(r["row"], r["column"]) for r in job.report] == [(3, "客户编码")]
    assert Contact.objects.filter(name="冯工").count() == 1
    assert Complaint.objects.filter(contact__name="冯工").count() == 4
    titles = list(Complaint.objects.order_by("number").values_list("title", flat=True))
    assert titles == ["第一行", "第三行", "第四行", "第五行"]
    assert writer_threads and all(name.startswith("import") for name in writer_threads)


def test_numbers_stay_distinct_and_gap_free_beside_concurrent_creates(agent, customer, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 25)
    rows: list[list[object]] = [["C001", "", f"导入{i}", "描述", i, "", "", ""] for i in range(150)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def create(k: int) -> None:
        from django.db import connection

        try:
            start.wait(timeout=30)
            for i in range(10):
                draft = ComplaintDraft(channel="api", customer="C001", title=f"单建{k}-{i}", description="d")
                complaint_intake(draft=draft, actor=agent)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    start.wait(timeout=30)
    job = _run(agent, _csv(rows))
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and job.created_count == 150
    numbers = sorted(Complaint.objects.values_list("number", flat=True))
    assert len(numbers) == 180
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, 181))


def test_a_run_taken_over_while_its_writer_thread_writes_rolls_that_batch_back(
    agent, customer, order, frozen_now, monkeypatch, writer_threads
):
    # Another worker claims the job (on its own connection) while this run's writer thread is writing
    # its second batch: the batch is rolled back, the run stops without ending the job, and the run
    # that resumes it saves every row once.
    from datetime import timedelta

    from django.db import connection

    from closeloop.core import clock
    from closeloop.intake.importing import lease
    from closeloop.intake.importing.service import import_job_create, import_job_run
    from closeloop.intake.models import ImportJob

    monkeypatch.setattr(batches, "BATCH_ROWS", 2)
    rows: list[list[object]] = [["C001", "", f"第{i}行", "描述", i, "", "", ""] for i in range(1, 6)]
    job = import_job_create(user=agent, kind="complaints", name="c.csv", data=_csv(rows), queue=False)
    write = bulk.IntakeBatch.write
    claims: list[object] = []

    def claim_during_second_batch(self, **kwargs):  # type: ignore[no-untyped-def]
        done = write(self, **kwargs)
        if len(writer_threads) == 2:

            def claim() -> None:
                try:
                    claims.append(lease.job_claim(job.pk, resume=1)[1])
                finally:
                    connection.close()

            other = threading.Thread(target=claim)
            other.start()
            other.join(timeout=30)
        return done

    monkeypatch.setattr(bulk.IntakeBatch, "write", claim_during_second_batch)
    stopped = import_job_run(job_id=job.pk)
    assert claims == [lease.Claim.RUN]
    assert (stopped.status, stopped.attempt, stopped.processed_rows) == ("running", 2, 2)
    assert sorted(Complaint.objects.values_list("title", flat=True)) == ["第1行", "第2行"]

    monkeypatch.setattr(bulk.IntakeBatch, "write", write)
    clock.freeze(frozen_now + timedelta(seconds=601))
    assert lease.import_jobs_resume() == 1  # run 2 never wrote: run 3 gets the job, and finishes it
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.status, job.attempt, job.created_count, job.processed_rows) == ("done", 3, 5, 5)
    titles = sorted(Complaint.objects.values_list("title", flat=True))
    assert titles == [f"第{i}行" for i in range(1, 6)]


def test_the_validating_thread_merges_the_search_index_while_it_waits(agent, customer, monkeypatch):
    """Before every MERGE_EVERY-th wait for a write, the validating thread (not the writer) merges the
    search index's pending list; what the import saved is found by search as before."""
    from closeloop.complaints import listing

    monkeypatch.setattr(batches, "BATCH_ROWS", 2)
    monkeypatch.setattr(batches, "MERGE_EVERY", 2)
    calls: list[tuple[str, str, int | None]] = []
    merge = batches.gin_pending_merge

    def spy(index: str) -> int | None:
        pages = merge(index)
        calls.append((threading.current_thread().name, index, pages))
        return pages

    monkeypatch.setattr(batches, "gin_pending_merge", spy)
    rows: list[list[object]] = [["C001", "", f"漏油{i}", "变速箱漏油", i, "", "", ""] for i in range(9)]
    job = _run(agent, _csv(rows))
    assert (job.status, job.created_count) == ("done", 9)
    # Five batches, five waits: merged on the main thread before the second and the fourth.
    assert [(name, index) for name, index, _pages in calls] == [("MainThread", "cmp_search_tsv")] * 2
    assert all(pages is not None for _name, _index, pages in calls)
    found = listing.search_filter(Complaint.objects.all(), "漏油").count()
    assert found == 9


def test_a_refused_merge_is_not_tried_again(agent, customer, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 2)
    monkeypatch.setattr(batches, "MERGE_EVERY", 1)
    calls: list[str] = []

    def refused(index: str) -> int | None:
        calls.append(index)
        return None

    monkeypatch.setattr(batches, "gin_pending_merge", refused)
    rows: list[list[object]] = [["C001", "", f"导入{i}", "描述", i, "", "", ""] for i in range(5)]
    job = _run(agent, _csv(rows))
    assert (job.status, job.created_count) == ("done", 5)
    assert calls == ["cmp_search_tsv"]
