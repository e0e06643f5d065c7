"""More of the 8D page: the D4 root-cause selects, the team's role change in place, the action board's
step buttons coming back to the case, htmx swaps, escaping of typed text, and a pinned query count on
a case with a full history."""

import pytest

from closeloop.actions import services as action_services
from closeloop.core import clock
from closeloop.investigations.models import Discipline, TeamMember
from closeloop.investigations.tests.factories import SEED_CONTENT, case_open, case_through, save

pytestmark = pytest.mark.django_db


@pytest.fixture
def inv(complaint, qm):
    return case_open(complaint, qm)


def _url(inv, suffix=""):
    return f"/8d/{inv.number}/{suffix}"


def _version(inv, step):
    return Discipline.objects.get(investigation=inv, step=step).version


def _d4_post(inv, **overrides):
    post = {
        "version": _version(inv, 4),
        "editable": "1",
        "intent": "save",
        "causes-count": "2",
        "causes-0-id": "C1",
        "causes-0-category": "environment",
        "causes-0-text": "运输途中包装受潮",
        "causes-0-status": "verified",
        "causes-0-evidence": "淋雨试验复现",
        "causes-1-id": "C2",
        "causes-1-category": "measurement",
        "causes-1-text": "出货检验未查包装防水",
        "causes-1-status": "candidate",
        "why_chains-count": "1",
        "why_chains-0-kind": "occurrence",
        "why_chains-0-problem": "杆身生锈",
        "why_chains-0-whys": "包装受潮\n纸箱无防水层\n<b>未评审</b>",
        "occurrence_root_cause": "包装无防水设计",
        "occurrence_cause_id": "C1",
    }
    post.update(overrides)
    return post


def test_d4_root_causes_are_chosen_among_the_causes_typed_on_the_fishbone(client, inv, qm):
    client.force_login(qm)
    resp = client.post(_url(inv, "steps/4/"), _d4_post(inv, occurrence_cause_id="C9"))
    assert resp.status_code == 422
    page = resp.content.decode()
    # the select offers the causes as typed, keeps the unknown choice visible and says what is wrong
    assert '<select name="occurrence_cause_id" id="occurrence_cause_id"' in page
    assert '<option value="C1">C1 · 运输途中包装受潮</option>' in page
    assert '<option value="C9" selected>C9</option>' in page and 'id="occurrence_cause_id-errors"' in page
    assert Discipline.objects.get(investigation=inv, step=4).status == "todo"

    assert client.post(_url(inv, "steps/4/"), _d4_post(inv)).status_code == 302
    d4 = Discipline.objects.get(investigation=inv, step=4)
    assert d4.content["occurrence_cause_id"] == "C1"
    assert d4.content["why_chains"][0]["whys"] == ["包装受潮", "纸箱无防水层", "<b>未评审</b>"]
    page = client.get(_url(inv) + "?step=4").content.decode()
    assert '<option value="C1" selected>C1 · 运输途中包装受潮</option>' in page
    # typed text is drawn in the 5-Why chain and on the fishbone, escaped
    chains = page.split('id="why-chains"')[1].split('id="action-board"')[0]
    assert "&lt;b&gt;未评审&lt;/b&gt;" in chains and "<b>未评审</b>" not in chains
    assert 'data-kind="occurrence"' in chains and chains.count('class="why-box"') == 3
    fishbone = page.split('id="fishbone"')[1].split('id="why-chains"')[0]
    assert 'font-weight="700"' in fishbone and "运输途中包装受潮" in fishbone


def test_htmx_posts_get_the_case_body_back_in_place_even_with_errors(client, inv, qm):
    client.force_login(qm)
    resp = client.post(
        _url(inv, "steps/3/"),
        {
            "version": _version(inv, 3),
            "editable": "1",
            "intent": "save",
            "rows-count": "1",
            "rows-0-location": "warehouse",
            "rows-0-action": "库存全检",
            "rows-0-qty_checked": "十",
        },
        HTTP_HX_REQUEST="true",
    )
    page = resp.content.decode()
    assert resp.status_code == 200 and "<html" not in page  # htmx swaps only 2xx bodies
    assert 'id="step-form"' in page and 'name="rows-0-qty_checked" id="rows-0-qty_checked" aria-label' in page
    assert 'value="十"' in page and "is-invalid" in page
    assert Discipline.objects.get(investigation=inv, step=3).status == "todo"


def test_the_navigator_says_what_each_step_waits_for(client, inv, qm):
    client.force_login(qm)
    page = client.get(_url(inv)).content.decode()
    gaps = page.split('id="step-gaps"')[1].split("</details>")[0]
    assert '<dt class="col-sm-2">D0</dt>' in gaps and "D2</dt>" in gaps
    d2_tab = page.split('data-step="2" data-state="blocked"')[1].split("</li>")[0]
    assert "D1" in d2_tab.split('title="')[1].split('"')[0]  # blocked by D1, said on hover


def test_a_team_members_role_is_changed_in_place(client, inv, qm, qe, worker):
    client.force_login(qm)
    client.post(_url(inv, "team/"), {"user": worker.pk, "role": "member", "responsibility": "生产"})
    page = client.get(_url(inv) + "?step=1").content.decode()
    assert f'id="role-{worker.pk}"' in page
    member = TeamMember.objects.get(investigation=inv, user=worker)
    resp = client.post(
        _url(inv, "team/"),
        {"user": worker.pk, "role": "leader", "department": member.department_id, "responsibility": "生产"},
    )
    assert resp.status_code == 302
    member.refresh_from_db()
    inv.refresh_from_db()
    assert (member.role, member.responsibility, inv.owner) == ("leader", "生产", worker)


def test_an_action_started_from_the_board_comes_back_to_the_case(client, complaint, qm, qe, team):
    inv = case_through(case_open(complaint, qm), upto=5, qm=qm, team=team, owner=qe)
    a = action_services.action_create(
        complaint=complaint,
        actor=qm,
        title="外箱缠绕尼龙薄膜",
        owner=qe,
        due_date=clock.today(),
        kind="corrective",
        investigation=inv,
        step=6,
        tracker=qm,
    )
    client.force_login(qe)
    page = client.get(_url(inv) + "?step=6").content.decode()
    board = page.split('id="action-board"')[1].split('id="case-timeline"')[0]
    assert f'data-action="{a.pk}"' in board and 'name="next" value="8d"' in board
    resp = client.post(f"/actions/{a.pk}/start/", {"version": a.version, "next": "8d"})
    assert resp.status_code == 302 and resp["Location"] == f"/8d/{inv.number}/?step=6"
    a.refresh_from_db()
    assert a.status == "in_progress"
    page = client.get(_url(inv) + "?step=6").content.decode()
    column = page.split('data-status="in_progress"')[1].split('class="board-col')[0]
    assert "外箱缠绕尼龙薄膜" in column


def test_the_case_page_stays_within_its_query_budget(
    client, complaint, qm, qe, team, finance, salesmgr, django_assert_max_num_queries
):
    inv = case_through(case_open(complaint, qm), upto=7, qm=qm, team=team, owner=qe)
    save(inv, 8, qm, SEED_CONTENT[8])
    client.force_login(qm)
    for step in (1, 4, 6, 8):
        with django_assert_max_num_queries(22):
            resp = client.get(_url(inv) + f"?step={step}")
        assert resp.status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/8d/").status_code == 200
