"""The generator's remembered due times equal the sla arithmetic for every start, gaps and edges
of the working day, weekends and holidays included."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from closeloop.core.generator_deadlines import DeadlineBook
from closeloop.sla.deadlines import due_compute
from closeloop.sla.models import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "unit"),
    [(2, "working_days"), (5, "working_days"), (4, "working_hours"), (24, "calendar_hours")],
)
def test_remembered_due_times_equal_due_compute(amount, unit):
    book = DeadlineBook()
    policy = DeadlinePolicy(target="response", amount=amount, unit=unit)
    starts = []
    for first in (dt.datetime(2025, 9, 26, tzinfo=SH), dt.datetime(2026, 2, 12, tzinfo=SH)):  # 国庆, 春节
        for day in range(16):
            base = first + dt.timedelta(days=day)
            starts += [base + dt.timedelta(minutes=m) for m in range(0, 24 * 60, 23)]
            starts += [base.replace(hour=h, minute=m) for h, m in ((8, 30), (12, 0), (13, 0), (17, 30))]
            starts += [
                base.replace(hour=h, minute=m) - dt.timedelta(microseconds=1) for h, m in ((8, 30), (13, 0))
            ]
    for start in starts:
        for received in (start, start.astimezone(dt.UTC)):
            expected = due_compute(book.schedule, received, amount, unit)
            assert book.due(received, policy) == expected, received
            assert book.due(received, policy) == expected, received  # remembered, still equal
