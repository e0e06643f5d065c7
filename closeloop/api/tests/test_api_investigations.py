"""API: the 8D through HTTP only — every step, permissions, conflicts, field errors, no way past a gate."""

from __future__ import annotations

import json

import pytest

from closeloop.actions.models import Action
from closeloop.api.errors import SERVER_OWNED
from closeloop.complaints.models import Complaint
from closeloop.investigations.models import Discipline, Investigation, InvestigationEvent, TeamMember
from closeloop.investigations.tests.factories import SEED_CONTENT, case_through, save, triage_quality

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(api, complaint, qm):
    triage_quality(complaint, qm)
    resp = api(qm).post(f"/complaints/{complaint.number}/start", {"path": "8d"})
    assert resp.status_code == 200, resp.json()
    number = resp.json()["investigation"]
    assert number.startswith("8D-")
    return number


@pytest.fixture
def put(client, bearer):
    def do(user, path, body):
        return client.put(f"/api/v1{path}", json.dumps(body), content_type="application/json", **bearer(user))

    return do


@pytest.fixture
def delete(client, bearer):
    def do(user, path):
        return client.delete(f"/api/v1{path}", **bearer(user))

    return do


def _version(api, user, number, step):
    return api(user).get(f"/8d/{number}").json()["steps"][step]["version"]


def _pass(api, put, user, number, step, content=None):
    resp = put(
        user,
        f"/8d/{number}/steps/{step}",
        {"version": _version(api, user, number, step), "content": content or SEED_CONTENT[step]},
    )
    assert resp.status_code == 200, resp.json()
    resp = api(user).post(f"/8d/{number}/steps/{step}/submit", {})
    assert resp.status_code == 200, resp.json()
    resp = api(user).post(f"/8d/{number}/steps/{step}/approve", {"note": "ok"})
    assert resp.status_code == 200, resp.json()
    return resp.json()


def _tracked(api, qm, qe, number, kind, step):
    resp = api(qm).post(
        f"/8d/{number}/actions",
        {
            "title": f"{kind}",
            "kind": kind,
            "step": step,
            "owner": "qe",
            "tracker": "qm",
            "due_date": "2026-06-30",
            "start_date": "2026-06-16",
        },
    )
    assert resp.status_code == 201, resp.json()
    a = resp.json()
    assert (a["investigation"], a["step"], a["tracker"], a["start_date"]) == (
        number,
        step,
        "qm",
        "2026-06-16",
    )
    assert api(qe).post(f"/actions/{a['id']}/complete", {"note": "完成"}).status_code == 200
    assert api(qm).post(f"/actions/{a['id']}/verify", {"note": "有效"}).status_code == 200


def test_a_whole_8d_through_the_api(api, put, case, complaint, qm, qe, worker, finance, salesmgr):
    number = case
    _pass(api, put, qm, number, 0)
    for username, role in (("qe", "leader"), ("qm", "champion"), ("prod", "member")):
        resp = put(qm, f"/8d/{number}/team/{username}", {"role": role, "responsibility": "现场"})
        assert resp.status_code == 200, resp.json()
    body = _pass(api, put, qm, number, 1)
    assert {(m["user"], m["role"]) for m in body["team"]} == {
        ("qe", "leader"),
        ("qm", "champion"),
        ("prod", "member"),
    }
    for step in (2, 3, 4, 5):
        _pass(api, put, qm, number, step)
    _tracked(api, qm, qe, number, "corrective", 6)
    _pass(api, put, qm, number, 6)
    _tracked(api, qm, qe, number, "horizontal", 7)
    _pass(api, put, qm, number, 7)
    put(qm, f"/8d/{number}/steps/8", {"version": _version(api, qm, number, 8), "content": SEED_CONTENT[8]})
    assert api(qm).post(f"/8d/{number}/signoff-request", {}).status_code == 200
    assert api(finance).post(f"/8d/{number}/cost-verification", {"note": "已核"}).status_code == 200
    resp = api(salesmgr).post(f"/8d/{number}/summary-review", {})
    assert resp.json()["summary_reviewed"] == {
        **resp.json()["summary_reviewed"],
        "by": "salesmgr",
        "valid": True,
    }
    assert api(qm).post(f"/8d/{number}/steps/8/submit", {}).status_code == 200
    body = api(qm).post(f"/8d/{number}/steps/8/approve", {}).json()
    assert (body["status"], body["cost_total"], body["cost_recovered"]) == ("closed", "2500.00", "300.00")
    c = api(qm).get(f"/complaints/{complaint.number}").json()
    assert (c["status"], c["investigation"]) == ("awaiting_customer", number)
    verbs = [e["verb"] for e in api(qm).get(f"/8d/{number}/timeline").json()]
    assert verbs[0] == "opened" and verbs[-1] == "closed" and verbs.count("step_approved") == 9
    # not satisfied: reopened where the quality manager chooses
    resp = api(qm).post(
        f"/complaints/{complaint.number}/verdict",
        {"satisfied": False, "reopen_reason": "仍有锈", "reopen_step": 5},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "in_progress"
    body = api(qm).get(f"/8d/{number}").json()
    assert (body["status"], body["current_step"], body["reopen_count"]) == ("open", 5, 1)
    assert [s["status"] for s in body["steps"]][4:] == [
        "approved",
        "returned",
        "returned",
        "returned",
        "returned",
    ]


def _snapshot(number):
    """Everything a refused write must leave as it was."""
    inv = Investigation.objects.get(number=number)
    return (
        list(
            Discipline.objects.filter(investigation=inv)
            .order_by("step")
            .values_list("step", "status", "version", "content", "submitted_by", "approved_by")
        ),
        Investigation.objects.values_list(
            "status",
            "current_step",
            "version",
            "reopen_count",
            "closed_at",
            "cost_verified_by",
            "summary_reviewed_by",
            "cost_total",
        ).get(pk=inv.pk),
        sorted(TeamMember.objects.filter(investigation=inv).values_list("user__username", "role")),
        sorted(Action.objects.filter(investigation=inv).values_list("title", "status", "version")),
        sorted(Complaint.objects.filter(investigation=inv).values_list("number", "status", "version")),
        InvestigationEvent.objects.filter(investigation=inv).count(),
    )


GM_WRITES = {
    "save D0": ("put", "/steps/0", {"version": 1, "content": {"needs_8d": True}}),
    "submit D0": ("post", "/steps/0/submit", {}),
    "approve D0": ("post", "/steps/0/approve", {}),
    "send D0 back": ("post", "/steps/0/send-back", {"reason": "x"}),
    "join the team": ("put", "/team/gm", {"role": "leader"}),
    "take someone off": ("delete", "/team/qe", None),
    "verify the cost": ("post", "/cost-verification", {}),
    "review the summary": ("post", "/summary-review", {}),
    "ask for sign-offs": ("post", "/signoff-request", {}),
    "cancel": ("post", "/cancel", {"reason": "x"}),
    "add an action": ("post", "/actions", {"title": "x", "owner": "qm", "due_date": "2026-07-01"}),
}


@pytest.mark.parametrize("write", list(GM_WRITES))
def test_the_gm_reads_every_8d_but_every_write_is_403(api, put, delete, case, gm, qm, qe, write):
    assert put(qm, f"/8d/{case}/team/qe", {"role": "member"}).status_code == 200
    assert api(gm).get(f"/8d/{case}").status_code == 200
    assert api(gm).get(f"/8d/{case}/timeline").status_code == 200
    assert api(gm).get(f"/8d/{case}/actions").status_code == 200
    assert [c["number"] for c in api(gm).get("/8d").json()] == [case]
    before = _snapshot(case)
    method, path, body = GM_WRITES[write]
    if method == "put":
        resp = put(gm, f"/8d/{case}{path}", body)
    elif method == "delete":
        resp = delete(gm, f"/8d/{case}{path}")
    else:
        resp = api(gm).post(f"/8d/{case}{path}", body)
    assert resp.status_code == 403, resp.json()
    assert resp.json()["code"] == "permission_denied"
    assert _snapshot(case) == before


def test_a_case_is_invisible_to_whoever_cannot_see_its_complaints(api, case, db):
    from closeloop.accounts import roles
    from closeloop.accounts.tests.factories import user_make

    stranger = user_make("stranger", roles.SALESPERSON)
    assert api(stranger).get(f"/8d/{case}").status_code == 404
    assert api(stranger).get("/8d").json() == []
    assert api(stranger).post(f"/8d/{case}/steps/0/submit", {}).status_code == 404


def test_a_stale_save_is_a_409_with_the_current_content(api, put, case, qm):
    v = _version(api, qm, case, 2)
    assert put(qm, f"/8d/{case}/steps/2", {"version": v, "content": {"what": "生锈"}}).status_code == 200
    resp = put(qm, f"/8d/{case}/steps/2", {"version": v, "content": {"what": "锈蚀"}})
    assert resp.status_code == 409
    body = resp.json()
    assert (body["code"], body["current_version"], body["current_content"]["what"]) == (
        "conflict",
        v + 1,
        "生锈",
    )


def test_malformed_content_names_each_field_and_saves_nothing(api, put, case, qm):
    v = _version(api, qm, case, 3)
    bad = {
        "rows": [
            {"location": "moon", "qty_checked": 5, "qty_bad": 1},
            {"location": "wip", "qty_checked": 1, "qty_bad": 2},
        ]
    }
    resp = put(qm, f"/8d/{case}/steps/3", {"version": v, "content": bad})
    assert resp.status_code == 422
    assert set(resp.json()["fields"]) == {"content.rows.0.location", "content.rows.1.qty_bad"}
    assert _version(api, qm, case, 3) == v
    resp = put(qm, f"/8d/{case}/steps/9", {"version": 1, "content": {}})
    assert resp.status_code == 404


def test_the_gate_answers_with_what_is_missing(api, put, case, qm):
    put(qm, f"/8d/{case}/steps/0", {"version": _version(api, qm, case, 0), "content": {"needs_8d": True}})
    resp = api(qm).post(f"/8d/{case}/steps/0/submit", {})
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "step_incomplete" and len(body["missing"]) == 1
    assert api(qm).get(f"/8d/{case}").json()["steps"][0]["missing"] == body["missing"]


def _post(api, user, number, path, body=None):
    return lambda: api(user).post(f"/8d/{number}{path}", body or {})


def _save(api, put, user, number, step, content, **extra):
    return lambda: put(
        user,
        f"/8d/{number}/steps/{step}",
        {"version": _version(api, user, number, step), "content": content, **extra},
    )


def _moves(api, put, number, qm, qe, gm, finance):
    """Shortcuts on a fresh case (D0 and D2 drafted, nothing submitted); each must be refused."""
    moves = {
        **{f"submit D{s} before D0": _post(api, qm, number, f"/steps/{s}/submit") for s in range(1, 9)},
        **{f"approve the unsubmitted D{s}": _post(api, qm, number, f"/steps/{s}/approve") for s in range(9)},
        **{
            f"send back the unsubmitted D{s}": _post(
                api, qm, number, f"/steps/{s}/send-back", {"reason": "x"}
            )
            for s in (0, 8)
        },
        "submit the incomplete D0": _post(api, qm, number, "/steps/0/submit"),
        "the GM sends back": _post(api, gm, number, "/steps/0/send-back", {"reason": "x"}),
        "finance verifies an empty cost": _post(api, finance, number, "/cost-verification"),
        "the quality manager verifies the cost": _post(api, qm, number, "/cost-verification"),
        "the quality manager reviews the summary": _post(api, qm, number, "/summary-review"),
        "save malformed content": _save(api, put, qm, number, 3, {"rows": [{"location": "moon"}]}),
        "save unknown content keys": _save(api, put, qm, number, 1, {"goal": "x", "approved": True}),
        "save with a stale version": lambda: put(
            qm, f"/8d/{number}/steps/2", {"version": 1, "content": SEED_CONTENT[2]}
        ),
        "close the complaint without the customer": lambda: api(qm).post(
            f"/complaints/{Investigation.objects.get(number=number).complaints.get().number}/resolve",
            {"resolution": "x"},
        ),
    }
    for field, value in SERVER_OWNED_FIELDS.items():
        moves[f"set {field} in a step save"] = _save(
            api, put, qm, number, 0, SEED_CONTENT[0], **{field: value}
        )
        moves[f"set {field} in a submit"] = _post(api, qm, number, "/steps/0/submit", {field: value})
    moves["set version in an approval"] = _post(api, qm, number, "/steps/0/approve", {"version": 1})
    moves["set status in a new action"] = _post(
        api, qm, number, "/actions", {"title": "x", "owner": "qe", "due_date": "2026-07-01", "status": "done"}
    )
    moves["move an action to another case"] = _post(
        api,
        qm,
        number,
        "/actions",
        {"title": "x", "owner": "qe", "due_date": "2026-07-01", "investigation": "8D-2026-0099"},
    )
    return moves


SERVER_OWNED_FIELDS = {
    "status": "approved",
    "current_step": 8,
    "approved_by": "qm",
    "submitted_at": "2026-06-15T10:00:00+08:00",
    "reopen_count": 0,
}
MOVES = list(_moves(*([None] * 7)))


@pytest.mark.parametrize("move", MOVES)
def test_no_caller_reaches_a_state_the_gates_refuse(api, put, case, qm, qe, gm, finance, move):
    put(qm, f"/8d/{case}/steps/0", {"version": _version(api, qm, case, 0), "content": {"needs_8d": True}})
    put(qm, f"/8d/{case}/steps/2", {"version": _version(api, qm, case, 2), "content": SEED_CONTENT[2]})
    before = _snapshot(case)
    resp = _moves(api, put, case, qm, qe, gm, finance)[move]()
    assert resp.status_code in (403, 409, 422), (move, resp.status_code, resp.json())
    body = resp.json()
    assert set(body) >= {"code", "message", "fields"}
    if move == "submit D2 before D0":  # a drafted step: the gate names the unapproved steps before it
        assert body["code"] == "step_incomplete"
        assert any("D0, D1" in m for m in body["missing"]), body["missing"]
    elif move.startswith("submit D"):  # never drafted: nothing to submit
        assert body["code"] == "transition_not_allowed"
    if move.startswith("set "):  # refused by name; the server's own fields say so (in zh-hans, the default)
        field = move.split()[1]
        assert list(body["fields"]) == [field], body
        if field in SERVER_OWNED:
            assert body["fields"][field] == ["该字段由服务器设置，不能提交。"]
    assert _snapshot(case) == before


def test_only_a_quality_manager_approves_or_sends_back(api, put, case, qm, qe, worker, gm):
    for username, role in (("qe", "leader"), ("prod", "member")):
        assert put(qm, f"/8d/{case}/team/{username}", {"role": role}).status_code == 200
    assert _save(api, put, qe, case, 0, SEED_CONTENT[0])().status_code == 200
    assert (
        api(qe).post(f"/8d/{case}/steps/0/submit", {"version": _version(api, qe, case, 0)}).status_code == 200
    )
    before = _snapshot(case)
    for user in (qe, worker, gm):
        assert api(user).post(f"/8d/{case}/steps/0/approve", {}).status_code == 403
        assert api(user).post(f"/8d/{case}/steps/0/send-back", {"reason": "x"}).status_code == 403
    assert _snapshot(case) == before
    body = api(qm).post(f"/8d/{case}/steps/0/approve", {"note": "同意"}).json()
    assert (body["steps"][0]["status"], body["steps"][0]["approved_by"], body["current_step"]) == (
        "approved",
        "qm",
        1,
    )


@pytest.fixture
def at_d8(case, qm, qe, team, finance, salesmgr):
    """A case with D0–D7 approved (through the services) and D8 saved with the seed costs and summary."""
    inv = case_through(Investigation.objects.get(number=case), upto=7, qm=qm, team=team, owner=qe)
    save(inv, 8, qm)
    return case


@pytest.mark.parametrize(
    "signed",
    [(), ("finance",), ("salesmgr",)],
    ids=["no sign-off", "finance only", "sales manager only"],
)
def test_d8_is_not_closed_without_both_sign_offs(api, at_d8, qm, finance, salesmgr, signed):
    if "finance" in signed:
        assert api(finance).post(f"/8d/{at_d8}/cost-verification", {}).status_code == 200
    if "salesmgr" in signed:
        assert api(salesmgr).post(f"/8d/{at_d8}/summary-review", {}).status_code == 200
    before = _snapshot(at_d8)
    resp = api(qm).post(f"/8d/{at_d8}/steps/8/submit", {})
    assert resp.status_code == 422 and resp.json()["code"] == "step_incomplete"
    assert len(resp.json()["missing"]) == 2 - len(signed)
    assert api(qm).post(f"/8d/{at_d8}/steps/8/approve", {}).status_code == 409
    assert _snapshot(at_d8) == before
    assert api(qm).get(f"/8d/{at_d8}").json()["steps"][8]["missing"] == resp.json()["missing"]


def test_a_changed_cost_voids_finances_verification(api, put, at_d8, qm, finance, salesmgr):
    assert api(finance).post(f"/8d/{at_d8}/cost-verification", {}).status_code == 200
    assert api(salesmgr).post(f"/8d/{at_d8}/summary-review", {}).status_code == 200
    content = {**SEED_CONTENT[8], "costs": [{"item": "freight", "amount": "9999.00"}]}
    assert _save(api, put, qm, at_d8, 8, content)().status_code == 200
    body = api(qm).get(f"/8d/{at_d8}").json()
    assert (body["cost_verified"]["by"], body["cost_verified"]["valid"]) == ("finance", False)
    resp = api(qm).post(f"/8d/{at_d8}/steps/8/submit", {})
    assert resp.status_code == 422 and len(resp.json()["missing"]) == 1


def test_an_approved_step_is_not_saved_again(api, put, case, qm, qe, team):
    case_through(Investigation.objects.get(number=case), upto=1, qm=qm, team=team, owner=qe)
    before = _snapshot(case)
    resp = _save(api, put, qm, case, 0, {**SEED_CONTENT[0], "reason": "改写"})()
    assert resp.status_code == 409 and resp.json()["code"] == "transition_not_allowed"
    assert api(qm).post(f"/8d/{case}/steps/1/submit", {}).status_code == 409
    assert api(qm).post(f"/8d/{case}/steps/1/approve", {}).status_code == 409
    assert _snapshot(case) == before


def test_send_back_needs_a_reason_and_reopens_the_step_for_editing(api, put, case, qm, qe, team):
    inv = Investigation.objects.get(number=case)
    case_through(inv, upto=0, qm=qm, team=team, owner=qe)
    for user, role in team:
        put(qm, f"/8d/{case}/team/{user.username}", {"role": role})
    save(inv, 1, qm)
    assert api(qm).post(f"/8d/{case}/steps/1/submit", {}).status_code == 200
    resp = api(qm).post(f"/8d/{case}/steps/1/send-back", {})
    assert (resp.status_code, list(resp.json()["fields"])) == (422, ["reason"])
    resp = api(qm).post(f"/8d/{case}/steps/1/send-back", {"reason": "目标不具体"})
    assert resp.status_code == 200
    d1 = resp.json()["steps"][1]
    assert (d1["status"], d1["return_reason"]) == ("returned", "目标不具体")
    assert _save(api, put, qe, case, 1, {"goal": "七天内找到原因"})().status_code == 200
    verbs = [e["verb"] for e in api(qm).get(f"/8d/{case}/timeline").json()]
    assert verbs[-3:] == ["step_submitted", "step_returned", "step_saved"]


def test_the_team_through_the_api(api, put, delete, case, qm, qe, worker):
    resp = put(
        qm, f"/8d/{case}/team/prod", {"role": "member", "responsibility": "现场", "department": "nope"}
    )
    assert (resp.status_code, list(resp.json()["fields"])) == (422, ["department"])
    assert put(qm, f"/8d/{case}/team/nobody", {"role": "member"}).status_code == 422
    resp = put(qm, f"/8d/{case}/team/prod", {"role": "member", "responsibility": "现场"})
    assert {
        "user": "prod",
        "name": "生产主管",
        "role": "member",
        "department": "production",
        "responsibility": "现场",
    } in resp.json()["team"]
    # the new member may now edit the case
    assert _save(api, put, worker, case, 2, {"what": "生锈"})().status_code == 200
    assert "prod" not in [m["user"] for m in delete(qm, f"/8d/{case}/team/prod").json()["team"]]
    assert delete(qm, f"/8d/{case}/team/prod").status_code == 404
    assert _save(api, put, worker, case, 2, {"what": "锈蚀"})().status_code == 403


def test_reading_a_case_costs_a_fixed_number_of_queries(
    api, case, qm, qe, team, django_assert_max_num_queries
):
    case_through(Investigation.objects.get(number=case), upto=7, qm=qm, team=team, owner=qe)
    client = api(qm)
    with django_assert_max_num_queries(15):  # the same for any number of steps, people, events
        body = client.get(f"/8d/{case}").json()
    assert [s["status"] for s in body["steps"]] == ["approved"] * 8 + ["todo"]
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/8d/{case}/actions").json()) == 2
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/8d/{case}/timeline").json()) > 20
    with django_assert_max_num_queries(8):
        assert [c["number"] for c in client.get("/8d", status="open").json()] == [case]
    assert client.get("/8d", status="closed").json() == []


def test_escalation_and_joining_through_the_api(api, complaint, qm, agent):
    triage_quality(complaint, qm)
    api(qm).post(f"/complaints/{complaint.number}/start", {"path": "quick"})
    resp = api(qm).post(
        f"/complaints/{complaint.number}/escalate", {"reason": "批量", "investigation": "8D-2099-9999"}
    )
    assert resp.status_code == 422 and list(resp.json()["fields"]) == ["investigation"]
    resp = api(qm).post(f"/complaints/{complaint.number}/escalate", {"reason": "批量"})
    assert resp.status_code == 200 and resp.json()["handling_path"] == "8d"
    assert api(qm).post(f"/complaints/{complaint.number}/escalate", {}).status_code == 409


def test_openapi_documents_the_8d(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    expected = {
        "/api/v1/8d": {"get"},
        "/api/v1/8d/content-schema": {"get"},
        "/api/v1/8d/{number}": {"get"},
        "/api/v1/8d/{number}/steps/{step}": {"put"},
        "/api/v1/8d/{number}/steps/{step}/submit": {"post"},
        "/api/v1/8d/{number}/steps/{step}/approve": {"post"},
        "/api/v1/8d/{number}/steps/{step}/send-back": {"post"},
        "/api/v1/8d/{number}/team/{username}": {"put", "delete"},
        "/api/v1/8d/{number}/cost-verification": {"post"},
        "/api/v1/8d/{number}/summary-review": {"post"},
        "/api/v1/8d/{number}/signoff-request": {"post"},
        "/api/v1/8d/{number}/cancel": {"post"},
        "/api/v1/8d/{number}/actions": {"get", "post"},
        "/api/v1/8d/{number}/timeline": {"get"},
    }
    assert {p: set(paths[p]) for p in paths if p.startswith("/api/v1/8d")} == expected
    for path, methods in expected.items():
        for method in methods:
            op = paths[path][method]
            assert op["tags"] == ["8D"] and op["summary"] and op.get("description"), (path, method)
            assert {"401", "403", "404"} <= set(op["responses"]), (path, method)
    save_doc = paths["/api/v1/8d/{number}/steps/{step}"]["put"]["description"]
    assert all(f"D{i}Content" in save_doc for i in range(9))
    assert "content.rows.0.qty_bad" in save_doc and "qty_bad: integer" in save_doc
    assert "/api/v1/complaints/{number}/escalate" in paths
    start = doc["components"]["schemas"]["StartIn"]["properties"]
    assert {"path", "investigation"} <= set(start)
    assert "reopen_step" in doc["components"]["schemas"]["VerdictIn"]["properties"]
    assert "investigation" in doc["components"]["schemas"]["ComplaintOut"]["properties"]


def test_content_schema_describes_every_step(api, qm):
    body = api(qm).get("/8d/content-schema").json()
    assert list(body) == [f"D{i}" for i in range(9)]
    assert "qty_bad" in json.dumps(body["D3"]) and "occurrence_cause_id" in body["D4"]["properties"]
