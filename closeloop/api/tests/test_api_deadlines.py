"""The complaint's deadlines in the API and on its page."""

import pytest

from closeloop.core import clock
from closeloop.sla.tests.test_deadlines import _complaint, _triage, at

pytestmark = pytest.mark.django_db


def test_the_api_and_the_page_list_the_deadlines(api, client, agent, qm, order):
    clock.freeze(at(2026, 10, 8, 9, 0))
    try:
        c = _triage(_complaint(agent, order, at(2026, 9, 30, 15, 0)), qm)
        body = api(qm).get(f"/complaints/{c.number}").json()
        rows = {d["target"]: d for d in body["deadlines"]}
        assert set(rows) == {"response", "proposal", "closure"}
        # a quality complaint owes a handling proposal within 3 calendar days of receipt: missed by now
        assert (rows["proposal"]["due_at"], rows["proposal"]["met"], rows["proposal"]["breached_at"]) == (
            "2026-10-03T07:00:00Z",
            False,
            "2026-10-03T07:00:00Z",
        )
        assert rows["response"] == {
            "target": "response",
            "due_at": "2026-10-13T07:00:00Z",
            "met": None,
            "breached_at": None,
            "provisional": False,
            "paused": False,
        }
        client.force_login(qm)
        page = client.get(f"/complaints/{c.number}/").content.decode()
        assert 'id="deadlines-card"' in page and "2026-10-13 15:00" in page
    finally:
        clock.freeze(None)
