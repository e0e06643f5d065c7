"""What the three ledgers share: reading complaints in chunks, display helpers for ``values()`` rows,
and the spec each ledger registers (its title, columns, row count and rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.reports.ledgers.xlsx import Column

T = TypeVar("T")
CHUNK_SIZE = 1000  # complaints per read: one query for them plus one per related table

Progress = Callable[[int], None]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def field_label(model: Any, name: str) -> str:
    """A model field's verbose name, capitalised, in the active language (reuses the catalogue)."""
    return str(capfirst(model._meta.get_field(name).verbose_name))


def english() -> bool:
    return (get_language() or "").startswith("en")


def person(row: dict[str, Any], prefix: str) -> str:
    """A user's name from ``values()`` columns ``<prefix>__username`` etc., as ``User.__str__`` says."""
    if not row.get(f"{prefix}__username"):
        return ""
    full = f"{row.get(f'{prefix}__first_name') or ''} {row.get(f'{prefix}__last_name') or ''}".strip()
    return row.get(f"{prefix}__display_name") or full or row[f"{prefix}__username"]


def person_fields(prefix: str) -> list[str]:
    return [f"{prefix}__{f}" for f in ("username", "display_name", "first_name", "last_name")]


def named(row: dict[str, Any], prefix: str) -> str:
    """A department's or category's name in the current language (the English one when set)."""
    name = row.get(f"{prefix}__name") or ""
    return (row.get(f"{prefix}__name_en") or name) if english() else name


def category_label(row: dict[str, Any]) -> str:
    """ "Parent / child" for a subcategory, as ``Category.full_label``."""
    own = named(row, "category")
    parent = named(row, "category__parent")
    return f"{parent} / {own}" if parent and own else own


CATEGORY_FIELDS = [
    "category__name",
    "category__name_en",
    "category__parent__name",
    "category__parent__name_en",
]


def choice_label(choices: Any, value: Any) -> str:
    """The translated label of a TextChoices/IntegerChoices value; the raw value if unknown."""
    if value is None or value == "":
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value else None


@dataclass(frozen=True)
class LedgerSpec:
    """One exportable ledger.

    ``count`` is the number of progress units (complaints) ``rows`` will go through; ``rows`` yields one
    list of cell values per row, in ``columns()`` order, and calls ``progress`` with the number of
    complaints done after each chunk.
    """

    kind: str
    title: Callable[[], str]
    file_stem: Callable[[], str]
    columns: Callable[[], list[Column]]
    count: Callable[..., int]
    rows: Callable[..., Iterator[list[Any]]]
    describe: Callable[..., str]


def title_line(title: str, filters: str, *, extra: str = "") -> str:
    """Row 1 of every ledger: what it is, the filters applied and when it was exported (with the time
    zone, since Excel's times carry none)."""
    now = timezone.localtime(clock.now())
    exported = _("Exported %(when)s (%(tz)s)") % {
        "when": date_format(now, "Y-m-d H:i"),
        "tz": timezone.get_current_timezone_name(),
    }
    parts = [title, extra, filters or _("No filters"), exported]
    return " · ".join(p for p in parts if p)


def no_progress(_done: int) -> None:
    return None
