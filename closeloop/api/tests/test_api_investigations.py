"""API: the 8D through HTTP only — every step, permissions, conflicts, field errors, no way past a gate."""

from __future__ import annotations

import json

import pytest

from closeloop.investigations.models import Discipline, Investigation
from closeloop.investigations.tests.factories import SEED_CONTENT, triage_quality

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


def test_the_gm_reads_every_8d_but_changes_nothing(api, put, delete, case, gm, qm, worker):
    assert api(gm).get(f"/8d/{case}").status_code == 200
    assert any(c["number"] == case for c in api(gm).get("/8d").json())
    v = _version(api, gm, case, 0)
    assert put(gm, f"/8d/{case}/steps/0", {"version": v, "content": SEED_CONTENT[0]}).status_code == 403
    assert api(gm).post(f"/8d/{case}/steps/0/submit", {}).status_code == 403
    assert put(gm, f"/8d/{case}/team/gm", {"role": "leader"}).status_code == 403
    assert delete(gm, f"/8d/{case}/team/qm").status_code in (403, 422)
    assert (
        api(gm)
        .post(f"/8d/{case}/actions", {"title": "x", "owner": "qm", "due_date": "2026-07-01"})
        .status_code
        == 403
    )
    assert Discipline.objects.get(investigation__number=case, step=0).status == "todo"


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


def _moves(api, put, number, qm, qe, gm, finance):
    """Every shortcut a caller might try; each must be refused."""
    return {
        "submit D2 before D0 and D1": lambda: api(qm).post(f"/8d/{number}/steps/2/submit", {}),
        "approve a draft": lambda: api(qm).post(f"/8d/{number}/steps/0/approve", {}),
        "approve D8 directly": lambda: api(qm).post(f"/8d/{number}/steps/8/approve", {}),
        "submit the empty D1": lambda: api(qm).post(f"/8d/{number}/steps/1/submit", {}),
        "quality engineer approves": lambda: api(qe).post(f"/8d/{number}/steps/0/approve", {}),
        "GM sends back": lambda: api(gm).post(f"/8d/{number}/steps/0/send-back", {"reason": "x"}),
        "finance verifies an empty cost": lambda: api(finance).post(f"/8d/{number}/cost-verification", {}),
        "quality manager verifies the cost": lambda: api(qm).post(f"/8d/{number}/cost-verification", {}),
        "save a submitted step": lambda: put(
            qm, f"/8d/{number}/steps/0", {"version": _version(api, qm, number, 0), "content": SEED_CONTENT[0]}
        ),
        "set the status": lambda: put(
            qm, f"/8d/{number}/steps/3", {"version": 1, "content": {}, "status": "approved"}
        ),
        "set the current step": lambda: api(qm).post(f"/8d/{number}/steps/0/approve", {"current_step": 8}),
        "close the complaint without the customer": lambda: api(qm).post(
            f"/complaints/{Investigation.objects.get(number=number).complaints.get().number}/resolve",
            {"resolution": "x"},
        ),
    }


@pytest.mark.parametrize(
    "move",
    [
        "submit D2 before D0 and D1",
        "approve a draft",
        "approve D8 directly",
        "submit the empty D1",
        "quality engineer approves",
        "GM sends back",
        "finance verifies an empty cost",
        "quality manager verifies the cost",
        "save a submitted step",
        "set the status",
        "set the current step",
        "close the complaint without the customer",
    ],
)
def test_no_caller_reaches_a_state_the_gates_refuse(api, put, case, qm, qe, gm, finance, move):
    put(qm, f"/8d/{case}/steps/0", {"version": _version(api, qm, case, 0), "content": {"needs_8d": True}})
    put(qm, f"/8d/{case}/steps/2", {"version": _version(api, qm, case, 2), "content": SEED_CONTENT[2]})
    if move == "save a submitted step":
        put(qm, f"/8d/{case}/steps/0", {"version": _version(api, qm, case, 0), "content": SEED_CONTENT[0]})
        assert api(qm).post(f"/8d/{case}/steps/0/submit", {}).status_code == 200
    before = list(
        Discipline.objects.filter(investigation__number=case)
        .order_by("step")
        .values_list("status", "version")
    )
    inv_before = Investigation.objects.values_list("status", "current_step", "version").get(number=case)
    resp = _moves(api, put, case, qm, qe, gm, finance)[move]()
    assert resp.status_code in (403, 409, 422), (move, resp.status_code, resp.json())
    assert (
        list(
            Discipline.objects.filter(investigation__number=case)
            .order_by("step")
            .values_list("status", "version")
        )
        == before
    )
    assert (
        Investigation.objects.values_list("status", "current_step", "version").get(number=case) == inv_before
    )


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
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/8d",
        "/api/v1/8d/{number}",
        "/api/v1/8d/{number}/steps/{step}",
        "/api/v1/8d/{number}/steps/{step}/{move}",
        "/api/v1/8d/{number}/team/{username}",
        "/api/v1/8d/{number}/actions",
        "/api/v1/8d/{number}/timeline",
        "/api/v1/8d/content-schema",
        "/api/v1/complaints/{number}/escalate",
    ):
        assert p in paths, p


def test_content_schema_describes_every_step(api, qm):
    body = api(qm).get("/8d/content-schema").json()
    assert list(body) == [f"D{i}" for i in range(9)]
    assert "qty_bad" in json.dumps(body["D3"]) and "occurrence_cause_id" in body["D4"]["properties"]
