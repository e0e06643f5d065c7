"""The complaint import in batches: rows across batch boundaries, the report's order, progress, the
database refusing a row, and reading the file as a stream."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.customers.models import Contact
from closeloop.intake.importing import batches
from closeloop.intake.importing.readers import read_sheet
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportJob

pytestmark = pytest.mark.django_db
HEADERS = ["客户编码", "销售订单号", "标题", "问题描述", "数量", "严重程度", "联系人", "联系电话"]


def _csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([HEADERS, *rows])
    return buf.getvalue().encode("utf-8-sig")


def _run(user, data: bytes) -> ImportJob:
    job = import_job_create(user=user, kind="complaints", name="c.csv", data=data, queue=False)
    return import_job_run(job_id=job.pk)


def test_rows_across_batches_keep_file_order_contacts_and_the_report(
    agent, customer, order, frozen_now, monkeypatch
):
    monkeypatch.setattr(batches, "BATCH_ROWS", 3)
    rows: list[list[object]] = [
        ["C001", "", "杆部生锈", "描述", 5, "严重", "周工", "13500000000"],
        ["NOPE", "", "未知客户", "描述", 1, "", "", ""],
        ["C001", "", "", "没有标题", "五十", "巨大", "", ""],
        ["", "SO-2026-0001", "包装破损", "纸箱破损", 2, "", "周工", "13500000000"],  # contact from row 2
        [],  # a blank line: skipped, but counted in the row numbers
        ["C001", "", "再次投诉", "描述", 3, "", "周工", "13500000000"],
        ["C001", "", "最后一行", "描述", "", "", "", ""],
    ]
    job = _run(agent, _csv(rows))
    assert (job.status, job.total_rows, job.processed_rows) == ("done", 6, 6)
    assert (job.created_count, job.updated_count, job.error_count) == (4, 0, 2)
    assert [(r["row"], r["column"]) for r in job.report] == [
        (3, "客户编码"),
        (4, "标题"),
        (4, "数量"),
        (4, "严重程度"),
    ]
    # Numbers follow the file's order across batches; one contact for the three rows that name it.
    titles = list(Complaint.objects.order_by("number").values_list("title", flat=True))
    assert titles == ["杆部生锈", "包装破损", "再次投诉", "最后一行"]
    assert Contact.objects.filter(name="周工").count() == 1
    assert set(Complaint.objects.exclude(title="最后一行").values_list("contact__name", flat=True)) == {
        "周工"
    }
    rows_recorded = sorted(e.data["row"] for e in ComplaintEvent.objects.filter(verb="created"))
    assert rows_recorded == [2, 5, 7, 8]


@pytest.mark.postgres
def test_a_row_the_database_refuses_is_reported_and_the_rest_of_its_batch_saved(agent, customer, frozen_now):
    # No rule limits the quantity, but PostgreSQL's integer column does: the batch is refused as a whole,
    # then run again row by row.
    rows: list[list[object]] = [
        ["C001", "", "第一行", "描述", 1, "", "吴工", ""],
        ["C001", "", "数量过大", "描述", 10**11, "", "郑工", ""],
        ["C001", "", "第三行", "描述", 3, "", "", ""],
    ]
    job = _run(agent, _csv(rows))
    assert (job.created_count, job.error_count) == (2, 1)
    assert job.report == [{"row": 3, "column": "", "reason": "该行无法保存，请检查其中的值。"}]
    assert sorted(Complaint.objects.values_list("title", flat=True)) == ["第一行", "第三行"]
    assert list(Contact.objects.filter(name__in=["吴工", "郑工"]).values_list("name", flat=True)) == ["吴工"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_sheet_is_counted_then_streamed_with_the_row_numbers_excel_shows(fmt):
    table: list[list[object]] = [
        ["标题", "问题描述"],
        [],
        ["a", 1.0],
        ["", ""],
        ["", "b"],
        [" ", "\u3000"],
        ["", 0],
    ]
    if fmt == "xlsx":
        wb = Workbook()
        for r in table:
            wb.active.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    else:
        data = "\n".join(",".join(str(v) for v in r) for r in table).encode()
    sheet = read_sheet(data, fmt)
    assert sheet.headers == ["标题", "问题描述"]
    assert sheet.count() == 3  # blank text is blank; a zero is a value
    one = 1 if fmt == "xlsx" else "1.0"  # a typed number cell, or the text written
    zero = 0 if fmt == "xlsx" else "0"
    assert list(sheet.rows()) == [
        (3, {"标题": "a", "问题描述": one}),
        (5, {"标题": "", "问题描述": "b"}),
        (7, {"标题": "", "问题描述": zero}),
    ]
    assert list(sheet.rows()) == list(sheet.rows())  # read again from the start


def test_a_stored_csv_is_read_from_storage_in_pieces_never_whole(agent, customer, frozen_now, monkeypatch):
    # The worker opens the upload anew each time it reads the rows (the encoding check, the count, the
    # import) and reads it a piece at a time: a 50 MB file is never held in its memory.
    from django.core.files.storage import FileSystemStorage

    from closeloop.intake.importing import readers

    monkeypatch.setattr(readers, "DECODE_CHUNK", 64 * 1024)
    rows: list[list[object]] = [["C001", "", f"生锈 {i}", "描述" * 40, 5, "", "", ""] for i in range(3000)]
    data = _csv(rows)
    job = import_job_create(user=agent, kind="complaints", name="c.csv", data=data, queue=False)
    reads: list[int] = []
    opened: list[str] = []
    real_open = FileSystemStorage.open

    def recording_open(self, name, mode="rb"):  # type: ignore[no-untyped-def]
        f = real_open(self, name, mode)
        opened.append(name)
        real_read = f.file.read

        def read(size=-1):  # type: ignore[no-untyped-def]
            out = real_read(size)
            reads.append(len(out))
            return out

        f.file.read = read
        return f

    monkeypatch.setattr(FileSystemStorage, "open", recording_open)
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.created_count, job.error_count) == ("done", 3000, 0)
    assert len(data) > 10 * 64 * 1024 and len(opened) >= 3
    assert max(reads) <= 64 * 1024


def test_written_in_this_thread_the_search_index_is_left_to_the_writes(agent, customer, monkeypatch):
    """Without a writer thread (SQLite, or inside a transaction) there is no wait to use: nothing merges
    the search index's pending list."""
    calls: list[str] = []
    monkeypatch.setattr(batches, "BATCH_ROWS", 2)
    monkeypatch.setattr(batches, "MERGE_EVERY", 1)
    monkeypatch.setattr(batches, "gin_pending_merge", lambda index: calls.append(index))
    rows: list[list[object]] = [["C001", "", f"导入{i}", "描述", i, "", "", ""] for i in range(5)]
    job = _run(agent, _csv(rows))
    assert (job.status, job.created_count) == ("done", 5)
    assert calls == []
