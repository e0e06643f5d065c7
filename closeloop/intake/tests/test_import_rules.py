"""Bulk import, the finer rules: formats and dates, time zones, master-data updates, failures, permissions."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zoneinfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.models import Complaint
from closeloop.customers.models import Contact, Customer
from closeloop.intake.importing.readers import parse_datetime_cell
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportJob

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(user, kind: str, data: bytes) -> ImportJob:
    """The management command's path: create without queueing, then run in this process."""
    job = import_job_create(user=user, kind=kind, name=f"{kind}.xlsx", data=data, queue=False)
    return import_job_run(job_id=job.pk)


@pytest.fixture
def admin(db):
    return user_make("boss", roles.ADMINISTRATOR)


def test_english_headers_codes_and_typed_excel_datetimes(agent, customer, frozen_now):
    job = run(
        agent,
        "complaints",
        xlsx(
            [
                ["customer", "Title", "description", "severity", "urgency", "channel", "received_at"],
                [
                    "C001",
                    "Leak",
                    "Oil leak at the seal",
                    "serious",
                    "urgent",
                    "email",
                    dt.datetime(2026, 6, 1, 8),
                ],
                [
                    "C001",
                    "Rust",
                    "Rust on shaft",
                    "minor",
                    "normal",
                    "phone",
                    46174.5,
                ],  # serial 2026-06-01 12:00
            ]
        ),
    )
    assert (job.created_count, job.error_count, job.report) == (2, 0, [])
    leak, rust = Complaint.objects.get(title="Leak"), Complaint.objects.get(title="Rust")
    assert (leak.severity, leak.urgency, leak.channel) == ("serious", "urgent", "email")
    assert leak.received_at == dt.datetime(2026, 6, 1, 8, tzinfo=SHANGHAI)
    assert rust.received_at == dt.datetime(2026, 6, 1, 12, tzinfo=SHANGHAI)


def test_received_at_is_read_in_the_importers_time_zone(agent, customer, frozen_now):
    agent.time_zone = "Europe/Berlin"
    agent.save()
    run(
        agent,
        "complaints",
        xlsx([["客户编码", "标题", "问题描述", "接收时间"], ["C001", "t", "d", "2026-06-01 08:00"]]),
    )
    berlin = dt.datetime(2026, 6, 1, 8, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert Complaint.objects.get().received_at == berlin


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-01T08:30:00+08:00", dt.datetime(2026, 6, 1, 8, 30, tzinfo=SHANGHAI)),
        ("2026/06/01 08:30", dt.datetime(2026, 6, 1, 8, 30)),
        ("2026-06-01", dt.datetime(2026, 6, 1)),
        (46174.25, dt.datetime(2026, 6, 1, 6)),
        ("yesterday", None),
        (7, None),  # a small number is a quantity typed in the wrong column, not a date
    ],
)
def test_datetime_cells(value, expected):
    assert parse_datetime_cell(value) == expected


def _datetime_by_formats(text: str) -> dt.datetime | None:
    """How text cells were read before ISO 8601 was tried first: three formats, then ISO 8601."""
    text = text.strip().replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-24 10:31",
        "2026-05-24 10:31:07",
        "2026-05-24",
        " 2026/05/24 10:31 ",
        "2026-5-4 9:05",
        "2026-05-24 1:2:3",
        "2026-05-24  10:31",
        "2026-05-24T10:31",
        "2026-05-24 10",
        "2026-05-24 10:31:00.5",
        "2026-05-24 10:31+08:00",
        "2026-05-24 10:31:07Z",
        "20260524",
        "2026-W21-1",
        "2026-02-30",
        "2026-05-24 24:00",
        "2026-05-24 10:31 extra",
        "yesterday",
    ],
)
def test_text_datetime_cells_read_as_the_formats_read_them(text):
    """ISO 8601 is tried first for speed: every text reads as it did with the formats first."""
    got, expected = parse_datetime_cell(text), _datetime_by_formats(text)
    assert got == expected
    assert getattr(got, "tzinfo", None) == getattr(expected, "tzinfo", None)


def test_bad_cells_are_named_in_the_users_language(agent, customer, frozen_now):
    job = run(
        agent,
        "complaints",
        xlsx(
            [
                ["客户编码", "标题", "问题描述", "接收时间", "数量", "问题类型", "联系人"],
                ["C001", "a", "d", "昨天", 1, "", ""],
                ["C001", "b", "d", "", "五十", "", ""],
                ["C001", "c", "d", "", 2, "不存在的类型", ""],
                ["C001", "d", "d", "", 3, "", "王" * 101],
                ["C001", "e", "d", "", 4, "锈蚀", "王经理"],  # category by its Chinese name
            ]
        ),
    )
    assert [(r["row"], r["column"]) for r in job.report] == [
        (2, "接收时间"),
        (3, "数量"),
        (4, "问题类型"),
        (5, "联系人"),
    ]
    assert "2026-11-22 14:05" in job.report[0]["reason"]
    ok = Complaint.objects.get()
    assert (ok.title, ok.category.code, ok.contact.name) == ("e", "quality-corrosion", "王经理")
    assert Contact.objects.filter(name__startswith="王王").count() == 0


def test_unknown_and_repeated_headers_are_reported_once(agent, customer, frozen_now):
    rows = [["客户编码", "标题", "问题描述", "备注", "title"]] + [
        ["C001", f"t{i}", "d", "x", "y"] for i in range(3)
    ]
    job = run(agent, "complaints", xlsx(rows))
    assert job.created_count == 3
    assert [(r["row"], r["column"]) for r in job.report] == [(1, "备注"), (1, "title")]
    assert Complaint.objects.filter(title="t0").exists()  # the first 标题 column wins


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".xlsx"),  # legacy .xls
        (b"%PDF-1.7\n\x01\x02\x03\x04binary", "CSV"),
        (b"", ""),
    ],
)
def test_non_spreadsheets_are_refused_with_a_clear_error(client, agent, data, message):
    client.force_login(agent)
    resp = client.post("/intake/import/", {"kind": "complaints", "file": SimpleUploadedFile("x.xlsx", data)})
    assert resp.status_code == 422 and 'id="file-errors"' in resp.content.decode()
    assert message in resp.content.decode()
    assert ImportJob.objects.count() == 0


def test_damaged_workbook_is_refused_not_a_server_error(client, agent):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not really a workbook")
    client.force_login(agent)
    resp = client.post(
        "/intake/import/", {"kind": "complaints", "file": SimpleUploadedFile("x.xlsx", buf.getvalue())}
    )
    assert resp.status_code == 422 and 'id="file-errors"' in resp.content.decode()


def test_job_without_required_headers_fails_with_a_clear_message(agent):
    # Upload refuses such files; a job whose stored file lacks them (e.g. created by other means) fails.
    job = ImportJob(kind="complaints", original_name="x.csv", file_format="csv", created_by=agent)
    job.file.save("import.csv", ContentFile("客户编码,备注\nC001,x\n".encode()), save=False)
    job.save()
    job = import_job_run(job_id=job.pk)
    assert job.status == "failed" and "标题" in job.failure and "问题描述" in job.failure
    assert job.finished_at is not None


def test_master_data_update_keeps_what_the_file_does_not_say(admin):
    run(
        admin,
        "customers",
        xlsx([["客户编码", "客户名称", "行业", "年销售额"], ["C301", "旧名", "汽车", 1000]]),
    )
    job = run(admin, "customers", xlsx([["客户编码", "客户名称", "地区"], ["C301", "新名", ""]]))
    assert (job.created_count, job.updated_count, job.error_count) == (0, 1, 0)
    c = Customer.objects.get(code="C301")
    assert (c.name, c.industry, c.annual_value, c.region) == ("新名", "汽车", 1000, "")


def test_contacts_import_creates_then_updates_by_customer_and_name(admin, customer):
    header = ["客户编码", "联系人", "职务", "联系电话", "邮箱"]
    job = run(
        admin,
        "contacts",
        xlsx([header, ["C001", "李工", "质量工程师", "13900001111", ""], ["NOPE", "x", "", "", ""]]),
    )
    assert (job.created_count, job.error_count) == (1, 1)
    assert job.report == [{"row": 3, "column": "客户编码", "reason": "没有编码为“NOPE”的客户。"}]
    job = run(admin, "contacts", xlsx([header, ["C001", "李工", "", "", "li@example.cn"]]))
    li = Contact.objects.get(customer=customer, name="李工")
    assert (job.updated_count, li.title, li.phone, li.email) == (
        1,
        "质量工程师",
        "13900001111",
        "li@example.cn",
    )


def test_order_rows_report_bad_line_and_dates_on_their_columns(admin, customer, product):
    header = ["销售订单号", "客户编码", "订单日期", "行号", "产品编码", "数量", "发货单号", "发货日期"]
    job = run(
        admin,
        "orders",
        xlsx(
            [
                header,
                ["SO-9", "C001", "2026-05-01", "一", "P001", 10, "", ""],
                ["SO-9", "C001", "五月", 1, "P001", 10, "", ""],
                ["SO-9", "C001", "2026-05-01", 1, "P001", 0, "SH-9", ""],
                ["SO-9", "C001", "2026-05-01", 2, "P001", 10, "SH-9", "2026-05-03"],
            ]
        ),
    )
    assert [(r["row"], r["column"]) for r in job.report] == [
        (2, "行号"),
        (3, "订单日期"),
        (4, "数量"),
        (4, "发货日期"),
    ]
    assert job.created_count == 1
    assert list(Customer.objects.get(code="C001").orders.get().lines.values_list("line_no", flat=True)) == [2]


def test_progress_counters_and_totals(admin):
    rows = [["客户编码", "客户名称"]] + [[f"K{i:03}", f"客户{i}"] for i in range(120)] + [[""], ["K999", ""]]
    job = run(admin, "customers", xlsx(rows))
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == ("done", 121, 121, 100)
    assert (job.created_count, job.error_count, job.report[0]["row"]) == (120, 1, 123)


def test_import_page_needs_an_import_permission(client, db):
    client.force_login(user_make("fin", roles.FINANCE))
    assert client.get("/intake/import/").status_code == 403
    assert client.get("/intake/import/template/complaints.xlsx").status_code == 404
    client.logout()
    assert client.get("/intake/import/")["Location"].startswith("/accounts/login/")


def test_master_data_kinds_are_offered_only_with_their_permission(client, agent, admin):
    client.force_login(agent)
    page = client.get("/intake/import/").content.decode()
    assert 'value="complaints"' in page and 'value="customers"' not in page
    client.force_login(admin)
    page = client.get("/intake/import/").content.decode()
    assert 'value="customers"' in page and 'value="orders"' in page


def test_recent_jobs_list_is_mine_and_query_count_is_pinned(
    client, agent, qm, customer, frozen_now, django_assert_max_num_queries
):
    data = xlsx([["客户编码", "标题", "问题描述"], ["C001", "t", "d"]])
    mine = [run(agent, "complaints", data).pk for _i in range(3)]
    other = run(qm, "complaints", data).pk
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        page = client.get("/intake/import/").content.decode()
    assert all(f'href="/intake/import/{pk}/"' in page for pk in mine)
    assert f'href="/intake/import/{other}/"' not in page


def test_template_notes_list_allowed_values_and_categories(client, agent):
    client.force_login(agent)
    wb = load_workbook(io.BytesIO(client.get("/intake/import/template/complaints.xlsx").content))
    data, notes = wb.worksheets
    assert [c.value for c in data[1]][:3] == ["客户编码", "销售订单号", "渠道"]
    text = "\n".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    assert "serious (严重" in text and "urgent (紧急" in text and "quality-corrosion" in text
    client.force_login(user_make("en_agent", roles.AGENT, language="en"))
    wb = load_workbook(io.BytesIO(client.get("/intake/import/template/complaints.xlsx").content))
    assert [c.value for c in wb.worksheets[0][1]][:3] == ["customer", "order_number", "channel"]


def test_report_neutralises_formula_headers(agent, customer, frozen_now, client):
    wb = Workbook()
    wb.active.append(["客户编码", "标题", "问题描述", "x", "+1"])
    wb.active.append(["C001", "t", "d", "", ""])
    wb.active["D1"].value = '=HYPERLINK("x")'
    wb.active["D1"].data_type = "s"  # stored as text, as a user who typed it quoted would have it
    buf = io.BytesIO()
    wb.save(buf)
    job = run(agent, "complaints", buf.getvalue())
    assert [r["column"] for r in job.report] == ['=HYPERLINK("x")', "+1"]
    client.force_login(agent)
    report = load_workbook(io.BytesIO(client.get(f"/intake/import/{job.pk}/report.xlsx").content))
    columns = [row[1].value for row in report.worksheets[0].iter_rows(min_row=2)]
    assert columns == ['\'=HYPERLINK("x")', "'+1"]
