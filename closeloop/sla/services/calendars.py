"""The only writers of working calendars: special days and the years known to be complete."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.sla.models import CalendarDay, CalendarYear, DayKind
from closeloop.sla.services.deadlines import deadlines_recompute_provisional

LIBRARY = "chinese-calendar"


def _library_days(year: int) -> list[tuple[dt.date, str, str]]:
    """``(date, kind, name)`` for ``year`` from the chinese-calendar package; ValidationFailed when the
    package has no schedule for that year yet."""
    import chinese_calendar

    days: list[tuple[dt.date, str, str]] = []
    for date, name in chinese_calendar.holidays.items():
        if date.year == year:
            days.append((date, DayKind.HOLIDAY, str(getattr(name, "value", name) or "")))
    for date, name in chinese_calendar.workdays.items():
        if date.year == year:
            days.append((date, DayKind.WORKDAY, str(getattr(name, "value", name) or "")))
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError as exc:
        raise ValidationFailed(
            fields={
                "year": [
                    _(
                        "The chinese-calendar package has no holiday schedule for %(year)s yet; enter that "
                        "year's holidays and adjusted working days by hand, then mark the year complete."
                    )
                    % {"year": year}
                ]
            }
        ) from exc
    return days


@transaction.atomic
def calendar_year_load(*, year: int) -> int:
    """Load ``year``'s public holidays and adjusted working days (调休) from the chinese-calendar package
    and mark the year known. Days an administrator entered by hand are kept. Returns the days added."""
    days = _library_days(year)
    existing = set(CalendarDay.objects.filter(date__year=year).values_list("date", flat=True))
    new = [CalendarDay(date=d, kind=k, name=n[:60], source=LIBRARY) for d, k, n in days if d not in existing]
    CalendarDay.objects.bulk_create(new)
    CalendarYear.objects.update_or_create(year=year, defaults={"source": LIBRARY, "loaded_at": clock.now()})
    deadlines_recompute_provisional()
    return len(new)


@transaction.atomic
def calendar_year_complete(*, year: int, source: str = "admin") -> CalendarYear:
    """An administrator entered ``year``'s schedule by hand (the library does not have it yet) and marks
    it complete: working time in that year is exact from now on."""
    if not 2000 <= year <= 2100:
        raise ValidationFailed(fields={"year": [_("Enter a year between 2000 and 2100.")]})
    if not CalendarDay.objects.filter(date__year=year, kind=DayKind.HOLIDAY).exists():
        raise ValidationFailed(fields={"year": [_("Enter the year's public holidays first.")]})
    cal_year, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": source, "loaded_at": clock.now()}
    )
    deadlines_recompute_provisional()
    return cal_year
