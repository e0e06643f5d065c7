"""The refresh reads one snapshot on PostgreSQL (rollups._rollups_transaction): a change another
connection commits while a refresh recomputes a day is counted once, by the next refresh.

Read at two moments instead (READ COMMITTED), the day recomputed would count the change already while
the changed complaint's footprint still recorded it as before; the next refresh would then add the
change's deadline difference a second time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.customers.tests.factories import customer_make
from closeloop.dashboards import rollups
from closeloop.dashboards.kpi import local_day, site_tz
from closeloop.dashboards.tests.test_rollup_watermark_pg import _counts, received_complaints
from closeloop.sla.models import Deadline, Target

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_another_connection(write) -> None:  # type: ignore[no-untyped-def]
    """Run ``write`` in a transaction of its own connection, and commit it."""
    errors: list[BaseException] = []

    def run() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                write()
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and not errors, errors


def test_a_deadline_planned_while_a_refresh_recomputes_its_day_is_counted_once(gm, monkeypatch):
    customer = customer_make("SN1", "快照客户")
    day = local_day(timezone.now()) - dt.timedelta(days=10)
    received = dt.datetime.combine(day, dt.time(9, 0), tzinfo=site_tz())
    x, y = received_complaints("SN", customer, received, 2, severity="general", status="triaged")
    rollups.rollups_rebuild()

    # y's new severity has its receipt day recomputed whole; meanwhile x gets a deadline on that day,
    # past due and unmet, committed by another connection after the refresh read its changes.
    Complaint.objects.filter(pk=y.pk).update(severity="serious")
    ComplaintEvent.objects.create(complaint=y, verb="triaged", created_at=timezone.now())

    def plan() -> None:
        Deadline.objects.create(
            complaint=x,
            target=Target.PROPOSAL,
            amount=3,
            unit="calendar_hours",
            due_at=received + dt.timedelta(hours=3),
        )
        ComplaintEvent.objects.create(complaint=x, verb="triaged", created_at=timezone.now())

    recompute = rollups._days_recompute

    def recompute_after_a_commit(days, **kwargs):  # type: ignore[no-untyped-def]
        _in_another_connection(plan)
        recompute(days, **kwargs)

    monkeypatch.setattr(rollups, "_days_recompute", recompute_after_a_commit)
    assert rollups.rollups_refresh() >= 1
    monkeypatch.undo()
    got, expected = _counts(gm, day)
    assert expected.deadlines == {"proposal": [1, 0]}
    assert got.deadlines in (None, {})  # committed after the refresh's snapshot: not counted yet

    rollups.rollups_refresh()
    got, expected = _counts(gm, day)
    assert got == expected
