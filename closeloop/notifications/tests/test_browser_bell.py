"""In a real browser: the inbox badge appears, without a reload, when an action is assigned to the
signed-in user, and goes away once the notification is read."""

import datetime as dt

import pytest

from closeloop.testing.plugin import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_badge_appears_when_an_action_is_assigned_to_me(page, settings, complaint, qm, qe):
    from closeloop.actions.services import action_create

    settings.CLOSELOOP = {**settings.CLOSELOOP, "NOTIFICATION_POLL_SECONDS": 1}
    login(page, "qe")
    page.goto(f"/complaints/{complaint.number}/")
    assert page.locator("#notification-count").count() == 0
    bell = page.locator("#notification-bell")
    assert bell.get_attribute("aria-label") == "通知：无未读"

    # Someone else assigns an action to the signed-in user while the page is open.
    action_create(
        complaint=complaint,
        actor=qm,
        title="隔离库存并挑选",
        owner=qe,
        due_date=dt.date(2026, 6, 20),
        kind="containment",
    )
    badge = page.locator("#notification-count")
    badge.wait_for(state="visible", timeout=10000)
    assert badge.inner_text() == "1"
    assert "1" in (page.locator("#notification-bell").get_attribute("aria-label") or "")

    page.locator("#notification-bell").click()
    page.wait_for_url("**/notifications/")
    row = page.locator("#notifications tbody tr").first
    assert "隔离库存并挑选" in row.inner_text()
    row.get_by_role("button").click()
    page.locator("#notification-count").wait_for(state="detached", timeout=10000)
