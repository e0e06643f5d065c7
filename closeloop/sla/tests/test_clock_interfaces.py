"""Pausing and resuming from the API and the complaint page, and what the page shows: the pause on the
deadline card, and each escalation step on the timeline."""

import json

import pytest

from closeloop.accounts.services import api_token_create
from closeloop.complaints.services import complaint_assign
from closeloop.core import clock
from closeloop.sla import services
from closeloop.sla.models import ClockPause
from closeloop.sla.tests.test_deadlines import _complaint, _triage, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_proposal_clock(db):
    """These tests follow the response and closure clocks of quality complaints; the 3-day handling
    proposal they also owe has its own tests (test_deadlines.py)."""
    from closeloop.sla.models import DeadlinePolicy

    DeadlinePolicy.objects.filter(target="proposal").update(is_active=False)


@pytest.fixture
def triaged(agent, qm, order):
    clock.freeze(at(2026, 6, 15, 10, 30))
    yield _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")
    clock.freeze(None)


def post(client, user, path, body=None):
    _token, raw = api_token_create(user=user, name="tests")
    return client.post(
        f"/api/v1{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


def test_the_api_pauses_and_resumes_and_lists_paused_deadlines(client, triaged, qm):
    r = post(
        client, qm, f"/complaints/{triaged.number}/pause", {"reason": "awaiting_samples", "note": "退回10支"}
    )
    assert r.status_code == 200, r.content
    rows = {d["target"]: d for d in r.json()["deadlines"]}
    assert rows["response"]["paused"] is True and set(rows["response"]) == {
        "target",
        "due_at",
        "met",
        "breached_at",
        "provisional",
        "paused",
    }
    assert ClockPause.objects.get(complaint=triaged).note == "退回10支"
    clock.freeze(at(2026, 6, 16, 10, 30))  # one working day later
    r = post(client, qm, f"/complaints/{triaged.number}/resume")
    assert r.status_code == 200, r.content
    rows = {d["target"]: d for d in r.json()["deadlines"]}
    assert rows["response"]["paused"] is False
    assert rows["response"]["due_at"] == "2026-06-18T02:00:00Z"  # Wed 10:00 + one working day


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("pause", {"reason": "holiday"}, 422, "reason"),
        ("pause", {"note": "no reason given"}, 422, "reason"),
        ("pause", {"reason": "other", "colour": "red"}, 422, "colour"),
        ("resume", None, 422, "complaint"),
    ],
)
def test_bad_pause_input_is_a_4xx_json_error_naming_the_field(client, triaged, qm, path, body, status, field):
    r = post(client, qm, f"/complaints/{triaged.number}/{path}", body)
    assert r.status_code == status, r.content
    assert field in json.dumps(r.json()["fields"])
    assert not ClockPause.objects.exists()


def test_only_those_who_handle_it_may_pause(client, triaged, sales, customer):
    customer.sales_owner = sales  # the salesperson sees the complaint but does not handle it
    customer.save()
    r = post(client, sales, f"/complaints/{triaged.number}/pause", {"reason": "other"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_the_page_pauses_shows_the_pause_and_resumes(client, triaged, qm):
    client.force_login(qm)
    page = client.get(f"/complaints/{triaged.number}/").content.decode()
    assert 'id="pause-form"' in page and 'id="clock-paused"' not in page
    r = client.post(
        f"/complaints/{triaged.number}/pause/", {"reason": "awaiting_information", "note": "等照片"}
    )
    assert r.status_code == 302
    page = client.get(f"/complaints/{triaged.number}/").content.decode()
    assert 'id="clock-paused" data-reason="awaiting_information"' in page
    assert "2026-06-15 10:30" in page and "等照片" in page and 'id="resume-form"' in page
    r = client.post(f"/complaints/{triaged.number}/pause/", {"reason": "other"}, HTTP_HX_REQUEST="true")
    assert 'id="pause-error"' in r.content.decode()  # pausing twice is refused beside the button
    r = client.post(f"/complaints/{triaged.number}/resume/")
    assert r.status_code == 302
    page = client.get(f"/complaints/{triaged.number}/").content.decode()
    assert 'id="clock-paused"' not in page and 'data-detail="clock_resumed"' in page


def test_the_timeline_shows_who_was_told_at_each_step(client, triaged, qm, qe, gm):
    complaint_assign(complaint=triaged, actor=qm, owner=qe)
    clock.freeze(at(2026, 6, 22, 9, 0))
    services.deadlines_scan()
    qm.language = "en"  # the page speaks the reader's language
    qm.save()
    client.force_login(qm)
    page = client.get(f"/complaints/{triaged.number}/").content.decode()
    details = [chunk.split("<", 1)[0] for chunk in page.split('data-detail="deadline_escalated">')[1:]]
    # The timeline lists the newest first.
    target = "First response (handling started)"
    assert details == [
        f"{target}, step 4 (The general manager); told: 总经理",
        f"{target}, step 3 (The quality managers); told: 质量部张经理",
        f"{target}, step 2 (The owner&#x27;s department manager); told: nobody to tell",
        f"{target}, step 1 (The owner); told: 质量工程师陈工",
    ]
