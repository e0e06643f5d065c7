"""The 8D transition tables and gates, exhaustively and without a database."""

import itertools

import pytest

from closeloop.core.errors import TransitionNotAllowed, ValidationFailed
from closeloop.investigations.content import content_empty, content_parse
from closeloop.investigations.gates import GateFacts, missing
from closeloop.investigations.workflow import (
    CASE_TRANSITIONS,
    STEP_TRANSITIONS,
    STEPS,
    CaseStatus,
    StepStatus,
    check_case_transition,
    check_step_transition,
    current_step,
    step_blockers,
)

STEP_ALLOWED = {
    ("todo", "draft"),
    ("draft", "draft"),
    ("returned", "returned"),
    ("draft", "submitted"),
    ("returned", "submitted"),
    ("submitted", "approved"),
    ("submitted", "returned"),
    ("approved", "returned"),
}
CASE_ALLOWED = {("open", "closed"), ("closed", "open"), ("open", "cancelled")}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(StepStatus.values, StepStatus.values)))
def test_every_step_move_is_allowed_or_refused_as_the_table_says(current, target):
    if (current, target) in STEP_ALLOWED:
        check_step_transition(current, target)
    else:
        with pytest.raises(TransitionNotAllowed) as exc:
            check_step_transition(current, target)
        assert exc.value.extra == {"from": current, "to": target}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(CaseStatus.values, CaseStatus.values)))
def test_every_case_move_is_allowed_or_refused_as_the_table_says(current, target):
    if (current, target) in CASE_ALLOWED:
        check_case_transition(current, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            check_case_transition(current, target)


def test_tables_are_exactly_the_documented_moves():
    assert set(STEP_TRANSITIONS) == STEP_ALLOWED
    assert set(CASE_TRANSITIONS) == CASE_ALLOWED


def test_approved_is_left_only_by_reopening_and_todo_only_by_a_first_save():
    assert [t for t in STEP_TRANSITIONS if t[0] == "approved"] == [("approved", "returned")]
    assert STEP_TRANSITIONS[("approved", "returned")] == "reopen"
    assert [t for t in STEP_TRANSITIONS if t[0] == "todo"] == [("todo", "draft")]
    assert not [t for t in STEP_TRANSITIONS if t[1] == "todo"]


def test_no_step_is_submitted_past_an_unapproved_one():
    statuses = {0: "approved", 1: "approved", 2: "draft", 3: "submitted"}
    assert step_blockers(0, statuses) == []
    assert step_blockers(2, statuses) == []
    assert step_blockers(4, statuses) == [2, 3]
    assert current_step(statuses) == 2
    assert current_step(dict.fromkeys(STEPS, "approved")) == 8


@pytest.mark.parametrize("step", STEPS)
def test_an_empty_step_is_well_formed_but_incomplete(step):
    parsed = content_parse(step, content_empty(step))
    assert missing(step, parsed, GateFacts())


def test_malformed_content_names_each_field():
    with pytest.raises(ValidationFailed) as exc:
        content_parse(
            3,
            {
                "rows": [
                    {"location": "moon", "qty_checked": -1},
                    {"location": "wip", "qty_checked": 5, "qty_bad": 9},
                ]
            },
        )
    assert set(exc.value.fields) == {"rows.0.location", "rows.0.qty_checked", "rows.1.qty_bad"}
    with pytest.raises(ValidationFailed) as exc:
        content_parse(4, {"causes": [], "surprise": 1})
    assert set(exc.value.fields) == {"surprise"}
    with pytest.raises(ValidationFailed) as exc:
        content_parse(4, {"causes": [], "occurrence_cause_id": "C9"})
    assert set(exc.value.fields) == {"occurrence_cause_id"}
    with pytest.raises(ValidationFailed) as exc:
        content_parse(8, {"costs": [{"item": "scrap", "amount": "1.234"}]})
    assert "costs.0.amount" in exc.value.fields


def _d4(**over):
    base = {
        "causes": [
            {
                "id": "C1",
                "category": "environment",
                "text": "包装受潮",
                "status": "verified",
                "evidence": "运输记录",
            },
            {
                "id": "C2",
                "category": "method",
                "text": "出货检验不查包装",
                "status": "verified",
                "evidence": "检验规程",
            },
            {
                "id": "C3",
                "category": "material",
                "text": "钢材防锈油不足",
                "status": "refuted",
                "evidence": "盐雾试验合格",
            },
        ],
        "why_chains": [
            {"kind": "occurrence", "problem": "生锈", "whys": ["受潮", "包装进水", "无防水措施"]},
            {"kind": "escape", "problem": "未发现", "whys": ["未检查", "规程未要求", "未识别风险"]},
        ],
        "occurrence_root_cause": "运输无防水措施",
        "occurrence_cause_id": "C1",
        "escape_root_cause": "出货检验不查包装防护",
        "escape_cause_id": "C2",
    }
    base.update(over)
    return content_parse(4, base)


def test_d4_gate_refuses_weak_conclusions():
    assert missing(4, _d4(), GateFacts()) == []
    weak = _d4(
        causes=[{"id": "C1", "category": "environment", "text": "包装受潮", "status": "candidate"}],
        escape_cause_id="",
    )
    lacking = missing(4, weak, GateFacts())
    assert any("verified" in m for m in lacking)
    no_evidence = _d4(
        causes=[
            {"id": "C1", "category": "man", "text": "x", "status": "verified"},
            {"id": "C2", "category": "man", "text": "y", "status": "verified", "evidence": "e"},
        ]
    )
    assert any("evidence" in m for m in missing(4, no_evidence, GateFacts()))
    short_chain = _d4(why_chains=[{"kind": "occurrence", "whys": ["a", "b"]}])
    assert len(missing(4, short_chain, GateFacts())) == 2  # both chains lacking three whys


def test_d1_gate_needs_leader_champion_three_people_two_departments():
    ok = GateFacts(team_roles=("leader", "champion", "member"), team_departments=2)
    assert missing(1, content_parse(1, {}), ok) == []
    assert len(missing(1, content_parse(1, {}), GateFacts(team_roles=("leader",), team_departments=1))) == 3


def test_d6_d7_d8_gates_read_the_tracked_actions_and_sign_offs():
    d6 = content_parse(6, {"validation_results": "三批无锈", "containment_removed": True})
    assert missing(6, d6, GateFacts(actions={"corrective": (2, 0)})) == []
    assert missing(6, d6, GateFacts(actions={"corrective": (2, 1)}))
    assert missing(6, d6, GateFacts())
    d7 = content_parse(
        7,
        {
            "changes": [{"doc_type": "work_instruction", "document": "WI-PK-01", "new_revision": "B"}],
            "lessons_learned": "包装防护纳入设计评审",
        },
    )
    assert missing(7, d7, GateFacts(actions={"horizontal": (1, 0)})) == []
    assert missing(7, d7, GateFacts())
    d8 = content_parse(
        8,
        {
            "costs": [{"item": "sorting", "amount": "1200.50"}],
            "recognition": "感谢",
            "customer_summary": "已改进包装",
        },
    )
    assert missing(8, d8, GateFacts(cost_verified=True, summary_reviewed=True)) == []
    lacking = missing(8, d8, GateFacts(unfinished_actions=1))
    assert len(lacking) == 3
