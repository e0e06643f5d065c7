"""Working calendars: the plant's working hours, and the days that differ from the usual week —
public holidays and the adjusted working days (调休) the State Council announces each autumn.

A year counts as known only once its schedule is loaded (``CalendarYear``); working time reaching into
an unknown year is computed on weekdays alone and marked provisional wherever it is shown.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.complaints.models import Severity, Urgency


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


class Target(models.TextChoices):
    """What a deadline is for. The 8D targets apply once a complaint is on the full-8D path."""

    RESPONSE = "response", _("First response (handling started)")
    # The seed's rule: a quality complaint gets a handling proposal (told to the customer) within 3 days.
    PROPOSAL = "proposal", _("Handling proposal (quality complaints)")
    CONTAINMENT = "containment", _("D3 containment")
    ROOT_CAUSE = "root_cause", _("D4 root cause")
    CORRECTIVE = "corrective", _("D5/D6 corrective action")
    PREVENTION = "prevention", _("D7 prevention")
    CLOSURE = "closure", _("Closure")


EIGHT_D_TARGETS = frozenset({Target.CONTAINMENT, Target.ROOT_CAUSE, Target.CORRECTIVE, Target.PREVENTION})


class Unit(models.TextChoices):
    CALENDAR_HOURS = "calendar_hours", _("calendar hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class DeadlinePolicy(models.Model):
    """How long a target may take. The most specific policy that matches wins (customer, then category,
    then severity, then urgency); an empty condition matches anything."""

    target = models.CharField(_("target"), max_length=20, choices=Target.choices)
    amount = models.PositiveSmallIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    severity = models.CharField(_("severity"), max_length=10, blank=True, choices=Severity.choices)
    urgency = models.CharField(_("urgency"), max_length=10, blank=True, choices=Urgency.choices)
    category = models.ForeignKey(
        "complaints.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["target", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="policy_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.amount} {self.get_unit_display()}"


class Deadline(models.Model):
    """One target's clock for one complaint. The clock starts at the complaint's received time."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="deadlines")
    target = models.CharField(_("target"), max_length=20, choices=Target.choices)
    policy = models.ForeignKey(
        DeadlinePolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.PositiveSmallIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    due_at = models.DateTimeField(_("due at"))
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Counted on weekdays only: a year's holidays are not loaded."),
    )
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    # Bookkeeping of the scan (services.scan): when it must look at this deadline next (None: never —
    # met, paused, or the ladder is climbed to its top), the highest reminder percentage already told,
    # and the ``order`` of the last escalation step reached (0: none yet).
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    reminded_percent = models.PositiveSmallIntegerField(_("reminded up to percent"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("escalation step reached"), default=0)
    paused_at = models.DateTimeField(
        _("paused at"),
        null=True,
        blank=True,
        help_text=_("The clock stopped here while the complaint waits on the customer."),
    )

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["complaint", "target"], name="uniq_deadline_target")]
        indexes = [
            models.Index(fields=["met_at", "due_at"], name="deadline_open_due"),
            models.Index(fields=["next_check_at"], name="deadline_next_check"),
            # The cockpit's rollups count the deadlines due on one day.
            models.Index(fields=["due_at"], name="deadline_due"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.target} {self.due_at:%Y-%m-%d %H:%M}"


class PauseReason(models.TextChoices):
    """Why a complaint's clocks stand still: it waits on the customer."""

    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting the customer's confirmation")
    AWAITING_INFORMATION = "awaiting_information", _("Awaiting information from the customer")
    AWAITING_SAMPLES = "awaiting_samples", _("Awaiting samples or returned parts")
    OTHER = "other", _("Other (see the note)")


class ClockPause(models.Model):
    """A stretch of time the complaint waited on the customer: its deadlines move later by it. At most
    one pause per complaint is open (``ended_at`` empty)."""

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="clock_pauses"
    )
    reason = models.CharField(_("reason"), max_length=30, choices=PauseReason.choices)
    note = models.TextField(_("note"), blank=True)
    started_at = models.DateTimeField(_("paused at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paused by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resumed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(ended_at__isnull=True), name="one_open_clock_pause"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="clock_pause_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.reason} {self.started_at:%Y-%m-%d %H:%M}"


class ReminderThreshold(models.Model):
    """Remind the owner when this share of a deadline's time (working time for working units) is used."""

    percent = models.PositiveSmallIntegerField(_("percent of the time used"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["percent"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gte=1, percent__lte=99), name="reminder_percent_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.percent}%"


class EscalationWho(models.TextChoices):
    OWNER = "owner", _("The owner")
    DEPARTMENT_MANAGER = "department_manager", _("The owner's department manager")
    QUALITY_MANAGERS = "quality_managers", _("The quality managers")
    GENERAL_MANAGER = "general_manager", _("The general manager")


class EscalationStep(models.Model):
    """One rung of the ladder climbed once a deadline is missed: who is told, how long after the miss.
    Steps are climbed in ``order``; a step restricted to a severity is skipped for other complaints."""

    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    who = models.CharField(_("who is told"), max_length=30, choices=EscalationWho.choices)
    delay_hours = models.PositiveSmallIntegerField(_("hours after the deadline"), default=0)
    severity = models.CharField(
        _("only for severity"),
        max_length=10,
        blank=True,
        choices=Severity.choices,
        help_text=_("Leave empty for every complaint."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation ladder")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=models.Q(order__gte=1), name="escalation_order_positive")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_who_display()} +{self.delay_hours} h"
