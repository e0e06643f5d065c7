"""Time is an input: every 'now' in business code comes from here so tests can freeze it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current aware datetime (UTC), or the frozen instant set by :func:`freeze`."""
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    """Return today's date in the active time zone."""
    return timezone.localtime(now()).date()


def freeze(instant: dt.datetime | None) -> None:
    """Freeze :func:`now` at ``instant`` (aware), or unfreeze with ``None``. For tests and generators."""
    if instant is not None and timezone.is_naive(instant):
        raise ValueError("clock.freeze needs an aware datetime")
    global _frozen
    _frozen = instant
