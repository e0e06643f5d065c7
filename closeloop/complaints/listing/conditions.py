"""The conditions (``Q``) the complaint list filters by and the cockpit counts with, so a figure's
drill lists exactly the complaints it counted: overdue, missed deadlines, customer verdicts, an 8D
case's primary complaint, handling started, open actions due, repeats."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.lookups import IsNull

from closeloop.complaints.listing.filters import ANY_DEADLINE, REPEAT_WINDOW
from closeloop.complaints.models import Complaint, Urgency
from closeloop.complaints.workflow import OPEN_STATUSES, Status

# Before triage a complaint has no deadlines yet: the "overdue" view counts its age from received_at.
RESPONSE_TARGET = {Urgency.URGENT: dt.timedelta(days=2), Urgency.NORMAL: dt.timedelta(days=5)}


def overdue_q(now: dt.datetime) -> Q:
    """Open complaints overdue at ``now``: one of their deadlines is unmet and past due (a clock paused
    while the complaint waits on the customer is not overdue, unless it was missed before the wait);
    or, not triaged yet (so without deadlines), received more than 2 calendar days ago if urgent, 5 if
    normal.

    This is the single place the rule lives (the list's "overdue" view and the API's ``view=overdue``
    both use it). The deadline test is an EXISTS on the deadlines' (met_at, due_at) index.
    """
    from closeloop.sla.models import Deadline

    late_deadline = Exists(
        Deadline.objects.filter(complaint_id=OuterRef("pk"), met_at__isnull=True, due_at__lt=now).filter(
            Q(paused_at__isnull=True) | Q(due_at__lte=F("paused_at"))
        )
    )
    untriaged_late = Q()
    for urgency, target in RESPONSE_TARGET.items():
        untriaged_late |= Q(urgency=urgency, received_at__lt=now - target)
    return Q(status__in=list(OPEN_STATUSES)) & (late_deadline | (Q(status=Status.NEW) & untriaged_late))


def deadline_missed_q(
    target: str,
    now: dt.datetime,
    *,
    missed: bool = True,
    due_start: dt.datetime | None = None,
    due_end: dt.datetime | None = None,
) -> Q:
    """Complaints with a deadline of ``target`` (any target for "" or ANY_DEADLINE) that was met late,
    or is unmet and past due (a clock paused while waiting on the customer counts only if it was
    already late when it paused, as in overdue_q) — the misses of the cockpit's on-time rates; and,
    when given, due in ``[due_start, due_end)``. One EXISTS, so the missed deadline and the due day
    are those of the same deadline. ``missed=False`` drops the first condition (any deadline due in
    the range)."""
    from closeloop.sla.models import Deadline

    rows = Deadline.objects.filter(complaint_id=OuterRef("pk"))
    if target and target != ANY_DEADLINE:
        rows = rows.filter(target=target)
    if missed:
        rows = rows.filter(
            Q(met_at__gt=F("due_at"))
            | (
                Q(met_at__isnull=True, due_at__lt=now)
                & (Q(paused_at__isnull=True) | Q(due_at__lte=F("paused_at")))
            )
        )
    if due_start is not None:
        rows = rows.filter(due_at__gte=due_start)
    if due_end is not None:
        rows = rows.filter(due_at__lt=due_end)
    return Q(Exists(rows))


def site_zone() -> ZoneInfo:
    """The zone the list's day filters are read in: the site's (``settings.TIME_ZONE``), as the
    cockpit counts its days, so a drill-down lists the same complaints whatever zone the user reads
    times in (the list still shows each time in the user's zone)."""
    return ZoneInfo(settings.TIME_ZONE)


def _day_start(day: dt.date | None, *, after: bool = False) -> dt.datetime | None:
    """00:00 of ``day`` (of the day after it when ``after``: the end of an inclusive range) in the
    site's time zone, as the list's received/closed days; None for no day."""
    if day is None:
        return None
    if after:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=site_zone())


def _range(name: str, start: dt.datetime | None, end: dt.datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{name}__gte": start})
    if end is not None:
        q &= Q(**{f"{name}__lt": end})
    return q


def verdicts_q(*, start: dt.datetime | None, end: dt.datetime | None, satisfied: bool) -> Q:
    """Complaints with a customer verdict recorded in ``[start, end)`` (satisfied ones only when
    ``satisfied``): the cockpit's satisfaction figures count verdicts."""
    from closeloop.complaints.models import CustomerVerdict

    rows = CustomerVerdict.objects.filter(_range("recorded_at", start, end), complaint_id=OuterRef("pk"))
    if satisfied:
        rows = rows.filter(satisfied=True)
    return Q(Exists(rows))


def case_primary_q() -> Q:
    """The complaint an 8D case's cost is counted with: the lowest id among the complaints it covers
    (every complaint, whoever may see it), so a case is listed once however many complaints it
    covers — as the cockpit's cost of poor quality counts it (dashboards.live.primary_complaint_ids)."""
    first = (
        Complaint.objects.filter(investigation_id=OuterRef("investigation_id"))
        .order_by("id")
        .values("id")[:1]
    )
    return Q(investigation__isnull=False) & Q(pk=Subquery(first))


def handling_started_q(*, start: dt.datetime | None, end: dt.datetime | None) -> Q:
    """Complaints whose handling started (the ``handling_started`` event) in ``[start, end)``."""
    from closeloop.complaints.models import ComplaintEvent

    rows = ComplaintEvent.objects.filter(
        _range("created_at", start, end), complaint_id=OuterRef("pk"), verb="handling_started"
    )
    return Q(Exists(rows))


def open_actions_due_q(before: dt.date) -> Q:
    """Complaints with an open or in-progress action due before the day ``before``."""
    from closeloop.actions.models import Action
    from closeloop.actions.workflow import ActionStatus

    rows = Action.objects.filter(
        complaint_id=OuterRef("pk"),
        status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS],
        due_date__lt=before,
    )
    return Q(Exists(rows))


def repeat_q() -> Q:
    """Complaints whose customer already had a valid complaint about the same product in the
    REPEAT_WINDOW before this one was received (an exact tie in ``received_at`` is broken by id). A
    complaint without a product is never a repeat. The cockpit's repeat rate counts with this very
    condition, so its drill lists exactly the repeats counted."""
    window_start = ExpressionWrapper(OuterRef("received_at") - REPEAT_WINDOW, output_field=DateTimeField())
    earlier = (
        Complaint.objects.filter(
            customer_id=OuterRef("customer_id"),
            product_id=OuterRef("product_id"),
            received_at__gte=window_start,
            received_at__lte=OuterRef("received_at"),  # the index range; the tie rule is below
        )
        .filter(
            Q(received_at__lt=OuterRef("received_at"))
            | Q(received_at=OuterRef("received_at"), id__lt=OuterRef("id"))
        )
        .exclude(status__in=[Status.REJECTED, Status.MERGED])
        .order_by()  # any one earlier complaint will do: no sort, no walk from the newest
    )
    # A scalar subquery with LIMIT 1 rather than EXISTS: PostgreSQL turns EXISTS into a hash semi-join
    # over the whole table (0.9 s for one day's complaints at a million rows), while a limited subquery
    # is probed per row through the index cmp_repeat and stops at the first earlier complaint.
    return Q(product__isnull=False) & Q(IsNull(Subquery(earlier.values("id")[:1]), False))
