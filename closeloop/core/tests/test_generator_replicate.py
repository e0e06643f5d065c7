"""Copies of generated complaints (``replicate_complaints``) are their sources' lives, moved back in
time as a whole, under new numbers, with every reference pointing inside the copy; the rest of the
database is left as it was. PostgreSQL only, as the command."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.http import QueryDict
from django.utils import timezone

from closeloop.actions.models import Action
from closeloop.complaints import listing
from closeloop.complaints.creation import complaint_search_parts
from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict, NumberSequence
from closeloop.complaints.numbering import number_format
from closeloop.complaints.search import search_document
from closeloop.core import clock
from closeloop.core.generator import complaints_generate
from closeloop.core.generator_replicate import COPIED, complaints_replicate
from closeloop.dashboards import live, rollup_reads, rollups
from closeloop.dashboards.kpi import DashFilters
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake
from closeloop.sla.models import ClockPause, Deadline

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
DAY = dt.timedelta(days=1)


@pytest.fixture
def frozen() -> Any:
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


def _shifted(value: Any, shift: dt.timedelta) -> Any:
    return value + shift if isinstance(value, dt.datetime) else value


def _values(obj: models.Model, shift: dt.timedelta, skip: set[str]) -> dict[str, Any]:
    """``obj``'s stored values, datetimes moved forward by ``shift``, without the columns in ``skip``."""
    return {
        f.attname: _shifted(getattr(obj, f.attname), shift)
        for f in obj._meta.concrete_fields
        if f.attname not in skip and not f.primary_key
    }


def _rows(model: type[models.Model], complaint_id: int, shift: dt.timedelta) -> list[dict[str, Any]]:
    return [
        _values(r, shift, {"complaint_id"})
        for r in model._default_manager.filter(complaint_id=complaint_id).order_by("id")
    ]


def _changes(event: ComplaintEvent, shift: dt.timedelta) -> list[Any]:
    """The event's changes, the receipt time read back (as the timeline shows it) and moved by ``shift``;
    its text must be ``str()`` of the datetime, as the services write it."""
    out = []
    for change in event.changes:
        if change["field"] == "received_at" and change["new"] is not None:
            at = dt.datetime.fromisoformat(change["new"])
            assert str(at) == change["new"]
            change = {**change, "new": at + shift}
        out.append(change)
    return out


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [[m._meta.db_table for m in COPIED]],
        )
        return set(cur.fetchall())


def test_each_copy_is_its_source_life_moved_back_under_a_new_number(frozen, agent, qe):
    complaints_generate(160, seed=3, batch=80)
    # a complaint with an action is not the generator's alone: it is not copied
    kept = Complaint.objects.order_by("id").first()
    Action.objects.create(complaint=kept, title="整改", owner=qe, requested_by=qe, due_date=NOW.date())
    sources = list(Complaint.objects.exclude(pk=kept.pk).order_by("id"))
    stride = max(c.id for c in sources) + 1
    indexes = _indexes()
    counts = {m: m._default_manager.count() for m in COPIED}

    done = complaints_replicate(2, seed=5)

    assert done.complaints == 2 * len(sources) == Complaint.objects.count() - 160
    assert not Complaint.objects.filter(id__in=[kept.id + stride, kept.id + 2 * stride]).exists()
    assert _indexes() == indexes  # dropped and built again, the same
    for model in COPIED:
        mine = model._default_manager.filter(complaint_id=kept.pk).count() if model is not Complaint else 1
        assert model._default_manager.count() == counts[model] + 2 * (counts[model] - mine), model
    merged = 0
    for s in sources:
        for k in (1, 2):
            c = Complaint.objects.get(id=s.id + k * stride)
            shift = s.received_at - c.received_at
            assert dt.timedelta(0) <= shift < DAY
            assert c.number != s.number
            assert _values(c, shift, {"number", "search_text", "duplicate_of_id"}) == _values(
                s, dt.timedelta(0), {"number", "search_text", "duplicate_of_id"}
            )
            for model in (Deadline, ClockPause):
                assert _rows(model, c.id, shift) == _rows(model, s.id, dt.timedelta(0))
            verdicts = list(CustomerVerdict.objects.filter(complaint=c).order_by("id"))
            assert [_values(v, shift, {"complaint_id"}) for v in verdicts] == _rows(
                CustomerVerdict, s.id, dt.timedelta(0)
            )
            if s.duplicate_of_id is not None:
                merged += 1
                assert c.duplicate_of_id == s.duplicate_of_id + k * stride
            mine = list(ComplaintEvent.objects.filter(complaint=c).order_by("id"))
            theirs = list(ComplaintEvent.objects.filter(complaint=s).order_by("id"))
            assert [(e.verb, e.actor_id, e.created_at + shift, _changes(e, shift), e.note) for e in mine] == [
                (e.verb, e.actor_id, e.created_at, _changes(e, dt.timedelta(0)), e.note) for e in theirs
            ]
            for e, source_event in zip(mine, theirs, strict=True):
                data, expected = dict(e.data or {}), dict(source_event.data or {})
                if "verdict" in data:
                    assert CustomerVerdict.objects.get(pk=data.pop("verdict")).complaint_id == c.id
                    expected.pop("verdict")
                if "original" in data:
                    assert data.pop("original") == c.duplicate_of.number
                    expected.pop("original")
                if "duplicate" in data:
                    assert Complaint.objects.get(number=data.pop("duplicate")).duplicate_of_id == c.id
                    expected.pop("duplicate")
                if "paused_since" in data:
                    since = dt.datetime.fromisoformat(data.pop("paused_since"))
                    assert since + shift == dt.datetime.fromisoformat(expected.pop("paused_since"))
                assert data == expected, e.verb
    assert merged  # the seed makes duplicates, so their remapping was checked
    assert not ComplaintEvent.objects.filter(created_at__gt=NOW).exists()


def test_copies_take_new_numbers_in_order_and_search_finds_them(frozen, agent):
    complaints_generate(60, seed=4, batch=60)
    first = set(Complaint.objects.values_list("id", flat=True))
    call_command("replicate_complaints", "3", stdout=io.StringIO())
    copies = Complaint.objects.exclude(id__in=first)
    assert copies.count() == 180
    numbers = list(Complaint.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 240
    for seq in NumberSequence.objects.filter(scope="complaint"):
        mine = [c for c in copies if timezone.localtime(c.received_at).year == seq.year]
        # the copies' numbers follow their receipt and end the year's counter
        ordered = sorted(mine, key=lambda c: int(c.number.rsplit("-", 1)[1]))
        assert [c.received_at for c in ordered] == sorted(c.received_at for c in mine)
        assert all(c.number.split("-")[1] == str(seq.year) for c in mine)
        if mine:
            assert ordered[-1].number == number_format(seq.year, seq.last_value)
    # a live complaint continues after them
    live_complaint = complaint_intake(
        draft=ComplaintDraft(channel="phone", customer=copies[0].customer.code, title="t", description="d"),
        actor=agent,
    )
    year = timezone.localtime(NOW).year
    assert live_complaint.number == number_format(
        year, NumberSequence.objects.get(scope="complaint", year=year).last_value
    )
    for c in copies.select_related("customer", "product", "order")[:30]:
        assert c.search_text == search_document(complaint_search_parts(c)), c.number
    c = copies.order_by("?").first()
    page = listing.complaint_list(user=agent, f=listing.filters_parse(QueryDict(f"q={c.number}")))
    assert [r.number for r in page.rows] == [c.number]


def test_the_rollups_of_copied_data_equal_the_live_count(frozen, gm, agent):
    complaints_generate(120, seed=6, batch=120)
    complaints_replicate(2, seed=7)
    # the last six weeks rolled up (the whole year takes 20 s here): the filters lie inside them
    assert rollups.rollups_rebuild(since=dt.date(2026, 5, 1), now=NOW) == 45
    for f in (
        DashFilters(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 15)),
        DashFilters(date_from=dt.date(2026, 5, 4), date_to=dt.date(2026, 6, 15)),
    ):
        start, end = f.bounds()
        expected = live.counts_live(live.scope_qs(user=gm, f=f), start, end, NOW)
        assert rollup_reads.counts_from_rollups(user=gm, f=f, now=NOW) == expected
        assert expected.received > 0


def test_replicating_refuses_zero_copies(frozen, agent):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("replicate_complaints", "0", stdout=io.StringIO())
    assert Complaint.objects.count() == 0
