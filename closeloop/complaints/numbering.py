"""Complaint numbers: unique, human-readable, never reused.

A per-year counter row is incremented under ``SELECT ... FOR UPDATE`` inside the caller's
transaction, so concurrent creates serialise on that row and every committed complaint gets the
next value. Numbers are never derived from MAX(number), so deleting or invalidating a complaint
never frees its number.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

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
    if not NumberSequence.objects.filter(scope=scope, year=year).exists():
        try:
            with transaction.atomic():
                NumberSequence.objects.create(scope=scope, year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created it first; its row lock below orders us after it
    row = NumberSequence.objects.filter(scope=scope, year=year)
    # The UPDATE takes the row's lock (concurrent callers wait on it until we commit); read afterwards,
    # the value is our own write.
    row.update(last_value=F("last_value") + count)
    last: int = row.values_list("last_value", flat=True).get()
    return last - count + 1
