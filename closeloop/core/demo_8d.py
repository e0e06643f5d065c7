"""The 8D part of the demo: serious quality complaints handled on the full-8D path, left at every
stage a case can be in (closed and confirmed, awaiting the customer, reopened after an unsatisfied
verdict, waiting for approval, sent back, in progress), all through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import User
from closeloop.actions import services as action_services
from closeloop.complaints import handling
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.investigations import services
from closeloop.investigations.models import Discipline, Investigation


def _content(c: Complaint) -> dict[int, dict[str, Any]]:
    """Plausible content for each step, worded after the complaint."""
    product = c.product.name if c.product else "产品"
    lot = c.lot or "未知批次"
    return {
        0: {
            "needs_8d": True,
            "reason": "严重质量问题，需系统分析",
            "emergency_actions": "24小时内通知客户隔离在库产品，安排现场挑选",
        },
        1: {"goal": "两周内找到根本原因并验证纠正措施"},
        2: {
            "what": c.title,
            "where": c.customer.name,
            "when": f"{timezone.localtime(c.received_at):%Y-%m-%d} 客户来料检验",
            "who": "客户质量部",
            "why": "影响客户装配，存在批量风险",
            "how": "客户抽检发现后全检",
            "how_many": f"{c.quantity_affected or 20} 件",
            "is_is_not": [{"dimension": "批次", "is_text": lot, "is_not_text": "其他批次"}],
        },
        3: {
            "rows": [
                {
                    "location": "customer_stock",
                    "action": "现场全检并更换",
                    "qty_checked": 500,
                    "qty_bad": c.quantity_affected or 20,
                    "effective": True,
                },
                {
                    "location": "warehouse",
                    "action": "成品库存全检",
                    "qty_checked": 800,
                    "qty_bad": 3,
                    "effective": True,
                },
                {
                    "location": "wip",
                    "action": "在制品加严检验",
                    "qty_checked": 300,
                    "qty_bad": 0,
                    "effective": True,
                },
            ],
            "suspect_lots": [lot],
            "effectiveness": "挑选后客户复检合格",
        },
        4: {
            "causes": [
                {
                    "id": "C1",
                    "category": "machine",
                    "text": "设备参数漂移",
                    "status": "verified",
                    "evidence": "设备点检记录与复现试验",
                },
                {
                    "id": "C2",
                    "category": "measurement",
                    "text": "终检抽样方案不能发现该缺陷",
                    "status": "verified",
                    "evidence": "抽样方案评审",
                },
                {
                    "id": "C3",
                    "category": "material",
                    "text": f"{product}原材料批次异常",
                    "status": "refuted",
                    "evidence": "原材料复验合格",
                },
                {
                    "id": "C4",
                    "category": "man",
                    "text": "新员工操作不熟练",
                    "status": "candidate",
                    "evidence": "",
                },
            ],
            "why_chains": [
                {
                    "kind": "occurrence",
                    "problem": c.title,
                    "whys": ["工艺参数超出范围", "设备参数漂移", "缺少参数监控", "点检表未包含该参数"],
                },
                {
                    "kind": "escape",
                    "problem": "缺陷流出",
                    "whys": ["终检未发现", "抽样数量不足", "抽样方案未按风险制定"],
                },
            ],
            "occurrence_root_cause": "设备关键参数无监控，参数漂移导致不良",
            "occurrence_cause_id": "C1",
            "escape_root_cause": "终检抽样方案未覆盖该缺陷",
            "escape_cause_id": "C2",
        },
        5: {
            "corrective": [
                {
                    "root_cause": "occurrence",
                    "action": "增加关键参数在线监控与报警",
                    "verification": "连续三批过程能力 Cpk≥1.33",
                },
                {
                    "root_cause": "escape",
                    "action": "修订终检抽样方案，加严检验",
                    "verification": "抽查三批检验记录",
                },
            ]
        },
        6: {"validation_results": "改进后连续三批无不良", "containment_removed": True},
        7: {
            "changes": [
                {"doc_type": "fmea", "document": "PFMEA-01", "old_revision": "C", "new_revision": "D"},
                {
                    "doc_type": "control_plan",
                    "document": "CP-01 控制计划",
                    "old_revision": "B",
                    "new_revision": "C",
                },
            ],
            "lessons_learned": "关键设备参数必须纳入点检与监控",
        },
        8: {
            "costs": [
                {"item": "sorting", "amount": "1800.00"},
                {"item": "freight", "amount": "650.00"},
                {"item": "travel", "amount": "1200.00"},
            ],
            "recoveries": [],
            "recognition": "感谢8D小组的快速响应",
            "customer_summary": (
                "原因：设备参数漂移且终检未发现。措施：增加参数在线监控，修订抽样方案，已验证有效。"
            ),
        },
    }


def _pass(inv: Investigation, step: int, content: dict[str, Any], users: dict[str, User]) -> None:
    qm = users["qm"]
    d = Discipline.objects.get(investigation=inv, step=step)
    services.discipline_save(
        investigation=inv, step=step, actor=qm, content=content, expected_version=d.version
    )
    services.discipline_submit(investigation=inv, step=step, actor=qm)
    services.discipline_approve(investigation=inv, step=step, actor=qm)


def _tracked(
    inv: Investigation, c: Complaint, users: dict[str, User], *, kind: str, step: int, title: str, done: bool
) -> None:
    a = action_services.action_create(
        complaint=c,
        actor=users["qm"],
        title=title,
        owner=users["qe"],
        due_date=clock.today() + dt.timedelta(days=10),
        start_date=clock.today(),
        kind=kind,
        investigation=inv,
        step=step,
        tracker=users["qm"],
    )
    if done:
        a = action_services.action_complete(action=a, actor=users["qe"], note="已完成并留存记录")
        action_services.action_verify(action=a, actor=users["qm"], note="复核有效")


def demo_investigations(complaints: list[Complaint], users: dict[str, User]) -> None:
    """Put each of ``complaints`` (triaged, serious quality ones) on the 8D path, the k-th stopping at
    stage k: 0 closed and confirmed, 1 awaiting the customer, 2 reopened at D4, 3 at D6 with an action
    under way, 4 D4 waiting for approval, 5 D2 sent back, then D1 in progress."""
    qm, qe = users["qm"], users["qe"]
    for k, complaint in enumerate(complaints):
        day = 0

        def tick(hours: int = 20, start: dt.datetime = complaint.received_at) -> None:
            nonlocal day
            day += 1
            clock.freeze(start + dt.timedelta(hours=6 + day * hours))

        tick()
        c = handling.complaint_start_handling(complaint=complaint, actor=qm, path="8d")
        inv = c.investigation
        assert inv is not None
        content = _content(c)
        stop = [8, 8, 8, 6, 4, 2][k] if k < 6 else 1
        for step in range(stop + 1):
            tick()
            if step == 1:
                services.team_member_set(investigation=inv, actor=qm, user=qe, role="leader")
                services.team_member_set(investigation=inv, actor=qm, user=qm, role="champion")
                services.team_member_set(
                    investigation=inv,
                    actor=qm,
                    user=users["purchasing"],
                    role="member",
                    responsibility="供应商协调",
                )
            if step == stop and stop < 8:
                d = Discipline.objects.get(investigation=inv, step=step)
                services.discipline_save(
                    investigation=inv, step=step, actor=qm, content=content[step], expected_version=d.version
                )
                if stop == 6:
                    _tracked(
                        inv, c, users, kind="corrective", step=6, title="增加关键参数在线监控", done=False
                    )
                if stop == 4:
                    services.discipline_submit(investigation=inv, step=4, actor=qe)
                if stop == 2:
                    services.discipline_submit(investigation=inv, step=2, actor=qe)
                    services.discipline_send_back(
                        investigation=inv, step=2, actor=qm, reason="IS / IS NOT 需补充发生时间和工位"
                    )
                break
            if step == 6:
                _tracked(inv, c, users, kind="corrective", step=6, title="增加关键参数在线监控", done=True)
            if step == 7:
                _tracked(inv, c, users, kind="horizontal", step=7, title="横向展开到同类产品线", done=True)
            if step == 8:
                d = Discipline.objects.get(investigation=inv, step=8)
                services.discipline_save(
                    investigation=inv, step=8, actor=qm, content=content[8], expected_version=d.version
                )
                services.investigation_cost_verify(investigation=inv, actor=users["finance"])
                services.investigation_summary_review(investigation=inv, actor=users["salesmgr"])
                services.discipline_submit(investigation=inv, step=8, actor=qm)
                services.discipline_approve(investigation=inv, step=8, actor=qm)
                break
            _pass(inv, step, content[step], users)
        if stop == 8 and k in (0, 2):
            tick(48)
            c = Complaint.objects.get(pk=c.pk)
            if k == 0:
                handling.complaint_record_verdict(
                    complaint=c, actor=qm, satisfied=True, score=5, comment="8D报告详实，满意"
                )
            else:
                handling.complaint_record_verdict(
                    complaint=c,
                    actor=qm,
                    satisfied=False,
                    score=2,
                    reopen_reason="客户认为根本原因分析不充分",
                    reopen_step=4,
                )
