"""What one import file may cost is bounded before it is read: a workbook part that declares more
unpacked bytes than its limit, a row or cell reference past Excel's last, a file of more data rows than
``CLOSELOOP["IMPORT_MAX_ROWS"]`` (or a CSV past Excel's last line) is refused naming the field, before any
row is written, and the reader stops at the first thing over the limit instead of reading on."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from closeloop.complaints.models import Complaint
from closeloop.core.errors import ValidationFailed
from closeloop.intake.importing import readers, xlsx
from closeloop.intake.importing.readers import read_sheet
from closeloop.intake.models import ImportJob
from closeloop.intake.tests.test_import import ZH_HEADERS
from closeloop.intake.tests.test_import import xlsx as workbook_bytes
from closeloop.intake.tests.test_xlsx_reader import MAIN, _workbook

HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>客户编码</t></is></c></row>'


def _refused(call: Any, *args: Any, **kwargs: Any) -> str:
    """The one message ``call`` refuses with, under the field ``file``, in English."""
    with translation.override("en"):
        with pytest.raises(ValidationFailed) as exc:
            call(*args, **kwargs)
        assert list(exc.value.fields) == ["file"]
        (message,) = exc.value.fields["file"]
        return str(message)  # a lazy text: read while English is active


@pytest.mark.parametrize(
    ("limit", "part"),
    [
        ("SHEET_MAX_BYTES", "xl/worksheets/data.xml"),
        ("STRINGS_MAX_BYTES", "xl/sharedStrings.xml"),
        ("PART_MAX_BYTES", "xl/styles.xml"),
    ],
)
def test_a_part_declaring_more_than_its_limit_is_refused_before_it_is_read(monkeypatch, limit, part):
    # The styles are the largest of the parts read whole, so the limit lowered to their size passes the
    # others.
    data = _workbook(HEADER_ROW, shared="<si><t>x</t></si>" * 50, styles="<cellXfs/>" * 200)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        size = z.getinfo(part).file_size
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def watched(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(name)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", watched)
    monkeypatch.setattr(xlsx, limit, size)  # exactly at the limit: read
    assert read_sheet(data, "xlsx").headers == ["客户编码"]
    assert part in opened
    opened.clear()
    monkeypatch.setattr(xlsx, limit, size - 1)  # one byte over: refused, the part never opened
    message = _refused(read_sheet, data, "xlsx")
    assert message == "The workbook unpacks to more than an import may read; split it into smaller files."
    assert part not in opened


def test_a_zip_bomb_sheet_is_refused_without_unpacking_it(monkeypatch):
    # A sheet one byte over the limit (lowered to 64 MB for the test's speed; the mechanism is the
    # same at 1 GB) compresses to a few hundred kilobytes. The reader must refuse it from the zip's
    # directory alone, unpacking none of it.
    monkeypatch.setattr(xlsx, "SHEET_MAX_BYTES", 64 << 20)
    buf = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
    total = xlsx.SHEET_MAX_BYTES + 1
    plain = _workbook(HEADER_ROW)
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "xl/worksheets/data.xml":
                z.writestr(info.filename, src.read(info.filename))
        with z.open("xl/worksheets/data.xml", "w", force_zip64=True) as fh:
            head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
            fh.write(head)
            written = len(head)
            while written + len(row) <= total:
                fh.write(row)
                written += len(row)
            fh.write(b" " * (total - written))
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    read: list[int] = []
    real_read = zipfile.ZipExtFile.read

    def counted(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        out = real_read(self, n)
        read.append(len(out))
        return out

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    message = _refused(read_sheet, data, "xlsx")
    assert message.startswith("The workbook unpacks to more than an import may read")
    assert sum(read) < 1024 * 1024  # the small parts only


@pytest.mark.parametrize(
    "rows",
    [
        HEADER_ROW + '<row r="1048577"><c r="A1048577"><v>1</v></c></row>',
        HEADER_ROW + '<row r="99999999999999"><c><v>1</v></c></row>',
        HEADER_ROW + '<row r="2"><c r="XFE2"><v>1</v></c></row>',
        HEADER_ROW + '<row r="2"><c r="ZZZZZZZZZZZZZZZZ2"><v>1</v></c></row>',
    ],
    ids=["row past 1048576", "row number of 14 digits", "column past XFD", "column of 16 letters"],
)
def test_a_reference_past_excels_last_row_or_column_is_refused_as_damage(rows):
    sheet = read_sheet(_workbook(rows), "xlsx")
    message = _refused(sheet.count)
    assert message == "The workbook could not be read; it may be damaged."


def test_excels_last_row_and_column_are_read():
    rows = HEADER_ROW + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>末</t></is></c></row>'
    count, last = 0, []
    for count, row in enumerate(xlsx.open_rows(lambda: io.BytesIO(_workbook(rows))), start=1):  # noqa: B007
        last = row
    assert count == 1_048_576
    assert len(last) == 16_384 and last[-1] == "末"


def _csv(data_rows: int, blank_after: int = 0) -> bytes:
    lines = ["客户编码,标题"] + [f"C001,标题{i}" for i in range(data_rows)] + [""] * blank_after
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_count_refuses_one_data_row_over_the_limit_and_stops_there(monkeypatch, fmt):
    def data(rows: int) -> bytes:
        if fmt == "csv":
            return _csv(rows)
        return workbook_bytes([["客户编码", "标题"], *[["C001", f"标题{i}"] for i in range(rows)]])

    assert read_sheet(data(5), fmt, max_rows=5).count() == 5
    sheet = read_sheet(data(40), fmt, max_rows=5)
    seen: list[int] = []
    real = sheet._source
    monkeypatch.setattr(sheet, "_source", lambda: (seen.append(1) or row for row in real()))
    message = _refused(sheet.count)
    assert message == "The file has more than 5 rows; split it into files of at most 5 rows."
    assert len(seen) == 6  # it stopped at the sixth data row, not at the fortieth


def test_blank_rows_do_not_count_against_the_limit_but_a_csv_past_excels_last_line_is_refused(
    monkeypatch,
):
    monkeypatch.setattr(readers, "MAX_SHEET_ROW", 10)
    assert read_sheet(_csv(3, blank_after=6), "csv", max_rows=3).count() == 3  # line 10: the last
    message = _refused(read_sheet(_csv(3, blank_after=7), "csv", max_rows=3).count)
    assert message == "The file has more than 9 rows; split it into files of at most 9 rows."


@pytest.mark.django_db
def test_an_import_over_the_row_limit_fails_whole_with_the_reason_in_the_users_language(
    client, agent, order, settings, django_capture_on_commit_callbacks
):
    settings.CLOSELOOP = {**settings.CLOSELOOP, "IMPORT_MAX_ROWS": 2}
    row = ["C001", "", "电话", "2026-06-10 09:30", "螺丝刀生锈", "杆部生锈", "严重", "紧急", 50]
    client.force_login(agent)
    for rows, status in ((2, "done"), (3, "failed")):
        data = workbook_bytes([ZH_HEADERS, *[row] * rows])
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post(
                "/intake/import/",
                {"kind": "complaints", "file": SimpleUploadedFile("c.xlsx", data)},
            )
        assert resp.status_code == 302
        job = ImportJob.objects.latest("pk")
        assert job.status == status
    assert job.failure == "文件超过 2 行；请拆分为每个不超过 2 行的文件。"
    assert (job.total_rows, job.created_count) == (0, 0)
    assert Complaint.objects.filter(title="螺丝刀生锈").count() == 2  # the first job's only


@pytest.mark.django_db
def test_an_upload_whose_workbook_unpacks_too_large_is_refused_at_once(client, agent, monkeypatch):
    monkeypatch.setattr(xlsx, "SHEET_MAX_BYTES", 100)
    data = workbook_bytes([ZH_HEADERS, ["C001", "", "电话", "2026-06-10 09:30", "标题", "描述", "", "", 1]])
    client.force_login(agent)
    resp = client.post("/intake/import/", {"kind": "complaints", "file": SimpleUploadedFile("c.xlsx", data)})
    assert resp.status_code == 422
    assert "工作簿解压后超过导入允许的大小；请拆分为较小的文件。" in resp.content.decode()
    assert not ImportJob.objects.exists()
