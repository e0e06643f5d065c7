"""An action's evidence (checked by content, kept with the complaint) and comments, and its page."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from closeloop.actions import services
from closeloop.actions.models import ActionComment, ActionEvidence
from closeloop.complaints.models import Attachment, ComplaintEvent
from closeloop.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def action(complaint, qm, qe, agent):
    return services.action_create(
        complaint=complaint,
        actor=qm,
        title="现场挑选不良品",
        owner=qe,
        due_date=dt.date(2026, 6, 16),
        kind="containment",
        tracker=agent,
    )


def test_evidence_is_type_checked_kept_with_the_complaint_and_all_or_nothing(action, qe, sales):
    with pytest.raises(ValidationFailed) as exc:
        services.action_evidence_add(
            action=action, actor=qe, files=[("photo.png", PNG), ("evil.png", b"<script>alert(1)</script>")]
        )
    assert "evil.png" in str(exc.value.fields["files"][0])
    assert ActionEvidence.objects.count() == 0 and Attachment.objects.count() == 0
    (ev,) = services.action_evidence_add(action=action, actor=qe, files=[("现场照片.png", PNG)])
    assert (ev.attachment.complaint, ev.attachment.content_type) == (action.complaint, "image/png")
    assert ComplaintEvent.objects.filter(verb="action_evidence_added", data__action=action.pk).exists()
    with pytest.raises(PermissionDenied):
        services.action_evidence_add(action=action, actor=sales, files=[("x.png", PNG)])


def test_comments_need_text_and_land_on_the_timeline(action, sales):
    with pytest.raises(ValidationFailed) as exc:
        services.action_comment_add(action=action, actor=sales, body="  ")
    assert list(exc.value.fields) == ["body"]
    c = services.action_comment_add(action=action, actor=sales, body="客户问什么时候到现场？")
    assert ActionComment.objects.get() == c
    assert ComplaintEvent.objects.get(verb="action_commented").note == "客户问什么时候到现场？"


def test_the_tracker_verifies_and_sees_it_waiting(action, qe, agent, client):
    a = services.action_complete(action=action, actor=qe, note="已挑出50支并更换")
    client.force_login(agent)
    page = client.get("/actions/mine/").content.decode()
    assert "现场挑选不良品" in page  # waiting for the tracker's verification
    a = services.action_verify(action=a, actor=agent, note="客户确认")
    assert (a.status, a.verified_by) == ("verified", agent)
    with pytest.raises(ValidationFailed):
        services.action_evidence_add(action=a, actor=qe, files=[("late.png", PNG)])


def test_tracker_must_be_someone_other_than_the_owner(complaint, qm, qe):
    with pytest.raises(ValidationFailed) as exc:
        services.action_create(
            complaint=complaint, actor=qm, title="x", owner=qe, tracker=qe, due_date=dt.date(2026, 6, 20)
        )
    assert list(exc.value.fields) == ["tracker"]


def test_action_page_shows_evidence_comments_and_history(action, qe, client, django_assert_max_num_queries):
    client.force_login(qe)
    resp = client.post(
        f"/actions/{action.pk}/evidence/", {"files": [SimpleUploadedFile("现场.png", PNG, "image/png")]}
    )
    assert resp.status_code == 302
    resp = client.post(
        f"/actions/{action.pk}/evidence/",
        {"files": [SimpleUploadedFile("a.png", b"MZ\x90\x00", "image/png")]},
    )
    assert resp.status_code == 422 and "a.png" in resp.content.decode()
    resp = client.post(f"/actions/{action.pk}/comments/", {"body": ""})
    assert resp.status_code == 422 and 'id="comment-body"' in resp.content.decode()
    client.post(f"/actions/{action.pk}/comments/", {"body": "明天上午到现场"})
    with django_assert_max_num_queries(14):
        page = client.get(f"/actions/{action.pk}/").content.decode()
    assert "现场.png" in page and "明天上午到现场" in page and "现场挑选不良品" in page
    assert 'id="action-history"' in page


def test_action_page_is_scoped_like_its_complaint(action, client, db):
    from closeloop.accounts import roles
    from closeloop.accounts.tests.factories import user_make

    stranger = user_make("stranger", roles.SALESPERSON)
    client.force_login(stranger)
    assert client.get(f"/actions/{action.pk}/").status_code == 404
    assert client.post(f"/actions/{action.pk}/comments/", {"body": "x"}).status_code == 404
