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
    if not NumberSequence.objects.filter(scope=scope, year=year).exists():
        try:
            with transaction.atomic():
                NumberSequence.objects.create(scope=scope, year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created it first; its row lock below orders us after it
    seq = NumberSequence.objects.select_for_update().get(scope=scope, year=year)
    NumberSequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + 1)
    seq.refresh_from_db(fields=["last_value"])
    return year, seq.last_value


def complaint_number_next(*, when: dt.datetime) -> str:
    """Allocate the next complaint number for ``when``'s year. Must run inside ``transaction.atomic``."""
    return number_format(*sequence_next(scope="complaint", when=when))


def investigation_number_next(*, when: dt.datetime) -> str:
    """Allocate the next 8D number (``8D-2026-0001``). Must run inside ``transaction.atomic``."""
    year, value = sequence_next(scope="8d", when=when)
    return f"8D-{year}-{value:04d}"
