"""Complaint numbers: unique, human-readable, never reused.

A per-year counter row is created or incremented by one upsert inside the caller's transaction,
which holds the row's lock until commit, so concurrent creates serialise on that row and every
committed complaint gets the next value. Numbers are never derived from MAX(number), so deleting or
invalidating a complaint never frees its number.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection

from closeloop.complaints.models import NumberSequence


def number_format(year: int, seq: int) -> str:
    fmt = str(settings.CLOSELOOP["COMPLAINT_NUMBER_FORMAT"])
    return fmt.format(year=year, seq=seq)


def sequence_next(*, scope: str, when: dt.datetime) -> tuple[int, int]:
    """Allocate the next value of ``scope``'s counter for ``when``'s year: ``(year, value)``.

    Must run inside ``transaction.atomic``; the counter row stays locked until the caller commits."""
    from django.utils import timezone

    year = timezone.localtime(when).year
    return year, sequence_take(scope=scope, year=year, count=1)


def complaint_number_next(*, when: dt.datetime) -> str:
    """Allocate the next complaint number for ``when``'s year. Must run inside ``transaction.atomic``."""
    return number_format(*sequence_next(scope="complaint", when=when))


def investigation_number_next(*, when: dt.datetime) -> str:
    """Allocate the next 8D number (``8D-2026-0001``). Must run inside ``transaction.atomic``."""
    year, value = sequence_next(scope="8d", when=when)
    return f"8D-{year}-{value:04d}"


def sequence_take(*, scope: str, year: int, count: int) -> int:
    """Allocate ``count`` consecutive values of ``scope``'s counter for ``year`` at once (a bulk import's
    batch); return the first. The values are exactly those ``count`` calls of :func:`sequence_next` would
    have given, so numbers stay gap-free and are never reused.

    Must run inside ``transaction.atomic``; the counter row stays locked until the caller commits. A
    caller taking several years locks them in ascending order, so two such callers cannot deadlock.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    # One statement creates the row or adds to it and returns the new value. On PostgreSQL the
    # conflicting update takes the row's lock, so concurrent callers wait until we commit and then add
    # to our value; SQLite serialises writers anyway. (It replaced a lookup, a guarded insert, an
    # update and a read: four round trips on every complaint created.)
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, year, last_value) VALUES (%s, %s, %s) "  # noqa: S608 — names only
            f"ON CONFLICT (scope, year) DO UPDATE SET last_value = {table}.last_value + excluded.last_value "
            "RETURNING last_value",
            [scope, year, count],
        )
        last = int(cursor.fetchone()[0])
    return last - count + 1
