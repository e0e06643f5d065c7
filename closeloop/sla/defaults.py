"""What every database holds for deadlines: the default working calendar, the years the chinese-calendar
package knows (holidays and adjusted working days), the default deadline policies, reminders and
escalation ladder. Created by the migrations and re-ensured after every migrate or test flush; rows an
administrator changed are kept (a table an administrator emptied on purpose is refilled, though)."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Common practice and the seed's rule: the first response (handling started) within 2 working days if
# urgent and 5 if normal; containment within 24 hours; root cause within 7 days; corrective action
# within 14; prevention within 30; closure within 30 days for serious complaints and 60 for others.
POLICIES = [
    ("response", 2, "working_days", "", "urgent"),
    ("response", 5, "working_days", "", "normal"),
    ("containment", 24, "calendar_hours", "", ""),
    ("root_cause", 7, "calendar_days", "", ""),
    ("corrective", 14, "calendar_days", "", ""),
    ("prevention", 30, "calendar_days", "", ""),
    ("closure", 60, "calendar_days", "", ""),
    ("closure", 30, "calendar_days", "serious", ""),
]

# (target, amount, unit, category code): a handling proposal for quality complaints within 3 days.
CATEGORY_POLICIES = [("proposal", 3, "calendar_days", "quality")]


# Remind the owner when half and when four fifths of a deadline's time is used.
REMINDER_PERCENTS = [50, 80]

# (order, who, hours after the miss, only for severity): the owner's overdue notice at once, then the
# owner's department manager, the quality managers and the general manager.
LADDER = [
    (1, "owner", 0, ""),
    (2, "department_manager", 4, ""),
    (3, "quality_managers", 24, ""),
    (4, "general_manager", 48, ""),
]


def sla_defaults_ensure(apps: Any = None) -> None:
    """Idempotent. ``apps`` is the migration state's registry inside a migration, else the live models."""
    import chinese_calendar

    def model(name: str) -> Any:
        if apps is not None:
            return apps.get_model("sla", name)
        from django.apps import apps as live

        return live.get_model("sla", name)

    work_calendar, calendar_day, calendar_year = (
        model(n) for n in ("WorkCalendar", "CalendarDay", "CalendarYear")
    )
    try:
        policy = model("DeadlinePolicy")
    except LookupError:  # an early migration, before the policies' table exists
        policy = None
    if not work_calendar.objects.filter(is_default=True).exists():
        work_calendar.objects.get_or_create(
            code="default", defaults={"name": "默认工作日历", "is_default": True}
        )
    rows = {}
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for date, name in table.items():
            label = str(getattr(name, "value", name) or "")[:60]
            rows[date] = calendar_day(date=date, kind=kind, name=label, source="chinese-calendar")
    existing = set(calendar_day.objects.values_list("date", flat=True))
    calendar_day.objects.bulk_create([r for d, r in rows.items() if d not in existing])
    known = set(calendar_year.objects.values_list("year", flat=True))
    now = dt.datetime.now(dt.UTC)
    calendar_year.objects.bulk_create(
        [
            calendar_year(year=y, source="chinese-calendar", loaded_at=now)
            for y in sorted({d.year for d in rows} - known)
        ]
    )
    if policy is not None and not policy.objects.exists():
        policy.objects.bulk_create(
            [policy(target=t, amount=a, unit=u, severity=s, urgency=g) for t, a, u, s, g in POLICIES]
        )
        category_policies_ensure(policy, model_of=apps)
    try:
        threshold, step = model("ReminderThreshold"), model("EscalationStep")
    except LookupError:  # an early migration, before the reminders' and ladder's tables exist
        return
    if not threshold.objects.exists():
        threshold.objects.bulk_create([threshold(percent=p) for p in REMINDER_PERCENTS])
    if not step.objects.exists():
        step.objects.bulk_create(
            [step(order=o, who=w, delay_hours=h, severity=sev) for o, w, h, sev in LADDER]
        )


def category_policies_ensure(policy: Any, *, model_of: Any = None) -> None:
    """Add each default per-category policy whose target has no policy yet (its category must exist)."""
    if model_of is not None:
        category = model_of.get_model("complaints", "Category")
    else:
        from closeloop.complaints.models import Category as category
    for target, amount, unit, code in CATEGORY_POLICIES:
        cat = category.objects.filter(code=code).first()
        if cat is not None and not policy.objects.filter(target=target).exists():
            policy.objects.create(target=target, amount=amount, unit=unit, category_id=cat.pk)


def defaults_after_migrate(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", None) == "sla":
        sla_defaults_ensure()
