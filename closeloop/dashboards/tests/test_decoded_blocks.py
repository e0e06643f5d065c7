"""The duration blocks a cockpit page reads are held decoded per process, by the digest of their data
(blocks.DECODED): a page asks for the blocks' digests and reads and decodes only the ones it does not
hold. A block that changes is a new row with a new digest, so nothing held can be stale."""

import datetime as dt
import importlib
import random

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closeloop.core import clock
from closeloop.dashboards import blocks, durations, rollups
from closeloop.dashboards.models import DurationBlock
from closeloop.dashboards.tests.test_rollup_equals_live import NOW, _generate

pytestmark = pytest.mark.django_db

PERIODS = [
    (dt.date(2026, 3, 3), dt.date(2026, 5, 30)),
    (dt.date(2026, 5, 1), dt.date(2026, 6, 15)),  # holds today, read from its own day block
]


@pytest.fixture
def rolled_up(gm):
    clock.freeze(NOW)
    _generate(random.Random(11), gm)
    rollups.rollups_rebuild(now=NOW)
    blocks.DECODED.clear()
    yield
    clock.freeze(None)
    blocks.DECODED.clear()


def _parts() -> list:
    return blocks.period_parts("", PERIODS, NOW.date())


def _fresh() -> list:
    """The parts decoded from the stored rows, holding nothing."""
    blocks.DECODED.clear()
    try:
        return _parts()
    finally:
        blocks.DECODED.clear()


def test_a_second_reading_reads_only_the_digests(rolled_up):
    with CaptureQueriesContext(connection) as first:
        cold = _parts()
    assert len(first) == 2 and '"hist"' in first[1]["sql"]
    assert len(blocks.DECODED) > 0
    with CaptureQueriesContext(connection) as second:
        warm = _parts()
    assert len(second) == 1 and '"hist"' not in second[0]["sql"]
    assert warm == cold
    assert any(parts[durations.CYCLE] for parts in warm)  # the periods do hold durations


def test_every_written_block_carries_the_digest_of_its_data(rolled_up):
    stored = list(DurationBlock.objects.values_list("hist", "digest"))
    assert stored
    assert all(digest == durations.digest_of(hist) for hist, digest in stored)


def test_a_block_that_changed_is_read_again(rolled_up, gm):
    """After a refresh rewrote blocks (a complaint closed today, then the day over), what a warm process
    reads equals a cold read."""
    from closeloop.complaints.models import Complaint, ComplaintEvent

    _parts()
    closed_at = NOW + dt.timedelta(minutes=1)
    done = Complaint.objects.filter(status="in_progress").first()
    Complaint.objects.filter(pk=done.pk).update(status="closed", closed_at=closed_at)
    ComplaintEvent.objects.create(complaint=done, verb="closed", created_at=closed_at)
    for later in (NOW + dt.timedelta(minutes=2), NOW + dt.timedelta(days=1)):
        clock.freeze(later)
        before = set(DurationBlock.objects.values_list("digest", flat=True))
        rollups.rollups_refresh(now=later)
        assert set(DurationBlock.objects.values_list("digest", flat=True)) != before
        assert _parts() == _fresh()


def test_a_block_replaced_between_the_two_reads_is_read_whole(rolled_up, monkeypatch):
    assert blocks._held([(10**12, 0, 0, durations.CYCLE, "")]) is None  # gone: the caller reads again
    expected = _fresh()
    monkeypatch.setattr(blocks, "_held", lambda rows: None)
    with CaptureQueriesContext(connection) as queries:
        assert _parts() == expected
    assert len(queries) == 2 and '"hist"' in queries[1]["sql"]


def test_a_digest_that_does_not_match_its_data_is_not_held(rolled_up):
    wrong = "0" * 32
    DurationBlock.objects.update(digest=wrong)
    expected = _fresh()
    assert _parts() == expected
    assert blocks.DECODED.get(wrong) is None and len(blocks.DECODED) == 0


def test_the_least_recently_used_are_dropped_beyond_the_bins_allowed():
    held = blocks.DecodedBlocks(max_bins=10)

    def hist(n: int) -> durations.Sorted:
        return durations.Sorted.of(dict.fromkeys(range(n), 1))

    held.put("a", hist(4))
    held.put("b", hist(4))
    assert held.get("a") is not None  # now the most recently used
    held.put("c", hist(4))  # 12 bins: "b" goes
    assert held.get("b") is None and held.get("a") is not None and held.get("c") is not None
    assert held.held_bins == 8
    held.put("big", hist(11))  # larger than all allowed: not held, nothing dropped for it
    assert held.get("big") is None and len(held) == 2
    held.put("a", hist(4))  # held already: counted once
    assert held.held_bins == 8


def test_the_migration_gives_stored_blocks_their_digests(rolled_up):
    migration = importlib.import_module("closeloop.dashboards.migrations.0008_durationblock_digest")
    DurationBlock.objects.update(digest="")
    migration.digests_fill(apps, None)
    stored = list(DurationBlock.objects.values_list("hist", "digest"))
    assert stored and all(digest == durations.digest_of(hist) for hist, digest in stored)
