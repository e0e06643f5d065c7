"""Assignment rules on intake, re-triage, and the transition table."""

import pytest

from closeloop.complaints.models import AssignmentRule, Category, ComplaintEvent
from closeloop.complaints.services import complaint_assign, complaint_mark_duplicate, complaint_triage
from closeloop.complaints.workflow import TRANSITIONS, Status, check_transition
from closeloop.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


def _new(actor, **kw):
    return complaint_intake(
        draft=ComplaintDraft(channel="phone", customer="C001", title="t", description="d", **kw), actor=actor
    )


@pytest.fixture
def rules(quality_dept, qe, qm, customer):
    from closeloop.accounts.tests.factories import department_make

    sales_dept = department_make("sales", "销售部", "Sales")
    AssignmentRule.objects.create(
        order=10,
        name="质量类",
        category=Category.objects.get(code="quality"),
        department=quality_dept,
        owner=qe,
    )
    AssignmentRule.objects.create(
        order=5,
        name="重点客户质量",
        category=Category.objects.get(code="quality"),
        customer=customer,
        product_family="hydraulics",
        department=quality_dept,
        owner=qm,
    )
    AssignmentRule.objects.create(
        order=20, name="交付类", category=Category.objects.get(code="delivery"), department=sales_dept
    )


def test_rule_by_parent_category_matches_subcategories(agent, rules, qe, frozen_now):
    c = _new(agent, category="quality-corrosion")
    assert (c.owner, c.department.code, c.assignment_rule.name) == (qe, "quality", "质量类")
    ev = ComplaintEvent.objects.get(complaint=c)
    assert ev.data["rule"] == "质量类"


def test_more_specific_rule_with_lower_order_wins(agent, rules, qm, frozen_now):
    from closeloop.customers.tests.factories import product_make

    product_make("P9", "油缸", family="hydraulics")
    c = _new(agent, category="quality-leakage", product="P9")
    assert c.owner == qm and c.assignment_rule.name == "重点客户质量"


def test_rule_without_owner_sets_department_only(agent, rules, frozen_now):
    c = _new(agent, category="delivery-late")
    assert c.owner is None and c.department.code == "sales"


def test_no_rule_leaves_it_unassigned(agent, rules, frozen_now):
    c = _new(agent, category="price-error")
    assert c.owner is None and c.department is None and c.assignment_rule is None


def test_explicit_owner_overrides_rules(qm, rules, agent, frozen_now):
    c = _new(qm, category="quality-corrosion", owner="agent")
    assert c.owner == agent and c.assignment_rule is None


def test_triage_recomputes_priority_with_current_weights(qm, agent, customer, frozen_now):
    from closeloop.complaints.models import PriorityWeights

    c = _new(agent, category="quality", severity="minor")
    w = PriorityWeights.current()
    w.severity_serious = 60
    w.save()
    c = complaint_triage(
        complaint=c,
        actor=qm,
        category=c.category,
        severity="serious",
        urgency="normal",
        impact_scope="single",
        safety_risk=False,
    )
    assert next(r for r in c.priority_breakdown if r["factor"] == "severity")["points"] == 60
    assert c.priority_score == sum(r["points"] for r in c.priority_breakdown)


def test_triage_needs_a_category_and_permission(qm, agent, customer, frozen_now):
    c = _new(agent)
    with pytest.raises(ValidationFailed) as exc:
        complaint_triage(
            complaint=c,
            actor=qm,
            category=None,
            severity="general",
            urgency="normal",
            impact_scope="single",
            safety_risk=False,
        )
    assert "category" in exc.value.fields
    with pytest.raises(PermissionDenied):
        complaint_triage(
            complaint=c,
            actor=agent,
            category=Category.objects.get(code="quality"),
            severity="general",
            urgency="normal",
            impact_scope="single",
            safety_risk=False,
        )


def test_merged_complaints_cannot_be_triaged_or_reassigned(qm, agent, customer, frozen_now):
    a, b = _new(agent), _new(agent)
    complaint_mark_duplicate(complaint=b, actor=qm, original=a)
    with pytest.raises(TransitionNotAllowed):
        complaint_triage(
            complaint=b,
            actor=qm,
            category=Category.objects.get(code="quality"),
            severity="general",
            urgency="normal",
            impact_scope="single",
            safety_risk=False,
        )
    with pytest.raises(TransitionNotAllowed):
        complaint_assign(complaint=b, actor=qm, owner=qm)
    with pytest.raises(ValidationFailed):
        complaint_mark_duplicate(complaint=_new(agent), actor=qm, original=b)  # no chains


def test_transition_table_is_the_only_way():
    assert (Status.REJECTED, Status.TRIAGED) not in TRANSITIONS
    with pytest.raises(TransitionNotAllowed) as exc:
        check_transition(Status.REJECTED, Status.TRIAGED)
    assert exc.value.extra == {"from": "rejected", "to": "triaged"}
