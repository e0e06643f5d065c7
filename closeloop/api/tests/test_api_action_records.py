"""API: an action's comments and evidence, scoped like its complaint, files checked by content."""

import base64
import datetime as dt

import pytest

from closeloop.actions import services
from closeloop.actions.tests.test_comments_evidence import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(complaint, qm, qe):
    return services.action_create(
        complaint=complaint, actor=qm, title="现场挑选", owner=qe, due_date=dt.date(2026, 6, 16)
    )


def _file(name, data):
    return {"name": name, "content_base64": base64.b64encode(data).decode()}


def test_comment_and_evidence_through_the_api(api, action, qe, sales):
    resp = api(qe).post(f"/actions/{action.pk}/comments", {"body": "已到现场"})
    assert resp.status_code == 201 and resp.json()["comments"][0]["body"] == "已到现场"
    resp = api(qe).post(f"/actions/{action.pk}/evidence", {"files": [_file("现场.png", PNG)]})
    assert resp.status_code == 201
    (ev,) = resp.json()["evidence"]
    assert (ev["name"], ev["content_type"]) == ("现场.png", "image/png")
    assert api(qe).get(ev["url"].removeprefix("/api/v1")).status_code == 200
    assert api(qe).get(f"/actions/{action.pk}/record").json()["comments"][0]["author"] == "qe"


def test_bad_input_names_the_field_and_saves_nothing(api, action, qe):
    resp = api(qe).post(
        f"/actions/{action.pk}/evidence", {"files": [{"name": "a.png", "content_base64": "%%"}]}
    )
    assert resp.status_code == 422 and list(resp.json()["fields"]) == ["files"]
    resp = api(qe).post(
        f"/actions/{action.pk}/evidence", {"files": [_file("a.png", PNG), _file("b.html", b"<html>")]}
    )
    assert resp.status_code == 422 and "b.html" in resp.json()["fields"]["files"][0]
    assert api(qe).get(f"/actions/{action.pk}/record").json()["evidence"] == []
    resp = api(qe).post(f"/actions/{action.pk}/comments", {"body": "", "author": "x"})
    assert resp.status_code in (400, 422)


def test_unseen_action_is_404(api, action, db):
    from closeloop.accounts import roles
    from closeloop.accounts.tests.factories import user_make

    stranger = user_make("stranger", roles.SALESPERSON)
    assert api(stranger).get(f"/actions/{action.pk}/record").status_code == 404
    assert api(stranger).post(f"/actions/{action.pk}/comments", {"body": "x"}).status_code == 404
