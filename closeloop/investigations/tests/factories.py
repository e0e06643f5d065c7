"""Builders that drive 8D cases through the real services (no status is ever assigned directly)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from closeloop.accounts.models import User
from closeloop.actions import services as action_services
from closeloop.complaints.handling import complaint_start_handling
from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.services import complaint_triage
from closeloop.core import clock
from closeloop.investigations import services
from closeloop.investigations.models import Discipline, Investigation

# The seed case: rust on screwdriver shafts; packaging got wet in transport (no waterproofing).
SEED_CONTENT: dict[int, dict[str, Any]] = {
    0: {
        "needs_8d": True,
        "reason": "批量锈蚀，影响客户使用",
        "emergency_actions": "次日派质量工程师和三名生产人员赴客户现场处理不良品",
    },
    1: {"goal": "七天内找到原因并提出预防措施"},
    2: {
        "what": "螺丝刀杆表面生锈",
        "where": "客户A仓库",
        "when": "2008-06-25 收货检验",
        "who": "客户A来料检验员",
        "why": "影响外观与使用，客户拒收",
        "how": "开箱目视检查",
        "how_many": "约50支 / 500支",
        "is_is_not": [{"dimension": "批次", "is_text": "L0805 批", "is_not_text": "其他批次"}],
    },
    3: {
        "rows": [
            {
                "location": "customer_stock",
                "action": "现场挑选、擦拭、更换",
                "qty_checked": 500,
                "qty_bad": 50,
                "effective": True,
            },
            {
                "location": "warehouse",
                "action": "库存全检",
                "qty_checked": 1200,
                "qty_bad": 0,
                "effective": True,
            },
        ],
        "suspect_lots": ["L0805"],
        "effectiveness": "现场全部更换，客户确认可用",
    },
    4: {
        "causes": [
            {
                "id": "C1",
                "category": "environment",
                "text": "运输途中包装受潮",
                "status": "verified",
                "evidence": "承运记录显示途中降雨，纸箱有水渍",
            },
            {
                "id": "C2",
                "category": "method",
                "text": "出货检验不检查包装防护",
                "status": "verified",
                "evidence": "出货检验规程无此项",
            },
            {
                "id": "C3",
                "category": "material",
                "text": "防锈油不足",
                "status": "refuted",
                "evidence": "同批留样盐雾试验合格",
            },
        ],
        "why_chains": [
            {
                "kind": "occurrence",
                "problem": "螺丝刀杆生锈",
                "whys": ["杆部受潮", "外箱进水", "运输中淋雨", "包装无防水措施"],
            },
            {
                "kind": "escape",
                "problem": "出货时未发现风险",
                "whys": ["未检查包装防护", "规程未要求", "未识别雨季运输风险"],
            },
        ],
        "occurrence_root_cause": "运输包装无防水措施，外箱受潮导致生锈",
        "occurrence_cause_id": "C1",
        "escape_root_cause": "出货检验未包含包装防护检查",
        "escape_cause_id": "C2",
    },
    5: {
        "corrective": [
            {
                "root_cause": "occurrence",
                "action": "每托盘外箱用尼龙薄膜缠绕",
                "verification": "跟踪后续三批到货无锈",
            },
            {"root_cause": "escape", "action": "出货检验增加包装防护检查项", "verification": "抽查出货记录"},
        ]
    },
    6: {
        "validation_results": "后续三批到货无锈蚀",
        "containment_removed": True,
        "containment_removed_on": "2008-07-20",
    },
    7: {
        "changes": [
            {
                "doc_type": "work_instruction",
                "document": "WI-PK-001 包装作业指导书",
                "old_revision": "A",
                "new_revision": "B",
            },
            {
                "doc_type": "control_plan",
                "document": "CP-SD-001 出货控制计划",
                "old_revision": "C",
                "new_revision": "D",
            },
        ],
        "lessons_learned": "雨季运输必须有防水包装",
    },
    8: {
        "costs": [
            {"item": "travel", "amount": "800.00"},
            {"item": "sorting", "amount": "1200.00"},
            {"item": "scrap", "amount": "500.00"},
        ],
        "recoveries": [{"source": "carrier", "amount": "300.00"}],
        "recognition": "感谢现场处理小组",
        "customer_summary": (
            "原因：运输包装无防水措施导致受潮生锈。措施：每托盘外箱缠绕尼龙薄膜，出货检验增加包装防护检查。"
        ),
    },
}


def triage_quality(complaint: Complaint, actor: User) -> Complaint:
    return complaint_triage(
        complaint=complaint,
        actor=actor,
        category=Category.objects.get(code="quality-corrosion"),
        severity="serious",
        urgency="urgent",
        impact_scope="single",
        safety_risk=False,
    )


def case_open(complaint: Complaint, actor: User) -> Investigation:
    c = complaint_start_handling(complaint=triage_quality(complaint, actor), actor=actor, path="8d")
    assert c.investigation is not None
    return c.investigation


def step_version(inv: Investigation, step: int) -> int:
    return Discipline.objects.get(investigation=inv, step=step).version


def save(inv: Investigation, step: int, actor: User, content: dict[str, Any] | None = None) -> Discipline:
    return services.discipline_save(
        investigation=inv,
        step=step,
        actor=actor,
        content=content if content is not None else SEED_CONTENT[step],
        expected_version=step_version(inv, step),
    )


def pass_step(inv: Investigation, step: int, actor: User, approver: User) -> None:
    save(inv, step, actor)
    services.discipline_submit(investigation=inv, step=step, actor=actor)
    services.discipline_approve(investigation=inv, step=step, actor=approver)


def tracked_action_done(
    inv: Investigation, *, kind: str, step: int, requester: User, owner: User, tracker: User
) -> None:
    """A tracked 8D action, done by its owner and verified by its tracker."""
    a = action_services.action_create(
        complaint=inv.complaints.order_by("pk").first(),  # type: ignore[arg-type]
        actor=requester,
        title=f"{kind} action",
        owner=owner,
        due_date=clock.today() + dt.timedelta(days=7),
        kind=kind,
        investigation=inv,
        step=step,
        tracker=tracker,
    )
    a = action_services.action_complete(action=a, actor=owner, note="完成")
    action_services.action_verify(action=a, actor=tracker, note="有效")


def case_through(
    inv: Investigation,
    *,
    upto: int,
    qm: User,
    team: list[tuple[User, str]],
    owner: User,
    finance: User | None = None,
    sales_manager: User | None = None,
) -> Investigation:
    """Approve D0..``upto`` with the seed content, building the team, actions and sign-offs each needs."""
    for step in range(upto + 1):
        if step == 1:
            for user, role in team:
                services.team_member_set(investigation=inv, actor=qm, user=user, role=role)
        if step == 6:
            tracked_action_done(inv, kind="corrective", step=6, requester=qm, owner=owner, tracker=qm)
        if step == 7:
            tracked_action_done(inv, kind="horizontal", step=7, requester=qm, owner=owner, tracker=qm)
        if step == 8:
            assert finance is not None and sales_manager is not None
            save(inv, 8, qm)
            services.investigation_cost_verify(investigation=inv, actor=finance)
            services.investigation_summary_review(investigation=inv, actor=sales_manager)
            services.discipline_submit(investigation=inv, step=8, actor=qm)
            services.discipline_approve(investigation=inv, step=8, actor=qm)
            continue
        pass_step(inv, step, qm, qm)
    inv.refresh_from_db()
    return inv
