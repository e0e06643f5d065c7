"""The scale-data generator keeps the invariants the services keep."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from closeloop.complaints import listing
from closeloop.complaints.models import Complaint, ComplaintEvent, NumberSequence
from closeloop.complaints.numbering import number_format
from closeloop.complaints.search import search_document
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
        == Complaint.objects.filter(triaged_at__isnull=False).count()
    )
    c = Complaint.objects.order_by("?").first()
    assert c is not None
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
    page = listing.complaint_list(user=agent, f=listing.filters_parse(QueryDict("q=漏油")))
    assert page.rows and all("漏油" in (r.title + r.description) for r in page.rows)


def test_generated_search_text_equals_what_the_service_writes(agent):
    call_command("generate_complaints", "40", "--seed", "3", stdout=io.StringIO())
    for c in Complaint.objects.select_related("customer", "product", "order")[:40]:
        expected = search_document(
            [
                c.number,
                c.title,
                c.description,
                c.customer_requirement,
                c.lot,
                c.customer.name,
                c.customer.code,
                c.product.name if c.product else "",
                c.product.code if c.product else "",
                c.order.number if c.order else "",
            ]
        )
        assert c.search_text == expected, c.number


def test_generation_continues_after_live_numbers_and_is_deterministic(agent, customer, frozen_now):
    first = complaint_intake(
        draft=ComplaintDraft(channel="phone", customer="C001", title="漏油", description="油缸漏油"),
        actor=agent,
    )
    call_command("generate_complaints", "25", "--seed", "5", stdout=io.StringIO())
    generated = Complaint.objects.exclude(pk=first.pk)
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in generated.values_list("number", flat=True))
    year_of_first = first.number.split("-")[1]
    # numbers of the live complaint's year start right after it; no number is used twice
    same_year = sorted(
        int(n.rsplit("-", 1)[1])
        for n in generated.filter(number__contains=f"-{year_of_first}-").values_list("number", flat=True)
    )
    assert same_year == list(range(2, 2 + len(same_year)))
    assert len(seqs) == 25
    first_pks = list(generated.values_list("pk", flat=True))
    first_run = list(
        generated.order_by("received_at", "id").values_list("title", "customer__code", "received_at")
    )
    call_command("generate_complaints", "25", "--seed", "5", stdout=io.StringIO())
    second = Complaint.objects.exclude(pk=first.pk).exclude(pk__in=first_pks)
    second_run = list(
        second.order_by("received_at", "id").values_list("title", "customer__code", "received_at")
    )
    assert second_run == first_run  # same seed and clock, same data (under new numbers)


def test_replicating_needs_postgresql(agent, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")  # refused before any SQL is sent
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("replicate_complaints", "2", stdout=io.StringIO())
