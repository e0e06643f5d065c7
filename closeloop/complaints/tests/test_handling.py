"""Quick resolution and the customer's verdict: close on satisfied, reopen (counted) otherwise."""

import pytest

from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Category, ComplaintEvent, CustomerVerdict
from closeloop.complaints.services import complaint_assign, complaint_triage
from closeloop.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def triaged(complaint, qm):
    return complaint_triage(
        complaint=complaint,
        actor=qm,
        category=Category.objects.get(code="quality-corrosion"),
        severity="minor",
        urgency="normal",
        impact_scope="single",
        safety_risk=False,
    )


def test_quick_resolution_closes_with_the_customers_score(triaged, qm, qe):
    c = complaint_start_handling(complaint=triaged, actor=qe)
    assert (c.status, c.handling_path, c.owner) == ("in_progress", "quick", qe)  # unowned -> the handler
    c = complaint_resolve(complaint=c, actor=qe, resolution="已补发50支良品，客户已签收。")
    assert c.status == "awaiting_customer" and c.resolved_at is not None
    c = complaint_record_verdict(complaint=c, actor=qe, satisfied=True, score=5, comment="处理及时")
    assert c.status == "closed" and c.closed_at is not None and c.reopen_count == 0
    v = CustomerVerdict.objects.get(complaint=c)
    assert (v.satisfied, v.score, v.comment, v.recorded_by) == (True, 5, "处理及时", qe)
    verbs = list(ComplaintEvent.objects.filter(complaint=c).values_list("verb", flat=True))
    # Awaiting the customer stops the deadlines' clocks; the verdict starts them again before closing.
    assert verbs == [
        "created",
        "triaged",
        "handling_started",
        "resolved",
        "clock_paused",
        "clock_resumed",
        "closed",
    ]


def test_unsatisfied_customer_reopens_and_it_is_counted(triaged, qm):
    c = complaint_start_handling(complaint=triaged, actor=qm)
    c = complaint_resolve(complaint=c, actor=qm, resolution="更换")
    c = complaint_record_verdict(complaint=c, actor=qm, satisfied=False, score=2, reopen_reason="仍有锈迹")
    assert (c.status, c.reopen_count, c.resolved_at) == ("in_progress", 1, None)
    assert ComplaintEvent.objects.get(complaint=c, verb="reopened").note == "仍有锈迹"
    c = complaint_resolve(complaint=c, actor=qm, resolution="再次更换并加防锈油")
    c = complaint_record_verdict(complaint=c, actor=qm, satisfied=False, reopen_reason="包装仍潮湿")
    assert c.reopen_count == 2
    c = complaint_resolve(complaint=c, actor=qm, resolution="改用防潮包装")
    c = complaint_record_verdict(complaint=c, actor=qm, satisfied=True, score=4)
    assert c.status == "closed" and CustomerVerdict.objects.filter(complaint=c).count() == 3


def test_verdict_needs_score_or_reason(triaged, qm):
    c = complaint_resolve(
        complaint=complaint_start_handling(complaint=triaged, actor=qm), actor=qm, resolution="x"
    )
    with pytest.raises(ValidationFailed) as exc:
        complaint_record_verdict(complaint=c, actor=qm, satisfied=True, score=None)
    assert "score" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        complaint_record_verdict(complaint=c, actor=qm, satisfied=False, score=9)
    assert set(exc.value.fields) == {"score", "reopen_reason"}
    assert CustomerVerdict.objects.count() == 0


def test_steps_cannot_be_skipped(triaged, complaint, qm):
    with pytest.raises(TransitionNotAllowed):
        complaint_resolve(complaint=triaged, actor=qm, resolution="x")  # not started
    with pytest.raises(TransitionNotAllowed):
        complaint_record_verdict(complaint=triaged, actor=qm, satisfied=True, score=5)
    with pytest.raises(ValidationFailed):
        complaint_resolve(
            complaint=complaint_start_handling(complaint=triaged, actor=qm), actor=qm, resolution=" "
        )


def test_only_owner_or_quality_may_handle(triaged, qm, agent, sales):
    with pytest.raises(PermissionDenied):
        complaint_start_handling(complaint=triaged, actor=agent)
    c = complaint_assign(complaint=triaged, actor=qm, owner=agent)
    c = complaint_start_handling(complaint=c, actor=agent)  # the owner may
    assert c.status == "in_progress"
    with pytest.raises(PermissionDenied):
        complaint_resolve(complaint=c, actor=sales, resolution="x")


def test_stale_version_is_a_conflict(triaged, qm):
    v = triaged.version
    complaint_start_handling(complaint=triaged, actor=qm, expected_version=v)
    with pytest.raises(Conflict):
        complaint_start_handling(complaint=triaged, actor=qm, expected_version=v)


def test_closed_complaints_cannot_be_reassigned(triaged, qm, agent):
    c = complaint_resolve(
        complaint=complaint_start_handling(complaint=triaged, actor=qm), actor=qm, resolution="x"
    )
    c = complaint_record_verdict(complaint=c, actor=qm, satisfied=True, score=5)
    with pytest.raises(TransitionNotAllowed):
        complaint_assign(complaint=c, actor=qm, owner=agent)
