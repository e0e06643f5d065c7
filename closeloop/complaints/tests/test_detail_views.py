"""The complaint page and its in-place actions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.db import joins_as_written_statements

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# The complaint page for a reader who may not triage: the session, the user, their permissions, the
# complaint with its relations, every child row (timeline, attachments, duplicates, verdicts, deadlines,
# clock pause, actions, handling-report versions: one statement, complaints/page_rows.py) and the
# unread-notification count in the top bar. No triage form, so none of its choice lists. +2 on
# PostgreSQL: the complaint's read is planned in its written join order (core/db.py). The first page
# of a process also compiles the child-row statement, which on SQLite asks once whether JSON functions
# exist: the pinned tests render a page before counting.
DETAIL_QUERIES = 6


def _triage(client, c, **overrides):
    data = {
        "version": c.version,
        "category": "quality-corrosion",
        "severity": "serious",
        "urgency": "urgent",
        "impact_scope": "multiple",
        "safety_risk": "",
        "owner": "",
        "department": "",
    }
    data.update(overrides)
    return client.post(f"/complaints/{c.number}/triage/", data)


def test_detail_shows_breakdown_and_timeline_in_chinese(
    client, agent, complaint, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(f"/complaints/{complaint.number}/")  # see DETAIL_QUERIES: the first page compiles
    with django_assert_max_num_queries(DETAIL_QUERIES + joins_as_written_statements()):
        body = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert "为什么是这个优先级" in body
    assert 'data-factor="severity"' in body and "严重程度" in body
    assert "客户年销售额" in body and "5,000,000" in body
    assert "登记了客诉" in body  # timeline verb


def test_triage_updates_and_records_old_and_new(client, qm, complaint):
    client.force_login(qm)
    resp = _triage(client, complaint)
    assert resp.status_code == 302
    c = Complaint.objects.get(pk=complaint.pk)
    assert (c.status, c.urgency, c.impact_scope) == ("triaged", "urgent", "multiple")
    ev = ComplaintEvent.objects.filter(complaint=c, verb="triaged").get()
    changes = {ch["field"]: (ch["old"], ch["new"]) for ch in ev.changes}
    assert changes["urgency"] == ("normal", "urgent") and changes["status"] == ("new", "triaged")
    body = client.get(f"/complaints/{c.number}/").content.decode()
    assert "<del>一般</del> → <ins>紧急</ins>" in body


def test_htmx_triage_swaps_the_body_in_place(client, qm, complaint):
    client.force_login(qm)
    data = {
        "version": complaint.version,
        "category": "quality-corrosion",
        "severity": "minor",
        "urgency": "normal",
        "impact_scope": "single",
        "owner": "",
        "department": "",
    }
    resp = client.post(f"/complaints/{complaint.number}/triage/", data, HTTP_HX_REQUEST="true")
    body = resp.content.decode()
    assert resp.status_code == 200 and "<html" not in body and 'id="priority-score"' in body


def test_stale_version_shows_a_conflict_and_saves_nothing(client, qm, complaint):
    client.force_login(qm)
    assert _triage(client, complaint, severity="minor").status_code == 302
    resp = _triage(client, complaint, severity="general")  # still the old version
    body = resp.content.decode()
    assert resp.status_code == 422 and 'id="conflict"' in body
    assert Complaint.objects.get(pk=complaint.pk).severity == "minor"
    assert ComplaintEvent.objects.filter(complaint=complaint, verb="triaged").count() == 1


def test_users_without_triage_permission_get_403(client, agent, complaint):
    client.force_login(agent)
    assert _triage(client, complaint).status_code == 403
    assert "triage-form" not in client.get(f"/complaints/{complaint.number}/").content.decode()


def test_a_triaged_complaint_draws_its_triage_form_on_demand(
    client, qm, complaint, django_assert_max_num_queries
):
    """New: the triage form is the page's task and shows inline. Triaged: the page shows a "Change
    triage" link instead, and the form (with the current values) comes from GET of the triage URL (htmx)
    or ``?triage=edit`` (no script); saving it from there works as from the inline form."""
    client.force_login(qm)
    page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert 'id="triage-form"' in page and 'id="triage-edit-open"' not in page
    assert 'id="triage-edit-cancel"' not in page  # the page's task: nothing to put away
    assert _triage(client, complaint).status_code == 302
    complaint.refresh_from_db()
    client.get(f"/complaints/{complaint.number}/")
    with django_assert_max_num_queries(DETAIL_QUERIES + 3 + joins_as_written_statements()):
        page = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert 'id="triage-form"' not in page and 'id="triage-edit-open"' in page
    assert f'hx-get="/complaints/{complaint.number}/triage/"' in page
    assert f'href="/complaints/{complaint.number}/?triage=edit#triage-form"' in page
    part = client.get(f"/complaints/{complaint.number}/triage/", HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert part.status_code == 200 and body.lstrip().startswith("<form") and 'id="triage-form"' in body
    assert f'name="version" value="{complaint.version}"' in body
    assert '<option value="urgent" selected>' in body and "<html" not in body
    assert f'id="triage-edit-cancel" href="/complaints/{complaint.number}/"' in body
    assert 'id="triage-form"' in client.get(f"/complaints/{complaint.number}/?triage=edit").content.decode()
    assert _triage(client, complaint, severity="general").status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).severity == "general"


def test_the_triage_form_on_demand_is_refused_or_explained(client, agent, qm, complaint):
    """Without the permission: 403. Past triage (a stale page): a notice naming the status, in the
    user's language, in place of the form."""
    client.force_login(agent)
    assert client.get(f"/complaints/{complaint.number}/triage/").status_code == 403
    client.force_login(qm)
    Complaint.objects.filter(pk=complaint.pk).update(status="in_progress")
    resp = client.get(f"/complaints/{complaint.number}/triage/", HTTP_HX_REQUEST="true")
    body = resp.content.decode()
    assert resp.status_code == 200 and 'id="triage-closed"' in body and "triage-form" not in body
    assert "处理中" in body and "已不在分诊阶段" in body
    assert client.get("/complaints/KS-1999-000001/triage/").status_code == 404


def test_invalid_needs_a_reason(client, qm, complaint):
    client.force_login(qm)
    resp = client.post(
        f"/complaints/{complaint.number}/invalid/", {"version": complaint.version, "reason": " "}
    )
    assert resp.status_code == 422 and "请说明客诉无效的原因" in resp.content.decode()
    resp = client.post(
        f"/complaints/{complaint.number}/invalid/", {"version": complaint.version, "reason": "客户使用不当"}
    )
    c = Complaint.objects.get(pk=complaint.pk)
    assert c.status == "rejected" and c.invalid_reason == "客户使用不当"


def test_duplicate_links_both_and_unknown_number_is_a_field_error(client, qm, agent, complaint, customer):
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    other = complaint_intake(
        draft=ComplaintDraft(channel="email", customer="C001", title="同一问题", description="d"), actor=agent
    )
    client.force_login(qm)
    resp = client.post(
        f"/complaints/{other.number}/duplicate/", {"version": other.version, "duplicate_of": "KS-404"}
    )
    assert resp.status_code == 422 and "KS-404" in resp.content.decode()
    client.post(
        f"/complaints/{other.number}/duplicate/", {"version": other.version, "duplicate_of": complaint.number}
    )
    other.refresh_from_db()
    assert other.status == "merged" and other.duplicate_of_id == complaint.pk
    assert ComplaintEvent.objects.filter(complaint=complaint, verb="duplicate_linked").exists()
    assert other.number in client.get(f"/complaints/{complaint.number}/").content.decode()
    # The duplicate's page names and links its original.
    body = client.get(f"/complaints/{other.number}/").content.decode()
    assert f'重复于 <a href="/complaints/{complaint.number}/">{complaint.number}</a> · 螺丝刀杆生锈' in body


def test_disguised_upload_is_refused_and_good_one_added(client, agent, complaint):
    client.force_login(agent)
    evil = SimpleUploadedFile("invoice.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200)
    resp = client.post(f"/complaints/{complaint.number}/attachments/", {"attachments": [evil]})
    assert resp.status_code == 422 and "invoice.jpg" in resp.content.decode()
    assert complaint.attachments.count() == 0
    good = SimpleUploadedFile("现场.png", PNG)
    assert (
        client.post(f"/complaints/{complaint.number}/attachments/", {"attachments": [good]}).status_code
        == 302
    )
    att = complaint.attachments.get()
    resp = client.get(f"/complaints/{complaint.number}/attachments/{att.pk}/")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_invisible_complaint_and_its_attachments_are_404(client, sales, agent, complaint):
    from closeloop.complaints.services import attachments_add

    att = attachments_add(complaint=complaint, actor=agent, files=[("a.png", PNG)])[0]
    client.force_login(sales)
    assert client.get(f"/complaints/{complaint.number}/").status_code == 404
    assert client.get(f"/complaints/{complaint.number}/attachments/{att.pk}/").status_code == 404


def test_contact_phone_is_masked_without_pii_permission(client, agent, qe, complaint):
    client.force_login(agent)  # agents handle calls: full number
    assert "13812345678" in client.get(f"/complaints/{complaint.number}/").content.decode()
    client.force_login(qe)
    body = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert "13812345678" not in body and "138****5678" in body


def test_a_long_timeline_shows_the_newest_events_and_links_to_all(
    client, agent, complaint, django_assert_max_num_queries
):
    from closeloop.complaints.events import event_record
    from closeloop.complaints.page_context import TIMELINE_CAP

    total = TIMELINE_CAP + 5
    have = ComplaintEvent.objects.filter(complaint=complaint).count()
    for i in range(total - have):
        event_record(complaint=complaint, verb="updated", actor=agent, note=f"第{i}条备注")
    newest = f"第{total - have - 1}条备注"
    oldest = f"第{0}条备注"
    client.force_login(agent)
    client.get(f"/complaints/{complaint.number}/?timeline=all")  # see DETAIL_QUERIES
    with django_assert_max_num_queries(DETAIL_QUERIES + joins_as_written_statements()):  # as a short one
        body = client.get(f"/complaints/{complaint.number}/").content.decode()
    timeline = body.split('id="timeline"', 1)[1]
    assert timeline.count('<li class="mb-3 d-flex gap-2">') == TIMELINE_CAP
    assert newest in timeline and oldest not in timeline and "登记了客诉" not in timeline
    assert f'href="/complaints/{complaint.number}/?timeline=all#timeline"' in timeline

    everything = client.get(f"/complaints/{complaint.number}/?timeline=all").content.decode()
    timeline = everything.split('id="timeline"', 1)[1]
    assert timeline.count('<li class="mb-3 d-flex gap-2">') == total
    assert newest in timeline and oldest in timeline and "登记了客诉" in timeline
    assert 'id="timeline-more"' not in everything


def test_a_short_timeline_has_no_link_to_more(client, agent, complaint):
    client.force_login(agent)
    body = client.get(f"/complaints/{complaint.number}/").content.decode()
    assert "登记了客诉" in body and 'id="timeline-more"' not in body and "timeline=all" not in body
