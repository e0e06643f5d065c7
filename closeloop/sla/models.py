"""Working calendars: the plant's working hours, and the days that differ from the usual week —
public holidays and the adjusted working days (调休) the State Council announces each autumn.

A year counts as known only once its schedule is loaded (``CalendarYear``); working time reaching into
an unknown year is computed on weekdays alone and marked provisional wherever it is shown.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkCalendar(models.Model):
    """A site's working hours (one default calendar; others per plant or site)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    work_start = models.TimeField(_("work starts"), default=dt.time(8, 30))
    work_end = models.TimeField(_("work ends"), default=dt.time(17, 30))
    lunch_start = models.TimeField(_("lunch starts"), null=True, blank=True, default=dt.time(12, 0))
    lunch_end = models.TimeField(_("lunch ends"), null=True, blank=True, default=dt.time(13, 0))
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_calendar"
            ),
            models.CheckConstraint(
                condition=models.Q(work_start__lt=models.F("work_end")), name="work_day_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (off)")
    WORKDAY = "workday", _("Adjusted working day (调休, on)")


class CalendarDay(models.Model):
    """A day that differs from the usual Monday–Friday week, for every calendar."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True, help_text=_("Where the day came from."))

    class Meta:
        verbose_name = _("holiday or adjusted working day")
        verbose_name_plural = _("holidays and adjusted working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """A year whose holiday schedule is complete: only then is working time in it exact."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=40)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
