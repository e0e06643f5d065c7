"""The handling card on the complaint page: start, resolve, the customer's answer."""

import pytest
from django.utils.html import conditional_escape

from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.services import complaint_triage

pytestmark = pytest.mark.django_db


@pytest.fixture
def triaged(complaint, qm):
    return complaint_triage(
        complaint=complaint,
        actor=qm,
        category=Category.objects.get(code="quality"),
        severity="minor",
        urgency="normal",
        impact_scope="single",
        safety_risk=False,
    )


def _c(pk):
    return Complaint.objects.get(pk=pk)


def test_quick_resolution_through_the_page(client, qm, triaged):
    client.force_login(qm)
    url = f"/complaints/{triaged.number}"
    assert 'id="start-quick"' in client.get(url + "/").content.decode()
    client.post(url + "/start/", {"version": triaged.version})
    c = _c(triaged.pk)
    resp = client.post(url + "/resolve/", {"version": c.version, "resolution": ""})
    assert resp.status_code == 422 and "请说明为客户做了什么" in resp.content.decode()
    client.post(url + "/resolve/", {"version": c.version, "resolution": "补发良品"})
    c = _c(triaged.pk)
    assert c.status == "awaiting_customer"
    resp = client.post(url + "/verdict/", {"version": c.version, "satisfied": "no", "score": ""})
    assert resp.status_code == 422 and "请说明客户不满意的原因" in resp.content.decode()
    client.post(url + "/verdict/", {"version": c.version, "satisfied": "no", "reopen_reason": "仍有锈迹"})
    c = _c(triaged.pk)
    assert (c.status, c.reopen_count) == ("in_progress", 1)
    client.post(url + "/resolve/", {"version": c.version, "resolution": "更换并防锈处理"})
    c = _c(triaged.pk)
    client.post(
        url + "/verdict/", {"version": c.version, "satisfied": "yes", "score": "5", "comment": "满意"}
    )
    body = client.get(url + "/").content.decode()
    assert _c(triaged.pk).status == "closed"
    assert 'id="closed-note"' in body and "重开 1 次" in body and "不满意" in body and "5/5" in body


def test_others_cannot_handle(client, agent, triaged):
    client.force_login(agent)
    assert 'id="start-quick"' not in client.get(f"/complaints/{triaged.number}/").content.decode()
    assert (
        client.post(f"/complaints/{triaged.number}/start/", {"version": triaged.version}).status_code == 403
    )
    assert _c(triaged.pk).status == "triaged"


def test_starting_offers_the_open_8ds_newest_first(client, qm, agent, triaged):
    """The start form offers each open 8D the user may see (number, title, step), newest first, to
    join; a closed one is not offered."""
    import datetime as dt

    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake
    from closeloop.investigations.models import Investigation
    from closeloop.investigations.tests.factories import case_open

    def another(title):
        draft = ComplaintDraft(channel="phone", order_number="SO-2026-0001", title=title, description="x")
        return complaint_intake(draft=draft, actor=agent)

    older, newer, done = (case_open(another(t), qm) for t in ("旧案", "新案", "已关"))
    Investigation.objects.filter(pk=older.pk).update(opened_at=newer.opened_at - dt.timedelta(hours=1))
    Investigation.objects.filter(pk=done.pk).update(status="closed")
    client.force_login(qm)
    body = client.get(f"/complaints/{triaged.number}/").content.decode()
    choice = body.split('id="join-case"', 1)[1].split("</select>", 1)[0]
    assert choice.index(newer.number) < choice.index(older.number)
    assert done.number not in choice
    assert f"{newer.number} · {newer.title} (D" in choice  # with its current step
    # Handled quickly, the complaint can still be escalated onto one of them.
    client.post(f"/complaints/{triaged.number}/start/", {"version": triaged.version, "path": "quick"})
    body = client.get(f"/complaints/{triaged.number}/").content.decode()
    choice = body.split('id="escalate-case"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{newer.number}">{newer.number} · {newer.title}</option>' in choice
    assert older.number in choice and done.number not in choice


def test_the_offered_8ds_and_action_owners_are_escaped(client, qm, agent, triaged):
    """The lists of open 8Ds and of action owners are written in Python (views._case_context,
    _actions_context): names and titles typed by people are escaped as the template engine escapes."""
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake
    from closeloop.investigations.tests.factories import case_open

    title = '<b>"A&B"</b>'
    draft = ComplaintDraft(channel="phone", order_number="SO-2026-0001", title=title, description="x")
    case = case_open(complaint_intake(draft=draft, actor=agent), qm)
    case.refresh_from_db()
    qm.display_name = "<i>Li &Wang"
    qm.save(update_fields=["display_name"])
    client.force_login(qm)
    body = client.get(f"/complaints/{triaged.number}/").content.decode()
    escaped = "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
    choice = body.split('id="join-case"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{case.number}">{case.number} · {escaped} (D' in choice
    assert "<b>" not in body.split('id="join-case"', 1)[1].split("</form>", 1)[0]
    owners = body.split('id="a-owner"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{qm.pk}">{conditional_escape(str(qm))}</option>' in owners
    assert "&lt;i&gt;" in owners and "<i>" not in owners
    client.post(f"/complaints/{triaged.number}/start/", {"version": triaged.version, "path": "quick"})
    body = client.get(f"/complaints/{triaged.number}/").content.decode()
    choice = body.split('id="escalate-case"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{case.number}">{case.number} · {escaped}</option>' in choice
