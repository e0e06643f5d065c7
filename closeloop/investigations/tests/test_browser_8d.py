"""In a real browser (Playwright + Debian Chromium): a full 8D from triage to the customer's verdict,
with a gate refusal, a send-back, an action done and verified, and a reopen after an unsatisfied verdict."""

from __future__ import annotations

import re
from typing import Any

import pytest

from closeloop.complaints.models import Complaint
from closeloop.investigations.models import Discipline, Investigation
from closeloop.testing.plugin import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_user(page: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def fill(page: Any, values: dict[str, str]) -> None:
    for field, value in values.items():
        el = page.locator(f"#step-form [name='{field}']")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)


def add_row(page: Any, table: str) -> None:
    page.click(f"#step-form button[name=add_row][value={table}]")


def submit(page: Any, step: int) -> None:
    page.click("#submit-step")
    page.wait_for_selector(f'#step-card[data-step="{step}"][data-status="submitted"]')


def approve(page: Any, step: int) -> None:
    page.click("#approve-step")
    if step < 8:
        page.wait_for_selector(f'#step-card[data-step="{step + 1}"]')
        page.wait_for_selector(f'#step-nav [data-step="{step}"][data-state="done"]')


def test_a_full_8d_in_the_browser(page, complaint, qm, qe, worker, finance, salesmgr, tmp_path):
    as_user(page, "qm")
    page.goto(f"/complaints/{complaint.number}/")
    # Triage: a serious quality complaint, to be handled as a full 8D.
    page.select_option("#id_category", "quality-corrosion")
    page.select_option("#id_severity", "serious")
    page.select_option("#id_handling_path", "8d")
    page.click("#triage-form button[type=submit]")
    page.wait_for_selector("#start-8d.btn-primary")
    # Once triaged, the triage form is a correction drawn on demand, with the values as saved.
    assert page.locator("#triage-form").count() == 0
    page.click("#triage-edit-open")
    page.wait_for_selector("#triage-form")
    assert page.locator("#id_severity").input_value() == "serious"
    page.select_option("#id_urgency", "urgent")
    page.click("#triage-form button[type=submit]")
    page.wait_for_selector("#triage-edit-open")
    complaint.refresh_from_db()
    assert (complaint.urgency, complaint.severity, complaint.handling_path) == ("urgent", "serious", "8d")
    page.click("#triage-edit-open")
    page.click("#triage-edit-cancel")  # put away unsaved: the page as it was
    page.wait_for_selector("#triage-edit-open")
    assert page.locator("#triage-form").count() == 0
    page.click("#start-8d")
    page.wait_for_selector("#case-card")
    page.click("#case-link")
    page.wait_for_url(re.compile(r"/8d/8D-\d{4}-\d{4}/$"))
    inv = Investigation.objects.get()

    # D0: the gate refuses an incomplete step and says what is missing; nothing typed is lost.
    fill(page, {"needs_8d": "yes"})
    page.click("#submit-step")
    missing = page.locator("#missing-list")
    missing.wait_for()
    assert "紧急响应" in missing.inner_text()
    assert page.locator("#step-form [name=needs_8d]").input_value() == "yes"
    fill(page, {"emergency_actions": "次日派质量工程师和三名生产人员到现场处理不良品"})
    submit(page, 0)
    approve(page, 0)

    # D1: the team.
    for user, role in ((qe, "leader"), (worker, "champion")):
        page.select_option("#team-user", str(user.pk))
        page.select_option("#team-role", role)
        page.click("#team-add")
        page.wait_for_selector(f"#team-table tr[data-user='{user.username}']")
    fill(page, {"goal": "七天内查明原因并提出预防措施"})
    submit(page, 1)
    approve(page, 1)

    # D2: described, sent back with a reason, described better, approved.
    fill(
        page,
        {
            "what": "螺丝刀杆生锈",
            "where": "客户仓库",
            "when": "收货检验",
            "who": "客户检验员",
            "why": "客户拒收",
            "how": "开箱检查",
            "how_many": "50/500",
        },
    )
    fill(
        page,
        {
            "is_is_not-0-dimension": "批次",
            "is_is_not-0-is_text": "L2605",
            "is_is_not-0-is_not_text": "其他批次",
        },
    )
    submit(page, 2)
    page.fill("#send-back-reason", "请补充发生的具体时间")
    page.click("#send-back-step")
    page.wait_for_selector("#return-reason")
    assert "请补充发生的具体时间" in page.locator("#return-reason").inner_text()
    assert page.locator('#step-nav [data-step="2"]').get_attribute("data-state") == "returned"
    fill(page, {"when": "2026-06-14 收货检验时"})
    submit(page, 2)
    approve(page, 2)

    # D3: containment at the customer.
    fill(
        page,
        {
            "rows-0-location": "customer_stock",
            "rows-0-action": "现场挑选并更换",
            "rows-0-qty_checked": "500",
            "rows-0-qty_bad": "50",
            "rows-0-effective": "yes",
            "suspect_lots": "L2605",
            "effectiveness": "客户复检合格",
        },
    )
    submit(page, 3)
    approve(page, 3)

    # D4: a fishbone with two verified causes, two 5-Why chains, occurrence and escape root causes.
    fill(
        page,
        {
            "causes-0-id": "C1",
            "causes-0-category": "environment",
            "causes-0-text": "运输途中包装受潮",
            "causes-0-status": "verified",
            "causes-0-evidence": "承运记录显示降雨",
        },
    )
    add_row(page, "causes")
    page.wait_for_selector("#step-form [name='causes-1-id']")
    fill(
        page,
        {
            "causes-1-id": "C2",
            "causes-1-category": "method",
            "causes-1-text": "出货检验不查包装",
            "causes-1-status": "verified",
            "causes-1-evidence": "检验规程无此项",
        },
    )
    fill(
        page,
        {
            "why_chains-0-kind": "occurrence",
            "why_chains-0-problem": "生锈",
            "why_chains-0-whys": "受潮\n外箱进水\n包装无防水措施",
        },
    )
    add_row(page, "why_chains")
    page.wait_for_selector("#step-form [name='why_chains-1-kind']")
    fill(
        page,
        {
            "why_chains-1-kind": "escape",
            "why_chains-1-problem": "未发现",
            "why_chains-1-whys": "未检查包装\n规程未要求\n未识别风险",
        },
    )
    fill(
        page,
        {
            "occurrence_root_cause": "运输包装无防水措施",
            "occurrence_cause_id": "C1",
            "escape_root_cause": "出货检验不含包装防护",
            "escape_cause_id": "C2",
        },
    )
    submit(page, 4)
    assert "运输途中包装受潮" in page.locator("#fishbone").inner_html()
    assert page.locator("#why-chains .why-box").count() >= 6
    approve(page, 4)

    # D5: corrective actions per root cause.
    fill(
        page,
        {
            "corrective-0-root_cause": "occurrence",
            "corrective-0-action": "每托盘外箱缠绕尼龙薄膜",
            "corrective-0-verification": "跟踪三批到货",
        },
    )
    add_row(page, "corrective")
    page.wait_for_selector("#step-form [name='corrective-1-root_cause']")
    fill(
        page,
        {
            "corrective-1-root_cause": "escape",
            "corrective-1-action": "出货检验增加包装检查",
            "corrective-1-verification": "抽查记录",
        },
    )
    submit(page, 5)
    approve(page, 5)

    # D6: the plan's corrective action, done by its owner and verified by its tracker.
    page.fill("#ca-title", "外箱缠绕尼龙薄膜")
    page.select_option("#ca-owner", str(qe.pk))
    page.select_option("#ca-tracker", str(qm.pk))
    page.fill("#ca-due", "2026-06-30")
    page.click("#case-action-add")
    page.wait_for_selector("#plan-table")
    as_user(page, "qe")
    page.goto("/actions/mine/")
    page.click("#my-actions summary")
    page.fill("#my-actions textarea[name=note]", "包装作业指导书已更新并培训")
    page.click("#my-actions button:has-text('报告完成')")
    page.wait_for_url(re.compile(r"/actions/mine/$"))
    as_user(page, "qm")
    page.goto(f"/8d/{inv.number}/?step=6")
    board = page.locator('#action-board .board-col[data-status="done"]')
    board.locator("summary").click()
    board.locator("textarea[name=note]").fill("后续三批到货无锈")
    board.locator("button:has-text('已验证')").click()
    page.wait_for_selector('#action-board .board-col[data-status="verified"] .board-card')
    page.goto(f"/8d/{inv.number}/?step=6")
    fill(page, {"validation_results": "后续三批无锈蚀"})
    page.check("#step-form [name=containment_removed]")
    submit(page, 6)
    approve(page, 6)

    # D7: prevention.
    fill(
        page,
        {
            "changes-0-doc_type": "work_instruction",
            "changes-0-document": "WI-PK-001 包装作业指导书",
            "changes-0-old_revision": "A",
            "changes-0-new_revision": "B",
            "horizontal_not_applicable": "同类产品均使用同一包装作业指导书，已随之更新",
            "lessons_learned": "雨季运输必须有防水包装",
        },
    )
    submit(page, 7)
    approve(page, 7)

    # D8: cost, recognition, what the customer is told; finance and the sales manager sign off.
    fill(
        page,
        {
            "costs-0-item": "sorting",
            "costs-0-amount": "1200",
            "recognition": "感谢现场小组",
            "customer_summary": "原因：运输包装无防水措施。措施：每托盘外箱缠绕尼龙薄膜。",
        },
    )
    page.click("#save-step")
    page.wait_for_selector('#step-card[data-step="8"][data-status="draft"]')
    as_user(page, "finance")
    page.goto(f"/8d/{inv.number}/?step=8")
    page.click("#verify-cost")
    page.wait_for_selector("#cost-signoff .pill-minor")
    as_user(page, "salesmgr")
    page.goto(f"/8d/{inv.number}/?step=8")
    page.click("#review-summary")
    page.wait_for_selector("#summary-signoff .pill-minor")
    as_user(page, "qm")
    page.goto(f"/8d/{inv.number}/?step=8")
    submit(page, 8)
    approve(page, 8)
    page.wait_for_selector("#case-status.pill-minor")
    page.screenshot(path=str(tmp_path / "8d-closed.png"), full_page=True)

    # The customer is not satisfied: the complaint reopens and the 8D starts again at D4.
    page.goto(f"/complaints/{complaint.number}/")
    page.check("#verdict-form input[name=satisfied][value=no]")
    page.fill("#verdict-form [name=reopen_reason]", "客户仍发现少量锈迹")
    page.select_option("#verdict-form [name=reopen_step]", "4")
    page.click("#verdict-form button[type=submit]")
    page.wait_for_selector("#handling-card .pill-urgent")  # "reopened once": the answer was recorded
    complaint = Complaint.objects.get(pk=complaint.pk)
    inv.refresh_from_db()
    assert (complaint.status, complaint.reopen_count) == ("in_progress", 1)
    assert (inv.status, inv.current_step, inv.reopen_count) == ("open", 4, 1)
    assert Discipline.objects.get(investigation=inv, step=4).return_reason == "客户仍发现少量锈迹"
    page.goto(f"/8d/{inv.number}/")
    assert page.locator('#step-nav [data-step="4"]').get_attribute("data-state") == "returned"
    assert page.locator('#step-nav [data-step="3"]').get_attribute("data-state") == "done"
