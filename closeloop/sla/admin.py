"""Working calendars in the admin: hours per site, holidays and adjusted working days (editable,
because each year's schedule is published in the autumn), and which years are complete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.core.errors import ValidationFailed
from closeloop.sla import selectors, services
from closeloop.sla.models import (
    CalendarDay,
    CalendarYear,
    ClockPause,
    Deadline,
    DeadlinePolicy,
    EscalationStep,
    ReminderThreshold,
    WorkCalendar,
)


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone", "work_start", "work_end", "is_default"]


def _warn_missing(request: HttpRequest) -> None:
    for year in selectors.calendar_years_missing():
        messages.warning(
            request,
            _(
                "%(year)s has no holiday schedule yet: deadlines reaching into it count weekdays only "
                "and are marked provisional. Load it, or enter its days and mark it complete."
            )
            % {"year": year},
        )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]
    actions = ["mark_years_complete"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _warn_missing(request)
        return super().changelist_view(request, extra_context)

    @admin.action(description=gettext_lazy("Mark the years of the selected days complete"))
    def mark_years_complete(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for year in sorted({d.year for d in queryset.values_list("date", flat=True)}):
            try:
                services.calendar_year_complete(year=year, source=f"admin:{request.user}")
            except ValidationFailed as exc:
                messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
            else:
                messages.success(
                    request, _("%(year)s is complete: its working time is now exact.") % {"year": year}
                )


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "loaded_at"]
    actions = ["reload_from_library"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # years are marked known through the actions, which check the days exist

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _warn_missing(request)
        return super().changelist_view(request, extra_context)

    @admin.action(description=gettext_lazy("Load again from the chinese-calendar package"))
    def reload_from_library(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for cy in queryset:
            try:
                added = services.calendar_year_load(year=cy.year)
            except ValidationFailed as exc:
                messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms))
            else:
                messages.success(request, _("%(year)s: %(n)s days added.") % {"year": cy.year, "n": added})


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["target", "amount", "unit", "severity", "urgency", "category", "customer", "is_active"]
    list_filter = ["target", "unit", "is_active"]
    list_editable = ["is_active"]
    autocomplete_fields = ["customer"]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    """Read-only: deadlines are set and met by the services."""

    list_display = [
        "complaint",
        "target",
        "due_at",
        "provisional",
        "met_at",
        "breached_at",
        "paused_at",
        "reminded_percent",
        "escalation_level",
        "next_check_at",
    ]
    list_filter = ["target", "provisional"]
    raw_id_fields = ["complaint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReminderThreshold)
class ReminderThresholdAdmin(admin.ModelAdmin):
    """Reminders before a deadline falls due, as shares of its time; each is told once per deadline."""

    list_display = ["percent", "is_active"]
    list_editable = ["is_active"]


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    """The ladder climbed after a deadline is missed. Changes apply from each deadline's next check; a
    deadline already at the top of the ladder is not chased again."""

    list_display = ["order", "who", "delay_hours", "severity", "is_active"]
    list_editable = ["who", "delay_hours", "severity", "is_active"]
    list_filter = ["who", "severity", "is_active"]


@admin.register(ClockPause)
class ClockPauseAdmin(admin.ModelAdmin):
    """Read-only: pauses are opened and ended by the services (the complaint page, the API)."""

    list_display = ["complaint", "reason", "started_at", "started_by", "ended_at", "ended_by"]
    list_filter = ["reason"]
    raw_id_fields = ["complaint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
