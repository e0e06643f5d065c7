"""The refresh's watermark on PostgreSQL: a change written shortly before a refresh but committed after
it (its transaction still open while the refresh read) is found by the next refresh, because the
watermark stays before the start of the oldest transaction open at the time; with none open it is
only ``MARGIN`` before the run, so the next run repeats a minute of work rather than five. (The margin
is shortened here, so that the open transaction can outlast it.)"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.customers.tests.factories import customer_make
from closeloop.dashboards import live, rollup_reads, rollups
from closeloop.dashboards.kpi import DashFilters, local_day
from closeloop.dashboards.models import RollupState

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class OpenTransaction(threading.Thread):
    """A connection of its own that writes ``write()`` in a transaction and holds it open until told."""

    def __init__(self, write) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.write = write
        self.ready, self.finish = threading.Event(), threading.Event()
        self.started_at: dt.datetime | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
                    self.started_at = cursor.fetchone()[0]
                self.write()
                self.ready.set()
                self.finish.wait(timeout=60)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            self.error = exc
            self.ready.set()
        finally:
            connection.close()


def received_complaints(prefix: str, customer, received: dt.datetime, n: int, **fields) -> list[Complaint]:  # type: ignore[no-untyped-def]
    """``n`` complaints of ``customer`` received at ``received`` (numbered ``KS-<prefix>-<i>``), each with
    its "created" event at that time."""
    made = [
        Complaint.objects.create(
            number=f"KS-{prefix}-{i}",
            channel="phone",
            title="t",
            description="d",
            received_at=received,
            customer=customer,
            **fields,
        )
        for i in range(n)
    ]
    for c in made:
        ComplaintEvent.objects.create(complaint=c, verb="created", created_at=received)
    return made


def _counts(user, day: dt.date):  # type: ignore[no-untyped-def]
    f = DashFilters(date_from=day, date_to=day)
    start, end = f.bounds()
    now = timezone.now()
    return (
        rollup_reads.counts_from_rollups(user=user, f=f, now=now),
        live.counts_live(live.scope_qs(user=user, f=f), start, end, now),
    )


def test_a_change_committed_after_a_refresh_is_found_by_the_next_one(gm, monkeypatch):
    monkeypatch.setattr(rollups, "MARGIN", dt.timedelta(seconds=1))  # a margin the test can outwait
    customer = customer_make("W1", "水印客户")
    received = timezone.now() - dt.timedelta(days=10)
    day = local_day(received)
    complaints = received_complaints("W", customer, received, 3, status="new")
    rollups.rollups_rebuild()
    got, first = _counts(gm, day)
    assert got == first and got.received == 3

    # Marked a duplicate in a transaction that stays open across the next refresh, for longer than the
    # margin: its event's time is well before that refresh, its commit after.
    def merge() -> None:
        Complaint.objects.filter(pk=complaints[0].pk).update(status="merged")
        ComplaintEvent.objects.create(
            complaint=complaints[0], verb="marked_duplicate", created_at=timezone.now()
        )

    writer = OpenTransaction(merge)
    writer.start()
    assert writer.ready.wait(timeout=30) and writer.error is None
    time.sleep(2.5)
    rollups.rollups_refresh()
    assert RollupState.objects.get().watermark == writer.started_at - rollups.MARGIN
    writer.finish.set()
    writer.join(timeout=30)
    got, expected = _counts(gm, day)
    assert expected != first and got == first  # not seen yet: it was not committed

    before = timezone.now()
    rollups.rollups_refresh()
    got, expected = _counts(gm, day)
    assert got == expected != first
    # Nothing was open this time: the watermark is the run's start less the margin, not five minutes.
    watermark = RollupState.objects.get().watermark
    assert before - rollups.MARGIN <= watermark <= timezone.now() - rollups.MARGIN


def test_a_session_left_idle_in_a_transaction_holds_the_watermark_back_only_so_far(gm, monkeypatch, caplog):
    # A forgotten BEGIN must not make every run redo all the changes since it began: the watermark
    # stays at most LOOKBACK_MAX before the run (shortened here), and the session is logged.
    monkeypatch.setattr(rollups, "LOOKBACK_MAX", dt.timedelta(seconds=2))
    monkeypatch.setattr(rollups, "MARGIN", dt.timedelta(seconds=0))
    rollups.rollups_rebuild()
    idle = OpenTransaction(lambda: None)
    idle.start()
    assert idle.ready.wait(timeout=30) and idle.error is None
    try:
        time.sleep(0.5)
        rollups.rollups_refresh()
        held = RollupState.objects.get().watermark
        assert held == idle.started_at  # within the limit: held back to the open transaction's start
        time.sleep(2.5)
        before = timezone.now()
        rollups.rollups_refresh()
        capped = RollupState.objects.get().watermark
        assert before - dt.timedelta(seconds=2) <= capped <= timezone.now() - dt.timedelta(seconds=2)
        assert capped > held
        assert "a transaction has been open on the database since" in caplog.text
    finally:
        idle.finish.set()
        idle.join(timeout=30)
