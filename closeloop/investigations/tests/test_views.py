"""The 8D pages through the Django test client: list scoping, the navigator, the step forms, gate
refusals, approval and send-back, conflicts, the team, tracked actions, sign-offs and permissions."""

import pytest

from closeloop.investigations.diagrams import fishbone_svg
from closeloop.investigations.models import Discipline, TeamMember
from closeloop.investigations.tests.factories import case_open, case_through, save

pytestmark = pytest.mark.django_db


@pytest.fixture
def inv(complaint, qm):
    return case_open(complaint, qm)


def _url(inv, suffix=""):
    return f"/8d/{inv.number}/{suffix}"


def _version(inv, step):
    return Discipline.objects.get(investigation=inv, step=step).version


def test_the_list_is_scoped_to_what_the_user_may_see(client, inv, qm, db):
    from closeloop.accounts import roles
    from closeloop.accounts.tests.factories import user_make

    client.force_login(qm)
    page = client.get("/8d/").content.decode()
    assert inv.number in page and 'id="case-list"' in page
    stranger = user_make("stranger", roles.SALESPERSON)
    client.force_login(stranger)
    page = client.get("/8d/").content.decode()
    assert inv.number not in page and 'id="case-empty"' in page
    assert client.get(_url(inv)).status_code == 404


def test_the_navigator_shows_each_steps_state_and_what_it_lacks(
    client, inv, qm, django_assert_max_num_queries
):
    client.force_login(qm)
    with django_assert_max_num_queries(40):
        page = client.get(_url(inv)).content.decode()
    assert 'id="step-nav"' in page and page.count('class="step-nav-item') == 9
    assert 'data-step="0" data-state="current"' in page
    assert 'data-step="2" data-state="blocked"' in page
    assert "请说明是否需要8D。" in page  # D0 still lacks: in the user's language
    assert 'id="fishbone"' in page and 'id="action-board"' in page and 'id="case-timeline"' in page


def test_save_a_draft_with_a_bad_row_keeps_every_input_and_names_the_field(client, inv, qm):
    client.force_login(qm)
    post = {
        "version": _version(inv, 3),
        "editable": "1",
        "intent": "save",
        "rows-count": "2",
        "rows-0-location": "customer_stock",
        "rows-0-action": "现场挑选",
        "rows-0-qty_checked": "100",
        "rows-0-qty_bad": "120",
        "suspect_lots": "L0805\nL0806",
        "effectiveness": "客户复检",
    }
    resp = client.post(_url(inv, "steps/3/"), post)
    assert resp.status_code == 422
    page = resp.content.decode()
    assert "不良数不能超过检查数。" in page and 'value="现场挑选"' in page and "L0805\nL0806" in page
    assert Discipline.objects.get(investigation=inv, step=3).status == "todo"
    post["rows-0-qty_bad"] = "12"
    resp = client.post(_url(inv, "steps/3/"), post)
    assert resp.status_code == 302
    d3 = Discipline.objects.get(investigation=inv, step=3)
    assert (
        d3.status == "draft"
        and d3.content["rows"][0]["qty_bad"] == 12
        and d3.content["suspect_lots"] == ["L0805", "L0806"]
    )
    assert len(d3.content["rows"]) == 1  # the blank row was dropped


def test_add_row_shows_one_more_blank_row_without_saving(client, inv, qm):
    client.force_login(qm)
    resp = client.post(
        _url(inv, "steps/2/"),
        {
            "version": _version(inv, 2),
            "editable": "1",
            "is_is_not-count": "1",
            "what": "生锈",
            "add_row": "is_is_not",
        },
    )
    page = resp.content.decode()
    assert 'name="is_is_not-1-dimension"' in page and 'value="生锈"' not in page  # what is a textarea
    assert ">生锈</textarea>" in page
    assert Discipline.objects.get(investigation=inv, step=2).status == "todo"


def test_submit_refused_by_the_gate_lists_what_is_missing_then_approve_and_send_back(client, inv, qm, gm):
    client.force_login(qm)
    resp = client.post(
        _url(inv, "steps/0/"),
        {"version": _version(inv, 0), "editable": "1", "intent": "submit", "needs_8d": "yes"},
    )
    assert resp.status_code == 422
    page = resp.content.decode()
    assert 'id="missing-list"' in page and "请描述紧急响应措施" in page
    assert Discipline.objects.get(investigation=inv, step=0).status == "draft"  # the typed answer was kept
    resp = client.post(
        _url(inv, "steps/0/"),
        {
            "version": _version(inv, 0),
            "editable": "1",
            "intent": "submit",
            "needs_8d": "yes",
            "emergency_actions": "隔离库存",
        },
    )
    assert resp.status_code == 302
    client.force_login(gm)
    assert client.post(_url(inv, "steps/0/approve/")).status_code == 403
    assert 'id="approve-step"' not in client.get(_url(inv) + "?step=0").content.decode()
    client.force_login(qm)
    resp = client.post(_url(inv, "steps/0/send-back/"), {"reason": ""})
    assert resp.status_code == 422 and Discipline.objects.get(investigation=inv, step=0).status == "submitted"
    client.post(_url(inv, "steps/0/send-back/"), {"reason": "应急措施不够具体"})
    d0 = Discipline.objects.get(investigation=inv, step=0)
    assert (d0.status, d0.return_reason) == ("returned", "应急措施不够具体")
    page = client.get(_url(inv) + "?step=0").content.decode()
    assert 'id="return-reason"' in page and "应急措施不够具体" in page
    client.post(
        _url(inv, "steps/0/"),
        {
            "version": d0.version,
            "editable": "1",
            "intent": "submit",
            "needs_8d": "yes",
            "emergency_actions": "次日到现场",
        },
    )
    assert client.post(_url(inv, "steps/0/approve/")).status_code == 302
    assert Discipline.objects.get(investigation=inv, step=0).status == "approved"


def test_a_conflict_shows_both_versions_and_keeps_what_was_typed(client, inv, qm):
    client.force_login(qm)
    stale = _version(inv, 2)
    save(inv, 2, qm, {"what": "他人保存的描述"})
    resp = client.post(
        _url(inv, "steps/2/"), {"version": stale, "editable": "1", "intent": "save", "what": "我输入的描述"}
    )
    assert resp.status_code == 409
    page = resp.content.decode()
    assert 'id="conflict"' in page and "他人保存的描述" in page and ">我输入的描述</textarea>" in page
    assert f'name="version" value="{stale + 1}"' in page  # saving again replaces theirs knowingly
    theirs = page.split('id="conflict-current"')[1]
    assert "他人保存的描述" in theirs and "我输入的描述" not in theirs and "<textarea" not in theirs
    assert Discipline.objects.get(investigation=inv, step=2).content["what"] == "他人保存的描述"
    resp = client.post(
        _url(inv, "steps/2/"),
        {"version": stale + 1, "editable": "1", "intent": "save", "what": "我输入的描述"},
    )
    assert resp.status_code == 302
    assert Discipline.objects.get(investigation=inv, step=2).content["what"] == "我输入的描述"


def test_the_gm_reads_but_gets_no_forms_and_cannot_post(client, inv, gm):
    client.force_login(gm)
    page = client.get(_url(inv) + "?step=2").content.decode()
    assert 'id="save-step"' not in page and 'id="submit-step"' not in page
    assert 'name="what"' not in page and "只有8D负责人、8D小组成员和质量部经理可以修改" not in page
    resp = client.post(
        _url(inv, "steps/2/"), {"version": _version(inv, 2), "editable": "1", "intent": "save", "what": "x"}
    )
    assert resp.status_code == 403
    for post in ({"editable": "0", "intent": "save"}, {"editable": "1", "add_row": "is_is_not"}):
        assert client.post(_url(inv, "steps/2/"), {"version": _version(inv, 2), **post}).status_code == 403
    assert client.post(_url(inv, "team/"), {"user": gm.pk, "role": "leader"}).status_code == 403


def test_team_add_and_remove(client, inv, qm, worker):
    client.force_login(qm)
    assert (
        client.post(
            _url(inv, "team/"), {"user": worker.pk, "role": "champion", "responsibility": "生产"}
        ).status_code
        == 302
    )
    assert TeamMember.objects.get(investigation=inv, user=worker).role == "champion"
    page = client.get(_url(inv) + "?step=1").content.decode()
    assert 'id="team-table"' in page and "生产主管" in page
    resp = client.post(_url(inv, "team/"), {"user": "", "role": "member"})
    assert resp.status_code == 422 and 'id="team-errors"' in resp.content.decode()
    client.post(_url(inv, "team/"), {"intent": "remove", "user": worker.pk})
    assert not TeamMember.objects.filter(investigation=inv, user=worker).exists()


def test_d6_plan_action_with_tracker_and_the_d8_signoffs(client, complaint, qm, qe, team, finance, salesmgr):
    inv = case_through(case_open(complaint, qm), upto=5, qm=qm, team=team, owner=qe)
    client.force_login(qm)
    resp = client.post(
        _url(inv, "actions/"),
        {
            "step": "6",
            "kind": "corrective",
            "title": "外箱缠绕尼龙薄膜",
            "owner": qe.pk,
            "tracker": qm.pk,
            "start_date": "2026-06-16",
            "due_date": "2026-06-30",
        },
    )
    assert resp.status_code == 302
    a = inv.actions.get()
    assert (a.kind, a.step, a.tracker, str(a.start_date)) == ("corrective", 6, qm, "2026-06-16")
    page = client.get(_url(inv) + "?step=6").content.decode()
    assert 'id="plan-table"' in page and "外箱缠绕尼龙薄膜" in page
    resp = client.post(
        _url(inv, "actions/"), {"step": "6", "kind": "corrective", "title": "", "due_date": "bad"}
    )
    assert resp.status_code == 422 and 'id="action-errors"' in resp.content.decode()
    client.force_login(finance)
    page = client.get(_url(inv) + "?step=8").content.decode()
    assert 'id="signoffs"' in page and 'id="verify-cost"' in page  # D8 not yet drafted: verifying is refused
    resp = client.post(_url(inv, "signoff/cost/"))
    assert resp.status_code == 422 and 'id="signoff-errors"' in resp.content.decode()


def test_the_8d_page_and_d8_signoff_buttons_by_role(client, complaint, qm, qe, team, finance, salesmgr):
    inv = case_through(case_open(complaint, qm), upto=7, qm=qm, team=team, owner=qe)
    save(inv, 8, qm)
    client.force_login(finance)
    page = client.get(_url(inv) + "?step=8").content.decode()
    assert 'id="verify-cost"' in page and 'id="review-summary"' not in page
    assert client.post(_url(inv, "signoff/cost/")).status_code == 302
    client.force_login(salesmgr)
    assert client.post(_url(inv, "signoff/cost/")).status_code == 403
    assert client.post(_url(inv, "signoff/summary/")).status_code == 302
    client.force_login(qm)
    assert (
        client.post(
            _url(inv, "steps/8/"), {"version": _version(inv, 8), "editable": "0", "intent": "submit"}
        ).status_code
        == 302
    )
    assert client.post(_url(inv, "steps/8/approve/")).status_code == 302
    inv.refresh_from_db()
    assert inv.status == "closed"
    page = client.get(_url(inv)).content.decode()
    assert '<span class="pill pill-minor" id="case-status">' in page


def test_fishbone_escapes_text_and_marks_verdicts():
    svg = fishbone_svg(
        causes=[
            {"category": "man", "text": "<script>alert(1)</script>", "status": "verified"},
            {"category": "material", "text": "防锈油不足", "status": "refuted"},
        ],
        head="生锈 & 腐蚀",
        labels={"man": "人", "material": "料"},
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'font-weight="700"' in svg and 'data-status="refuted"' in svg and "line-through" in svg
    assert "生锈 &amp; 腐蚀" in svg and ">人<" in svg


def test_the_complaint_page_starts_joins_and_escalates_to_an_8d(client, complaint, qm, agent, order):
    from closeloop.complaints.handling import complaint_start_handling
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake
    from closeloop.investigations.tests.factories import triage_quality

    triage_quality(complaint, qm)
    client.force_login(qm)
    page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert 'id="start-quick"' in page and 'id="start-8d"' in page
    resp = client.post(
        f"/complaints/{complaint.number}/start/", {"version": complaint.version + 1, "path": "8d"}
    )
    assert resp.status_code == 302
    complaint.refresh_from_db()
    case = complaint.investigation
    assert case is not None and complaint.handling_path == "8d"
    page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert 'id="case-card"' in page and case.number in page and "0/9" in page
    assert 'id="resolve-form"' not in page
    # a second complaint about the same problem joins the open case from its page
    second = complaint_intake(
        draft=ComplaintDraft(
            channel="email", order_number="SO-2026-0001", title="同批生锈", description="又一批"
        ),
        actor=agent,
    )
    second = triage_quality(second, qm)
    page = client.get(f"/complaints/{second.number}/").content.decode()
    assert f'<option value="{case.number}">' in page
    client.post(
        f"/complaints/{second.number}/start/",
        {"version": second.version, "path": "8d", "investigation": case.number},
    )
    second.refresh_from_db()
    assert second.investigation == case
    # a third, handled quickly, is escalated
    third = complaint_intake(
        draft=ComplaintDraft(
            channel="email", order_number="SO-2026-0001", title="第三次", description="仍生锈"
        ),
        actor=agent,
    )
    third = complaint_start_handling(complaint=triage_quality(third, qm), actor=qm, path="quick")
    page = client.get(f"/complaints/{third.number}/").content.decode()
    assert 'id="escalate-8d"' in page
    resp = client.post(
        f"/complaints/{third.number}/escalate/",
        {"version": third.version, "reason": "批量", "investigation": "8D-1999-0001"},
    )
    assert resp.status_code == 422 and 'id="escalate" open' in resp.content.decode()
    third.refresh_from_db()
    assert third.handling_path == "quick"
    client.post(f"/complaints/{third.number}/escalate/", {"version": third.version, "reason": "批量"})
    third.refresh_from_db()
    assert third.handling_path == "8d" and third.investigation not in (None, case)


def test_reopen_at_a_step_from_the_complaint_page(client, complaint, qm, qe, team, finance, salesmgr, agent):
    inv = case_through(
        case_open(complaint, qm), upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr
    )
    complaint.refresh_from_db()
    client.force_login(qm)
    page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert 'name="reopen_step"' in page
    resp = client.post(
        f"/complaints/{complaint.number}/verdict/",
        {"version": complaint.version, "satisfied": "no", "reopen_reason": "仍有锈迹"},
    )
    assert resp.status_code == 422 and "请选择8D重新开始的步骤。" in resp.content.decode()
    client.post(
        f"/complaints/{complaint.number}/verdict/",
        {"version": complaint.version, "satisfied": "no", "reopen_reason": "仍有锈迹", "reopen_step": "3"},
    )
    inv.refresh_from_db()
    assert (inv.status, inv.current_step) == ("open", 3)
    client.force_login(agent)  # recording an unsatisfied verdict is the quality manager's choice of step
    page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert 'name="reopen_step"' not in page


def test_a_handler_who_may_not_choose_the_reopen_step_is_told_beside_the_form(
    client, complaint, qm, qe, team, finance, salesmgr
):
    case_through(
        case_open(complaint, qm), upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr
    )
    complaint.refresh_from_db()
    client.force_login(qe)  # handles complaints, does not approve 8D steps
    resp = client.post(
        f"/complaints/{complaint.number}/verdict/",
        {"version": complaint.version, "satisfied": "no", "reopen_reason": "仍有锈迹", "reopen_step": "3"},
    )
    assert resp.status_code == 422 and "只有质量部经理可以选择8D从哪个步骤重新开始。" in resp.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_customer"
