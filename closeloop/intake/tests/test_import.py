"""Bulk import: per-row all-or-nothing, the (row, column, reason) report, formats, templates, permissions."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from closeloop.complaints.models import Complaint
from closeloop.customers.models import Customer, SalesOrder
from closeloop.intake.models import ImportJob

pytestmark = pytest.mark.django_db

ZH_HEADERS = [
    "客户编码",
    "销售订单号",
    "渠道",
    "接收时间",
    "标题",
    "问题描述",
    "严重程度",
    "紧急程度",
    "数量",
]


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, data: bytes, name="complaints.xlsx", kind="complaints", capture=None):
    f = SimpleUploadedFile(name, data)
    if capture is None:
        return client.post("/intake/import/", {"kind": kind, "file": f})
    with capture(execute=True):
        return client.post("/intake/import/", {"kind": kind, "file": f})


@pytest.fixture
def workbook(order):
    return xlsx(
        [
            ZH_HEADERS,
            ["C001", "", "电话", "2026-06-10 09:30", "螺丝刀生锈", "杆部生锈", "严重", "紧急", 50],
            ["", "SO-2026-0001", "邮件", "2026-06-11 10:00", "包装破损", "纸箱破损", "一般", "一般", 3],
            ["NOPE", "", "电话", "2026-06-12 10:00", "未知客户", "描述", "一般", "一般", 1],
            ["C001", "", "电话", "2026-06-12 11:00", "", "缺少标题", "巨大", "一般", 1],
            ["C001", "", "", "", "默认值", "没有渠道和时间", "", "", ""],
        ]
    )


def test_good_rows_saved_bad_rows_reported_with_row_column_reason(
    client, agent, workbook, frozen_now, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    resp = _upload(client, workbook, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/intake/import/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.created_count, job.error_count) == ("done", 5, 3, 2)
    assert sorted(Complaint.objects.values_list("title", flat=True)) == sorted(
        ["螺丝刀生锈", "包装破损", "默认值"]
    )
    assert {(r["row"], r["column"]) for r in job.report} == {(4, "客户编码"), (5, "标题"), (5, "严重程度")}
    reasons = {(r["row"], r["column"]): r["reason"] for r in job.report}
    assert reasons[(4, "客户编码")] == "没有编码为“NOPE”的客户。"
    from_order = Complaint.objects.get(title="包装破损")
    assert from_order.product.code == "P001" and from_order.channel == "email"
    assert Complaint.objects.get(title="默认值").channel == "import"
    page = client.get(f"/intake/import/{job.pk}/").content.decode()
    assert 'id="import-report"' in page and "没有编码为“NOPE”的客户。" in page


def test_progress_partial_for_htmx_polling(client, agent, workbook, frozen_now):
    client.force_login(agent)
    _upload(client, workbook)  # on_commit not run: the job stays queued
    job = ImportJob.objects.get()
    html = client.get(f"/intake/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html and "<html" not in html
    from closeloop.intake.importing.service import import_job_run

    import_job_run(job_id=job.pk)
    html = client.get(f"/intake/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in html and 'id="import-summary"' in html
    assert import_job_run(job_id=job.pk).created_count == 3  # a second delivery changes nothing
    assert Complaint.objects.count() == 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_in_utf8_bom_and_gb18030(
    client, agent, customer, frozen_now, encoding, django_capture_on_commit_callbacks
):
    text = "customer,title,description,severity\nC001,漏油,油缸漏油,serious\n"
    client.force_login(agent)
    _upload(client, text.encode(encoding), name="a.csv", capture=django_capture_on_commit_callbacks)
    assert Complaint.objects.get().title == "漏油"


def test_not_a_spreadsheet_is_refused(client, agent, db):
    client.force_login(agent)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    resp = _upload(client, png, name="data.xlsx")
    assert resp.status_code == 422 and "file-errors" in resp.content.decode()
    assert ImportJob.objects.count() == 0


def test_missing_required_headers_are_named(client, agent, db):
    client.force_login(agent)
    resp = _upload(client, xlsx([["客户编码", "备注"], ["C001", "x"]]))
    body = resp.content.decode()
    assert resp.status_code == 422 and "标题" in body and "问题描述" in body


def test_templates_open_and_have_the_headers(client, agent, db):
    client.force_login(agent)
    wb = load_workbook(io.BytesIO(client.get("/intake/import/template/complaints.xlsx").content))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert "标题" in headers and "销售订单号" in headers and len(wb.worksheets) == 2
    csv_text = client.get("/intake/import/template/complaints.csv").content.decode("utf-8-sig")
    assert csv_text.startswith("客户编码,")
    assert client.get("/intake/import/template/customers.xlsx").status_code == 404  # agent: no master data


def test_master_data_then_complaints(client, agent, db, frozen_now, django_capture_on_commit_callbacks):
    from closeloop.accounts import roles
    from closeloop.accounts.tests.factories import user_make

    admin = user_make("boss", roles.ADMINISTRATOR)
    client.force_login(admin)
    _upload(
        client,
        xlsx(
            [
                ["客户编码", "客户名称", "客户等级", "年销售额"],
                ["C201", "测试客户", "战略", 8_000_000],
                ["C202", "", "普通", "abc"],
            ]
        ),
        kind="customers",
        capture=django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get(kind="customers")
    assert Customer.objects.get(code="C201").tier == "strategic"
    assert {r["column"] for r in job.report} == {"客户名称", "年销售额"}
    _upload(
        client,
        xlsx([["产品编码", "产品名称", "质保期（月）"], ["P201", "扳手", 24]]),
        kind="products",
        capture=django_capture_on_commit_callbacks,
    )
    _upload(
        client,
        xlsx(
            [
                [
                    "销售订单号",
                    "客户编码",
                    "订单日期",
                    "行号",
                    "产品编码",
                    "数量",
                    "批次",
                    "发货单号",
                    "发货日期",
                ],
                ["SO-201", "C201", "2026-05-01", 1, "P201", 100, "LOT1", "SH-201", "2026-05-03"],
            ]
        ),
        kind="orders",
        capture=django_capture_on_commit_callbacks,
    )
    order = SalesOrder.objects.get(number="SO-201")
    assert order.lines.get().lot == "LOT1" and order.shipments.get().number == "SH-201"
    _upload(
        client,
        xlsx([["销售订单号", "标题", "问题描述"], ["SH-201", "断裂", "扳手断裂"]]),
        capture=django_capture_on_commit_callbacks,
    )
    c = Complaint.objects.get()
    assert (c.customer.code, c.product.code, c.lot) == ("C201", "P201", "LOT1")


def test_master_data_needs_its_permission(client, agent, db):
    client.force_login(agent)
    resp = _upload(client, xlsx([["客户编码", "客户名称"], ["C9", "x"]]), kind="customers")
    assert resp.status_code == 403


def test_report_xlsx_neutralises_formulas(
    client, agent, customer, frozen_now, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    _upload(
        client,
        xlsx([["客户编码", "标题", "问题描述", "@SUM(A1)"], ["-2+3", "t", "d", "v"]]),
        capture=django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    wb = load_workbook(io.BytesIO(client.get(f"/intake/import/{job.pk}/report.xlsx").content))
    values = [c.value for row in wb.worksheets[0].iter_rows() for c in row]
    assert "'@SUM(A1)" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in values)


def test_other_users_jobs_are_404(client, agent, qm, workbook, frozen_now):
    client.force_login(agent)
    _upload(client, workbook)
    client.force_login(qm)
    assert client.get(f"/intake/import/{ImportJob.objects.get().pk}/").status_code == 404


def test_management_command_uses_the_same_service(tmp_path, agent, customer, frozen_now):
    from django.core.management import call_command

    path = tmp_path / "c.csv"
    path.write_text("客户编码,标题,问题描述\nC001,命令行导入,描述\nNOPE,坏行,描述\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_data", "complaints", str(path), "--user", "agent", stdout=out)
    assert "created 1" in out.getvalue() and "errors 1" in out.getvalue()
