"""API: GET /notifications and POST /notifications/read, the caller's own rows only."""

import pytest

from closeloop.notifications.models import Notification
from closeloop.notifications.tests.conftest import triage

pytestmark = pytest.mark.django_db


def test_list_in_the_callers_language_and_mark_read(api, complaint, qe, managers, agent):
    gm, sm = managers["gm"], managers["sm"]
    triage(complaint, qe)
    body = api(gm).get("/notifications").json()
    assert len(body) == 1
    n = body[0]
    assert n["verb"] == "complaint_accepted" and n["read"] is False and n["complaint"] == complaint.number
    assert n["text"] == f"Complaint {complaint.number} accepted: 螺丝刀杆生锈 (华东机电有限公司)"
    assert (n["reason"], n["reason_label"]) == (
        "role_general_manager",
        "You are the general manager. (notification rule “质量客诉受理 → 销售、质量、采购经理和总经理”)",
    )
    assert n["investigation_id"] is None and n["created_at"].startswith("2026-06-15T")
    sm_id = Notification.objects.get(recipient=sm).pk
    assert api(gm).post("/notifications/read", {"ids": [n["id"], sm_id]}).json() == {"marked": 1}
    assert api(gm).get("/notifications", unread="true").json() == []
    assert api(gm).get("/notifications").json()[0]["read"] is True
    assert Notification.objects.get(pk=sm_id).read_at is None
    assert api(sm).post("/notifications/read", {}).json() == {"marked": 1}
    assert api(agent).get("/notifications").json() == []


def test_the_api_speaks_the_callers_language_when_asked(api, complaint, qe, managers, zh_catalogue):
    triage(complaint, qe)
    zh = api(managers["gm"], HTTP_ACCEPT_LANGUAGE="zh-hans").get("/notifications").json()[0]
    assert zh["text"].startswith(f"客诉 {complaint.number} 已受理")


def test_bad_input_is_refused_in_the_usual_shape(api, qm):
    resp = api(qm).post("/notifications/read", {"ids": "all"})
    assert resp.status_code == 422 and "ids" in resp.json()["fields"]
    assert api(qm).post("/notifications/read", {"everything": True}).status_code == 422
    assert api(qm).get("/notifications", limit=0).status_code == 422
    assert api().get("/notifications").status_code == 401
