"""The only writers of working calendars (special days, known years) and of complaints' deadlines."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.sla.deadlines import Facts, applicable_targets, due_compute, policy_choose
from closeloop.sla.models import (
    EIGHT_D_TARGETS,
    CalendarDay,
    CalendarYear,
    DayKind,
    Deadline,
    DeadlinePolicy,
    Target,
)

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


def _facts(complaint: Complaint) -> Facts:
    ids: set[int] = set()
    node = complaint.category
    while node is not None and len(ids) < 10:
        ids.add(node.pk)
        node = node.parent
    return Facts(
        severity=complaint.severity,
        urgency=complaint.urgency,
        category_ids=frozenset(ids),
        customer_id=complaint.customer_id,
    )


def deadlines_plan(*, complaint: Complaint) -> list[Deadline]:
    """Set the complaint's deadlines from the policies, counted from its received time: every target
    that applies (the 8D ones once it is on the 8D path); targets already met are left alone. Called
    at triage, when an 8D starts, and again whenever the triage facts change. Runs in the caller's
    transaction (which holds the complaint's row lock)."""
    from closeloop.sla.selectors import schedule_get

    policies = list(DeadlinePolicy.objects.filter(is_active=True))
    schedule = schedule_get(since=complaint.received_at.date() - dt.timedelta(days=1))
    facts = _facts(complaint)
    existing = {d.target: d for d in Deadline.objects.filter(complaint=complaint)}
    targets = applicable_targets(
        Target.values, eight_d=complaint.handling_path == "8d", eight_d_targets=EIGHT_D_TARGETS
    )
    out: list[Deadline] = []
    for target in targets:
        policy = policy_choose(policies, target, facts)
        current = existing.get(target)
        if policy is None or (current is not None and current.met_at is not None):
            continue
        due = due_compute(schedule, complaint.received_at, policy.amount, policy.unit)
        values = {
            "policy": policy,
            "amount": policy.amount,
            "unit": policy.unit,
            "due_at": due.at,
            "provisional": due.provisional,
        }
        if current is None:
            out.append(Deadline.objects.create(complaint=complaint, target=target, **values))
        else:
            for k, v in values.items():
                setattr(current, k, v)
            current.save()
            out.append(current)
    return out


def deadline_meet(*, complaint_id: int, target: str) -> Deadline | None:
    """Record that ``target`` was reached now; a late one keeps its breach time (the due time). Runs in
    the caller's transaction; a target already met keeps its first time."""
    d = Deadline.objects.select_for_update().filter(complaint_id=complaint_id, target=target).first()
    if d is None or d.met_at is not None:
        return d
    now = clock.now()
    d.met_at = now
    if now > d.due_at:
        d.breached_at = d.due_at
    d.save(update_fields=["met_at", "breached_at"])
    return d


def deadlines_recompute_provisional() -> int:
    """Recompute every unmet provisional deadline (a year's schedule was just loaded). Returns how many
    changed."""
    from closeloop.sla.selectors import schedule_get

    schedule = schedule_get()
    changed = 0
    for d in Deadline.objects.select_related("complaint").filter(provisional=True, met_at__isnull=True):
        due = due_compute(schedule, d.complaint.received_at, d.amount, d.unit)
        if (due.at, due.provisional) != (d.due_at, d.provisional):
            d.due_at, d.provisional = due.at, due.provisional
            d.save(update_fields=["due_at", "provisional"])
            changed += 1
    return changed


def deadlines_drop_8d(*, complaint_id: int) -> int:
    """The complaint left the 8D path (its case was cancelled): its unmet 8D targets no longer apply."""
    deleted, _rows = Deadline.objects.filter(
        complaint_id=complaint_id, target__in=list(EIGHT_D_TARGETS), met_at__isnull=True
    ).delete()
    return deleted


STEP_TARGETS = {3: Target.CONTAINMENT, 4: Target.ROOT_CAUSE, 6: Target.CORRECTIVE, 7: Target.PREVENTION}
