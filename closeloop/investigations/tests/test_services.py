"""8D services on the real database: gates, approvals, send-back, versions, permissions, closure and
reopening through the complaint's verdict."""

import pytest

from closeloop.actions import services as action_services
from closeloop.complaints.handling import (
    complaint_escalate_to_8d,
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import ComplaintEvent
from closeloop.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from closeloop.investigations import services
from closeloop.investigations.models import Discipline, InvestigationEvent, TeamMember
from closeloop.investigations.selectors import investigation_navigator
from closeloop.investigations.services import StepIncomplete
from closeloop.investigations.tests.factories import (
    SEED_CONTENT,
    case_open,
    case_through,
    save,
    step_version,
    triage_quality,
)

pytestmark = pytest.mark.django_db


def _step(inv, n):
    return Discipline.objects.get(investigation=inv, step=n)


def test_opening_an_8d_links_the_complaint_and_lays_out_d0_to_d8(complaint, qm):
    inv = case_open(complaint, qm)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.handling_path, complaint.investigation) == ("in_progress", "8d", inv)
    assert inv.number.startswith("8D-2026-") and inv.status == "open" and inv.current_step == 0
    assert list(inv.disciplines.values_list("step", "status")) == [(s, "todo") for s in range(9)]
    assert TeamMember.objects.get(investigation=inv).role == "leader"
    assert ComplaintEvent.objects.filter(complaint=complaint, verb="8d_linked").exists()


def test_a_full_8d_closes_and_the_complaint_awaits_then_closes_with_the_customer(
    complaint, qm, qe, team, finance, salesmgr
):
    inv = case_open(complaint, qm)
    inv = case_through(inv, upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr)
    assert (inv.status, inv.current_step, str(inv.cost_total), str(inv.cost_recovered)) == (
        "closed",
        8,
        "2500.00",
        "300.00",
    )
    assert inv.root_cause_category == "environment"
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_customer"
    assert "尼龙薄膜" in complaint.resolution
    c = complaint_record_verdict(complaint=complaint, actor=qm, satisfied=True, score=5, comment="满意")
    assert c.status == "closed"
    verbs = list(
        InvestigationEvent.objects.filter(investigation=inv, verb="step_approved").values_list(
            "step", flat=True
        )
    )
    assert verbs == list(range(9))


def test_the_gate_refuses_an_incomplete_step_with_what_is_missing(complaint, qm):
    inv = case_open(complaint, qm)
    save(inv, 0, qm, {"needs_8d": True})
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=0, actor=qm)
    assert exc.value.extra["missing"] == ["Describe the emergency response (or say why none is needed)."]
    assert _step(inv, 0).status == "draft"
    nav = investigation_navigator(investigation=inv)
    assert nav[0].missing == exc.value.extra["missing"] and nav[0].state == "current"


def test_no_step_is_submitted_before_the_earlier_ones_are_approved(complaint, qm):
    inv = case_open(complaint, qm)
    save(inv, 2, qm)
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=2, actor=qm)
    assert "D0, D1" in exc.value.extra["missing"][0]


def test_a_step_sent_back_keeps_its_reason_and_is_submitted_again(complaint, qm):
    inv = case_open(complaint, qm)
    save(inv, 0, qm)
    services.discipline_submit(investigation=inv, step=0, actor=qm)
    with pytest.raises(ValidationFailed) as exc:
        services.discipline_send_back(investigation=inv, step=0, actor=qm, reason=" ")
    assert "reason" in exc.value.fields
    services.discipline_send_back(investigation=inv, step=0, actor=qm, reason="应急措施写得不具体")
    d0 = _step(inv, 0)
    assert (d0.status, d0.return_reason) == ("returned", "应急措施写得不具体")
    save(inv, 0, qm, {**SEED_CONTENT[0], "emergency_actions": "次日上午9点前到达现场"})
    assert _step(inv, 0).status == "returned"
    services.discipline_submit(investigation=inv, step=0, actor=qm)
    services.discipline_approve(investigation=inv, step=0, actor=qm)
    inv.refresh_from_db()
    assert (_step(inv, 0).status, inv.current_step) == ("approved", 1)


def test_the_second_of_two_concurrent_saves_gets_a_conflict_with_the_current_content(complaint, qm, qe):
    inv = case_open(complaint, qm)
    v = step_version(inv, 2)
    services.discipline_save(
        investigation=inv, step=2, actor=qm, content={"what": "生锈"}, expected_version=v
    )
    with pytest.raises(Conflict) as exc:
        services.discipline_save(
            investigation=inv, step=2, actor=qm, content={"what": "锈蚀"}, expected_version=v
        )
    assert exc.value.extra["current_content"]["what"] == "生锈"
    assert exc.value.extra["current_version"] == v + 1
    assert _step(inv, 2).content["what"] == "生锈"


def test_submitted_and_approved_steps_are_locked(complaint, qm):
    inv = case_open(complaint, qm)
    save(inv, 0, qm)
    services.discipline_submit(investigation=inv, step=0, actor=qm)
    with pytest.raises(TransitionNotAllowed):
        save(inv, 0, qm)
    with pytest.raises(TransitionNotAllowed):
        services.discipline_submit(investigation=inv, step=0, actor=qm)
    services.discipline_approve(investigation=inv, step=0, actor=qm)
    with pytest.raises(TransitionNotAllowed):
        services.discipline_approve(investigation=inv, step=0, actor=qm)


def test_only_the_team_owner_and_quality_managers_change_an_8d(complaint, qm, qe, gm, worker, agent):
    inv = case_open(complaint, qm)
    for outsider in (gm, agent, worker):
        with pytest.raises(PermissionDenied):
            save(inv, 2, outsider, {"what": "x"})
    services.team_member_set(investigation=inv, actor=qm, user=worker, role="member")
    save(inv, 2, worker, {"what": "生锈"})  # now on the team
    save(inv, 0, qm)
    services.discipline_submit(investigation=inv, step=0, actor=worker)
    for not_approver in (worker, gm, qe):
        with pytest.raises(PermissionDenied):
            services.discipline_approve(investigation=inv, step=0, actor=not_approver)


def test_d1_team_needs_a_champion_and_several_departments(complaint, qm, qe, worker):
    inv = case_open(complaint, qm)
    services.team_member_set(investigation=inv, actor=qm, user=qe, role="leader")
    assert TeamMember.objects.get(investigation=inv, user=qm).role == "member"  # previous leader
    inv.refresh_from_db()
    assert inv.owner == qe
    save(inv, 0, qm)
    services.discipline_submit(investigation=inv, step=0, actor=qm)
    services.discipline_approve(investigation=inv, step=0, actor=qm)
    save(inv, 1, qm)
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=1, actor=qm)
    assert exc.value.extra["missing"] == [
        "Name the champion.",
        "A team has at least three people.",
        "The team should come from at least two departments.",
    ]
    services.team_member_set(investigation=inv, actor=qm, user=worker, role="champion")
    with pytest.raises(ValidationFailed) as exc:
        services.team_member_remove(investigation=inv, actor=qm, user=qe)
    assert exc.value.fields == {"user": ["Name another leader before removing this one."]}
    services.discipline_submit(investigation=inv, step=1, actor=qm)
    with pytest.raises(TransitionNotAllowed):
        services.team_member_set(investigation=inv, actor=qm, user=qe, role="member")
    with pytest.raises(TransitionNotAllowed):
        services.team_member_remove(investigation=inv, actor=qm, user=worker)


def test_d4_refuses_a_conclusion_without_a_verified_cause(complaint, qm, qe, team):
    inv = case_through(case_open(complaint, qm), upto=3, qm=qm, team=team, owner=qe)
    weak = {
        **SEED_CONTENT[4],
        "causes": [{**c, "status": "candidate", "evidence": ""} for c in SEED_CONTENT[4]["causes"]],
    }
    save(inv, 4, qm, weak)
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=4, actor=qm)
    assert "No cause is verified: a root cause needs evidence, not a guess." in exc.value.extra["missing"]


def test_d6_is_approved_only_while_its_corrective_actions_stay_verified(complaint, qm, qe, team):
    import datetime as dt

    from closeloop.investigations.tests.factories import tracked_action_done

    inv = case_through(case_open(complaint, qm), upto=5, qm=qm, team=team, owner=qe)
    save(inv, 6, qm)
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=6, actor=qm)
    assert exc.value.extra["missing"] == ["Plan the corrective actions (department, start, finish, tracker)."]
    tracked_action_done(inv, kind="corrective", step=6, requester=qm, owner=qe, tracker=qm)
    services.discipline_submit(investigation=inv, step=6, actor=qm)
    action_services.action_create(
        complaint=complaint,
        actor=qm,
        title="出货检验增加包装检查",
        owner=qe,
        due_date=dt.date(2026, 7, 1),
        kind="corrective",
        investigation=inv,
        step=6,
        tracker=qm,
    )
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_approve(investigation=inv, step=6, actor=qm)
    assert exc.value.extra["missing"] == ["1 corrective action(s) not yet verified by their tracker."]


def test_finance_verification_is_voided_when_the_cost_changes(complaint, qm, qe, team, finance, salesmgr):
    inv = case_through(case_open(complaint, qm), upto=7, qm=qm, team=team, owner=qe)
    save(inv, 8, qm)
    with pytest.raises(PermissionDenied):
        services.investigation_cost_verify(investigation=inv, actor=qm)
    with pytest.raises(PermissionDenied):
        services.investigation_summary_review(investigation=inv, actor=qm)
    services.investigation_cost_verify(investigation=inv, actor=finance)
    services.investigation_summary_review(investigation=inv, actor=salesmgr)
    changed = {**SEED_CONTENT[8], "costs": [{"item": "travel", "amount": "900.00"}]}
    save(inv, 8, qm, changed)
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=8, actor=qm)
    assert exc.value.extra["missing"] == ["Finance has not verified the cost (财务认证)."]
    services.investigation_cost_verify(investigation=inv, actor=finance)
    services.discipline_submit(investigation=inv, step=8, actor=qm)


def test_an_unsatisfied_customer_reopens_the_8d_at_the_step_the_quality_manager_chooses(
    complaint, qm, qe, team, finance, salesmgr, agent
):
    inv = case_through(
        case_open(complaint, qm), upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr
    )
    complaint.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        complaint_record_verdict(complaint=complaint, actor=qm, satisfied=False, reopen_reason="仍有锈迹")
    assert "reopen_step" in exc.value.fields
    with pytest.raises(PermissionDenied):
        complaint_record_verdict(
            complaint=complaint, actor=qe, satisfied=False, reopen_reason="仍有锈迹", reopen_step=4
        )
    c = complaint_record_verdict(
        complaint=complaint, actor=qm, satisfied=False, score=2, reopen_reason="仍有锈迹", reopen_step=4
    )
    inv.refresh_from_db()
    assert (c.status, c.reopen_count, inv.status, inv.reopen_count, inv.current_step) == (
        "in_progress",
        1,
        "open",
        1,
        4,
    )
    statuses = dict(inv.disciplines.values_list("step", "status"))
    assert [statuses[s] for s in range(9)] == ["approved"] * 4 + ["returned"] * 5
    assert _step(inv, 4).return_reason == "仍有锈迹"
    with pytest.raises(TransitionNotAllowed):
        complaint_resolve(complaint=c, actor=qm, resolution="x")  # an 8D complaint resolves by closing its 8D


def test_a_quick_resolution_escalates_and_a_second_complaint_joins_the_same_8d(
    complaint, qm, qe, team, finance, salesmgr, agent, order
):
    c = complaint_start_handling(complaint=triage_quality(complaint, qm), actor=qm)
    c = complaint_escalate_to_8d(complaint=c, actor=qm, reason="批量问题，需要8D")
    assert (c.handling_path, c.status) == ("8d", "in_progress")
    inv = c.investigation
    with pytest.raises(TransitionNotAllowed):
        complaint_escalate_to_8d(complaint=c, actor=qm)
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    second = complaint_intake(
        draft=ComplaintDraft(
            channel="email", order_number="SO-2026-0001", title="同批螺丝刀生锈", description="又发现生锈"
        ),
        actor=agent,
    )
    second = complaint_start_handling(
        complaint=triage_quality(second, qm), actor=qm, path="8d", investigation=inv
    )
    assert second.investigation == inv
    case_through(inv, upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr)
    c.refresh_from_db()
    second.refresh_from_db()
    assert c.status == second.status == "awaiting_customer"
    assert ComplaintEvent.objects.filter(complaint=second, verb="8d_closed").exists()


def test_events_of_an_8d_are_append_only(complaint, qm):
    inv = case_open(complaint, qm)
    ev = InvestigationEvent.objects.filter(investigation=inv).first()
    with pytest.raises(PermissionError):
        ev.save()
    with pytest.raises(PermissionError):
        InvestigationEvent.objects.filter(investigation=inv).delete()


def test_the_path_chosen_at_triage_is_followed_when_handling_starts(complaint, qm):
    from closeloop.complaints.models import Category
    from closeloop.complaints.services import complaint_triage

    def triage(path):
        return complaint_triage(
            complaint=complaint,
            actor=qm,
            category=Category.objects.get(code="quality-corrosion"),
            severity="serious",
            urgency="urgent",
            impact_scope="single",
            safety_risk=False,
            handling_path=path,
        )

    with pytest.raises(ValidationFailed) as exc:
        triage("slow")
    assert list(exc.value.fields) == ["handling_path"]
    c = triage("8d")
    assert (c.status, c.handling_path) == ("triaged", "8d")
    c = complaint_start_handling(complaint=c, actor=qm)
    assert c.handling_path == "8d" and c.investigation is not None


def test_the_team_asks_finance_and_the_sales_manager_to_sign_off_d8(
    complaint, qm, qe, team, finance, salesmgr
):
    from closeloop.notifications.models import Notification

    inv = case_through(case_open(complaint, qm), upto=7, qm=qm, team=team, owner=qe)
    with pytest.raises(ValidationFailed) as exc:
        services.investigation_signoff_request(investigation=inv, actor=qe)
    assert set(exc.value.fields) == {"costs", "customer_summary"}
    save(inv, 8, qm)
    services.investigation_signoff_request(investigation=inv, actor=qe)
    asked = set(
        Notification.objects.filter(verb__in=["cost_verification", "customer_summary_review"]).values_list(
            "recipient__username", "verb", "reason"
        )
    )
    assert asked == {
        ("finance", "cost_verification", "role_finance"),
        ("salesmgr", "customer_summary_review", "role_sales_manager"),
    }
    services.investigation_cost_verify(investigation=inv, actor=finance)
    Notification.objects.all().delete()
    services.investigation_signoff_request(investigation=inv, actor=qe)
    assert list(Notification.objects.values_list("verb", flat=True)) == ["customer_summary_review"]


def test_a_case_found_unnecessary_is_cancelled_and_its_complaints_go_back_to_quick(complaint, qm, qe):
    inv = case_open(complaint, qm)
    save(inv, 0, qm, {"needs_8d": False, "emergency_actions": "无需", "reason": "单件外观问题"})
    with pytest.raises(StepIncomplete) as exc:
        services.discipline_submit(investigation=inv, step=0, actor=qm)
    assert "quick path" in exc.value.extra["missing"][0]
    with pytest.raises(PermissionDenied):
        services.investigation_cancel(investigation=inv, actor=qe, reason="不需要")
    with pytest.raises(ValidationFailed):
        services.investigation_cancel(investigation=inv, actor=qm, reason="")
    inv = services.investigation_cancel(investigation=inv, actor=qm, reason="单件外观问题，无需8D")
    complaint.refresh_from_db()
    assert (inv.status, complaint.status, complaint.handling_path) == ("cancelled", "in_progress", "quick")
    assert ComplaintEvent.objects.filter(complaint=complaint, verb="8d_cancelled").exists()
    with pytest.raises(ValidationFailed):
        save(inv, 2, qm, {"what": "x"})
    with pytest.raises(TransitionNotAllowed):
        services.investigation_cancel(investigation=inv, actor=qm, reason="again")
    c = complaint_resolve(complaint=complaint, actor=qm, resolution="已更换")
    assert c.status == "awaiting_customer"


def test_the_customers_answer_is_told_to_the_owner_the_salesperson_and_the_8d_team(
    complaint, qm, qe, team, finance, salesmgr, agent
):
    from closeloop.notifications.models import Notification

    inv = case_through(
        case_open(complaint, qm), upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr
    )
    complaint.refresh_from_db()
    complaint_record_verdict(complaint=complaint, actor=qm, satisfied=True, score=4)
    told = set(
        Notification.objects.filter(verb="verdict_recorded").values_list("recipient__username", "reason")
    )
    assert told == {("agent", "recorder"), ("qe", "team_member"), ("prod", "team_member")}  # qm acted
    assert inv.pk == Notification.objects.filter(verb="verdict_recorded").first().investigation_id
