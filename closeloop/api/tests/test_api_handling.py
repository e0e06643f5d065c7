"""API: the quick-resolution path; no caller reaches a state the page's rules would refuse."""

import pytest

pytestmark = pytest.mark.django_db


def test_quick_resolution_through_the_api(api, qm, complaint):
    n = complaint.number
    client = api(qm)
    assert client.post(f"/complaints/{n}/start", {}).status_code == 409  # not triaged yet
    client.patch(f"/complaints/{n}", {"category": "quality-corrosion"})
    data = client.post(f"/complaints/{n}/start", {}).json()
    assert (data["status"], data["handling_path"]) == ("in_progress", "quick")
    resp = client.post(f"/complaints/{n}/resolve", {"resolution": ""})
    assert resp.status_code == 422 and "resolution" in resp.json()["fields"]
    data = client.post(
        f"/complaints/{n}/resolve", {"resolution": "补发良品", "version": data["version"]}
    ).json()
    assert data["status"] == "awaiting_customer"
    resp = client.post(f"/complaints/{n}/verdict", {"satisfied": True})
    assert resp.status_code == 422 and "score" in resp.json()["fields"]
    data = client.post(f"/complaints/{n}/verdict", {"satisfied": False, "reopen_reason": "仍生锈"}).json()
    assert (data["status"], data["reopen_count"]) == ("in_progress", 1)
    client.post(f"/complaints/{n}/resolve", {"resolution": "再次处理"})
    data = client.post(f"/complaints/{n}/verdict", {"satisfied": True, "score": 4}).json()
    assert data["status"] == "closed" and data["closed_at"]
    assert client.post(f"/complaints/{n}/verdict", {"satisfied": True, "score": 4}).status_code == 409
    assert (
        client.patch(f"/complaints/{n}", {"severity": "serious"}).status_code == 409
    )  # closed: no re-triage


def test_handling_needs_owner_or_quality_and_a_fresh_version(api, qm, agent, complaint):
    api(qm).patch(f"/complaints/{complaint.number}", {"category": "quality"})
    resp = api(agent).post(f"/complaints/{complaint.number}/start", {})
    assert resp.status_code == 403
    resp = api(qm).post(f"/complaints/{complaint.number}/start", {"version": 1})
    assert resp.status_code == 409
    assert api(qm).post(f"/complaints/{complaint.number}/start", {"path": "eight_d"}).status_code == 422
