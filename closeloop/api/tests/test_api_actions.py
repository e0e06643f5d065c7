"""API: actions on a complaint and their lifecycle, with the same rules as the pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_action_lifecycle_through_the_api(api, qm, qe, agent, complaint, frozen_now):
    n = complaint.number
    resp = api(qm).post(f"/complaints/{n}/actions", {"title": "", "owner": "nobody"})
    assert resp.status_code == 422 and "owner" in resp.json()["fields"]
    resp = api(qm).post(
        f"/complaints/{n}/actions",
        {"title": "现场处理不良品", "owner": "qe", "kind": "containment", "due_date": "2026-06-16"},
    )
    assert resp.status_code == 201, resp.content
    a = resp.json()
    assert api(agent).post(f"/actions/{a['id']}/start", {}).status_code == 403
    assert api(qe).post(f"/actions/{a['id']}/verify", {"note": "x"}).status_code in (403, 409)
    done = api(qe).post(f"/actions/{a['id']}/complete", {"note": "已更换50支"}).json()
    assert done["status"] == "done"
    assert api(qe).post(f"/actions/{a['id']}/verify", {"note": "自己验证"}).status_code == 403
    ok = api(qm).post(f"/actions/{a['id']}/verify", {"note": "客户确认", "version": done["version"]}).json()
    assert ok["status"] == "verified"
    listed = api(agent).get(f"/complaints/{n}/actions").json()
    assert [x["status"] for x in listed] == ["verified"]
    assert api(qm).post(f"/actions/{a['id']}/explode", {}).status_code == 422
