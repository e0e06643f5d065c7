"""In a real browser (Playwright + Debian Chromium): the agent's intake flows end to end."""

from __future__ import annotations

import re

import pytest
from openpyxl import Workbook

from closeloop.complaints.models import Complaint
from closeloop.testing.plugin import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_creates_a_complaint_from_an_order_and_sees_why_its_priority(page, agent, order, tmp_path):
    login(page, "agent")
    page.goto("/intake/new/")
    page.fill("input[name=order_number]", "SO-2026-0001")
    summary = page.locator("#order-summary")
    summary.wait_for()
    assert "华东机电有限公司" in summary.inner_text()
    assert page.input_value("#id_customer") == "C001"
    assert page.input_value("#id_product") == "P001"
    assert page.input_value("#id_lot") == "L2605"
    assert "在保" in page.locator("[data-filled=warranty]").inner_text()
    page.fill("#id_title", "螺丝刀杆生锈")
    page.fill("#id_description", "客户收货后发现杆部生锈约50支")
    page.select_option("#id_category", "quality-corrosion")
    page.select_option("#id_severity", "serious")
    page.click("#intake-form button[type=submit]")
    page.wait_for_url(re.compile(r"/complaints/KS-\d{4}-\d{6}/$"))
    card = page.locator("#priority-card")
    assert "为什么是这个优先级" in card.inner_text()
    assert card.locator("[data-factor=severity]").inner_text().split()[-1] == "45"
    c = Complaint.objects.get()
    assert page.locator("#priority-score").inner_text() == str(c.priority_score)
    # Chinese renders with the font the app serves itself (no system CJK font needed).
    page.evaluate("document.fonts.ready")
    assert page.evaluate("""document.fonts.check('16px "Noto Sans SC"', '为什么是这个优先级')""")
    assert page.evaluate(
        """[...document.fonts].some(f => f.family.includes('Noto Sans SC') && f.status === 'loaded')"""
    )
    page.screenshot(path=str(tmp_path / "complaint.png"), full_page=True)
    assert (tmp_path / "complaint.png").stat().st_size > 10_000


def test_agent_imports_a_workbook_with_bad_rows_and_reads_the_report(page, agent, customer, tmp_path):
    wb = Workbook()
    for row in [
        ["客户编码", "标题", "问题描述", "严重程度"],
        ["C001", "漏油", "油缸漏油", "严重"],
        ["NOPE", "未知客户", "描述", "一般"],
        ["C001", "", "缺标题", "一般"],
        ["C001", "划伤", "外壳划伤", "轻微"],
    ]:
        wb.active.append(row)
    path = tmp_path / "客诉导入.xlsx"
    wb.save(path)
    login(page, "agent")
    page.goto("/intake/import/")
    page.set_input_files("#id_file", str(path))
    page.click("#import-form button[type=submit]")
    page.locator("#import-summary").wait_for()
    assert page.locator("#created-count").inner_text() == "2"
    assert page.locator("#error-count").inner_text() == "2"
    report = page.locator("#import-report").inner_text()
    assert "没有编码为“NOPE”的客户。" in report and "标题" in report
    assert Complaint.objects.count() == 2


def test_list_filters_and_searches_in_chinese(page, agent, customer):
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    for title, desc, sev in [
        ("变速箱漏油", "变速箱漏油严重", "serious"),
        ("螺丝刀生锈", "杆部生锈", "general"),
        ("包装破损", "纸箱破损", "minor"),
    ]:
        complaint_intake(
            draft=ComplaintDraft(
                channel="phone", customer="C001", title=title, description=desc, severity=sev
            ),
            actor=agent,
        )
    login(page, "agent")
    page.goto("/complaints/")
    assert page.locator("#result-count").get_attribute("data-count") == "3"
    page.fill("#q", "漏油")
    page.wait_for_function("document.querySelector('#result-count').dataset.count === '1'")
    assert "变速箱漏油" in page.locator("#complaint-table").inner_text()
    assert "q=%E6%BC%8F%E6%B2%B9" in page.url  # the filter is kept in the URL
    page.fill("#q", "")
    page.wait_for_function("document.querySelector('#result-count').dataset.count === '3'")
    page.select_option("#f-severity", "minor")
    page.wait_for_function("document.querySelector('#result-count').dataset.count === '1'")
    assert "包装破损" in page.locator("#complaint-table").inner_text()
