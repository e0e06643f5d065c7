"""The scale-data generator keeps the invariants the services keep."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from closeloop.complaints import listing
from closeloop.complaints.models import Complaint, ComplaintEvent, NumberSequence
from closeloop.complaints.numbering import number_format
from closeloop.core import clock
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


def test_generated_complaints_have_numbers_events_priority_and_search(agent):
    call_command("generate_complaints", "300", "--batch", "120")
    assert Complaint.objects.count() == 300
    numbers = list(Complaint.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 300
    assert ComplaintEvent.objects.filter(verb="created").count() == 300
    assert (
        ComplaintEvent.objects.filter(verb="triaged").count()
        == Complaint.objects.filter(status="triaged").count()
    )
    c = Complaint.objects.order_by("?").first()
    assert c.priority_score == sum(r["points"] for r in c.priority_breakdown)
    # a live create afterwards continues the sequence instead of colliding
    year = timezone.localtime(clock.now()).year
    seq = NumberSequence.objects.get(scope="complaint", year=year)
    live = complaint_intake(
        draft=ComplaintDraft(channel="phone", customer=c.customer.code, title="t", description="d"),
        actor=agent,
    )
    assert live.number == number_format(year, seq.last_value + 1) and live.number not in numbers
    # generated text is searchable like service-created text, two-character words included
    page = listing.complaint_list(
        user=agent, f=listing.filters_parse(__import__("django").http.QueryDict("q=漏油"))
    )
    assert page.rows and all("漏油" in (r.title + r.description) for r in page.rows)
