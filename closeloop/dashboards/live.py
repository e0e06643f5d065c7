"""KPI figures computed live from the operational tables, for one period.

This is the reference the rollups must equal (``tests/test_rollup_equals_live.py``). Every function takes
the scoped complaint queryset from :func:`scope_qs` (who may see what, and the cockpit's filters, but
no dates) and the period's bounds ``[start, end)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionStatus
from closeloop.complaints import listing
from closeloop.complaints.listing import repeat_q
from closeloop.complaints.models import Category, Complaint, ComplaintEvent, CustomerVerdict
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.complaints.workflow import Status
from closeloop.dashboards import durations
from closeloop.dashboards.kpi import DashFilters
from closeloop.investigations.models import Investigation
from closeloop.investigations.workflow import CaseStatus
from closeloop.sla.models import Deadline, Target

NOT_VALID = (Status.REJECTED, Status.MERGED)
REPEAT_WINDOW = listing.REPEAT_WINDOW  # one window for the KPI and the list
TIMELY_TARGETS = {
    "timely_response": Target.RESPONSE,
    "timely_containment": Target.CONTAINMENT,
    "timely_root_cause": Target.ROOT_CAUSE,
    "timely_closure": Target.CLOSURE,
}


def category_ids(code: str) -> list[int]:
    """The category with ``code`` and its subcategories (the tree is two levels deep)."""
    cat = Category.objects.filter(code=code).only("id").first()
    if cat is None:
        return []
    return [cat.pk, *Category.objects.filter(parent=cat).values_list("id", flat=True)]


def scope_qs(*, user: Any, f: DashFilters) -> QuerySet[Complaint]:
    """Complaints ``user`` may see that match the cockpit's customer, category, product family and site."""
    qs = complaint_visible_qs(user=user)
    if f.customer:
        qs = qs.filter(customer__code=f.customer)
    if f.category:
        qs = qs.filter(category_id__in=category_ids(f.category))
    if f.product_family:
        qs = qs.filter(product__family=f.product_family)
    if f.site:
        qs = qs.filter(site__code=f.site)
    return qs


def scope_related(*, user: Any, f: DashFilters) -> dict[str, Any] | None:
    """For a user who sees every complaint: filter arguments for rows with a ``complaint`` foreign key
    (deadlines, verdicts, events, actions) that keep those of the valid complaints matching ``f``, as
    conditions on the joined complaint. A day's or a quarter's rows are then found through their own
    time index and checked against their complaint, instead of PostgreSQL hashing the ids of every
    complaint of a customer or plant first (2 s at a million complaints). None for other users: their
    scope is a condition on the complaint list (see :func:`of_valid`)."""
    if not user.has_perm("complaints.view_all_complaints"):
        return None
    out: dict[str, Any] = {"complaint__status__in": VALID_STATUSES}
    if f.customer:
        out["complaint__customer__code"] = f.customer
    if f.category:
        out["complaint__category_id__in"] = category_ids(f.category)
    if f.product_family:
        out["complaint__product__family"] = f.product_family
    if f.site:
        out["complaint__site__code"] = f.site
    return out


def valid(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.exclude(status__in=NOT_VALID)


VALID_STATUSES = [s for s in Status.values if s not in NOT_VALID]


def of_valid(cq: QuerySet[Complaint], related: dict[str, Any] | None = None) -> dict[str, Any]:
    """Filter arguments for rows of a model with a ``complaint`` foreign key (deadlines, verdicts,
    events) that keep those of the valid complaints in ``cq``. When ``cq`` is every complaint (a role
    that sees them all, no filter) it is a join on the complaint's status: PostgreSQL would otherwise
    hash a million ids to check a day's few thousand rows. ``related`` (from :func:`scope_related`)
    is used as it is when given."""
    if related is not None:
        return related
    if not cq.query.where:
        return {"complaint__status__in": VALID_STATUSES}
    return {"complaint__in": valid(cq).values("id")}


def deadline_counted_q(now: dt.datetime) -> Q:
    """Deadlines that count in a timely rate at ``now``: met, or unmet and past due — but not an unmet
    clock paused before its due time (it will move later when the wait ends)."""
    paused_early = Q(met_at__isnull=True, paused_at__isnull=False, paused_at__lt=F("due_at"))
    return Q(met_at__isnull=False) | (Q(due_at__lt=now) & ~paused_early)


def deadline_missed_q(target: str, now: dt.datetime) -> Q:
    """Complaint filter for the list's ``deadline_missed=<target>``: that deadline was met late, or is
    unmet and past due (a clock paused before its due time is not)."""
    late = Q(met_at__gt=F("due_at")) | (
        Q(met_at__isnull=True, due_at__lt=now) & ~Q(paused_at__isnull=False, paused_at__lt=F("due_at"))
    )
    now_late = Exists(Deadline.objects.filter(late, complaint_id=OuterRef("pk"), target=target))
    return Q(now_late)


@dataclass
class Counts:
    """The additive figures of one period (what a rollup stores)."""

    received: int = 0
    invalid: int = 0
    closed: int = 0
    reopened_closed: int = 0
    repeat: int = 0
    verdicts: int = 0
    satisfied: int = 0
    score_sum: int = 0
    score_count: int = 0
    copq: Decimal = Decimal(0)
    # target -> [due, met on time]
    deadlines: dict[str, list[int]] | None = None

    def timely(self, targets: list[str] | None = None) -> tuple[int, int]:
        """(met on time, due) over ``targets`` (all when None)."""
        rows = self.deadlines or {}
        keys = rows.keys() if targets is None else [t for t in targets if t in rows]
        return sum(rows[k][1] for k in keys), sum(rows[k][0] for k in keys)


def counts_live(
    cq: QuerySet[Complaint],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    related: dict[str, Any] | None = None,
) -> Counts:
    """The additive figures over ``[start, end)`` computed from the operational tables (``related``:
    see :func:`of_valid`)."""
    in_period = Q(received_at__gte=start, received_at__lt=end)
    rec = cq.filter(in_period).aggregate(
        received=Count("id", filter=~Q(status__in=NOT_VALID)),
        invalid=Count("id", filter=Q(status__in=NOT_VALID)),
    )
    closed = cq.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end).aggregate(
        closed=Count("id"), reopened=Count("id", filter=Q(reopen_count__gt=0))
    )
    repeat = valid(cq).filter(in_period, product_id__isnull=False).filter(repeat_q()).count()
    verdicts = CustomerVerdict.objects.filter(
        **of_valid(cq, related), recorded_at__gte=start, recorded_at__lt=end
    ).aggregate(
        n_verdicts=Count("id"),
        n_satisfied=Count("id", filter=Q(satisfied=True)),
        n_score_sum=Sum("score", filter=Q(satisfied=True)),
        n_score_count=Count("score", filter=Q(satisfied=True)),
    )
    deadlines: dict[str, list[int]] = {}
    rows = (
        Deadline.objects.filter(**of_valid(cq, related), due_at__gte=start, due_at__lt=end)
        .filter(deadline_counted_q(now))
        .values("target")
        .annotate(due=Count("id"), met=Count("id", filter=Q(met_at__lte=F("due_at"))))
    )
    for row in rows:
        deadlines[row["target"]] = [row["due"], row["met"]]
    return Counts(
        received=rec["received"],
        invalid=rec["invalid"],
        closed=closed["closed"],
        reopened_closed=closed["reopened"],
        repeat=repeat,
        verdicts=verdicts["n_verdicts"],
        satisfied=verdicts["n_satisfied"],
        score_sum=verdicts["n_score_sum"] or 0,
        score_count=verdicts["n_score_count"],
        copq=copq_live(cq, start, end),
        deadlines=deadlines,
    )


def primary_complaint_ids() -> QuerySet[Complaint]:
    """Per 8D case, the complaint its cost is counted with: the lowest id among those it covers (so a
    case covering several customers' complaints is counted once, never twice)."""
    first = (
        Complaint.objects.filter(investigation_id=OuterRef("investigation_id"))
        .order_by("id")
        .values("id")[:1]
    )
    return Complaint.objects.filter(investigation_id__isnull=False, id=first)


def copq_live(cq: QuerySet[Complaint], start: dt.datetime, end: dt.datetime) -> Decimal:
    """D8 cost minus recoveries of the 8D cases closed in ``[start, end)`` whose primary complaint (see
    :func:`primary_complaint_ids`) is in ``cq``."""
    primary = Complaint.objects.filter(investigation_id=OuterRef("pk"), id__in=cq.values("id")).filter(
        id__in=primary_complaint_ids().values("id")
    )
    total = Investigation.objects.filter(
        Exists(primary), status=CaseStatus.CLOSED, closed_at__gte=start, closed_at__lt=end
    ).aggregate(cost=Sum(F("cost_total") - F("cost_recovered")))["cost"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def open_live(cq: QuerySet[Complaint], end: dt.datetime) -> int:
    """Valid complaints received before ``end`` and not closed before it."""
    return valid(cq).filter(received_at__lt=end).exclude(status=Status.CLOSED, closed_at__lt=end).count()


def cycle_pairs(
    cq: QuerySet[Complaint], start: dt.datetime, end: dt.datetime, extra: Sequence[str] = ()
) -> QuerySet[Any]:
    """(received_at, closed_at, *extra fields) of the complaints in ``cq`` closed in ``[start, end)``."""
    return cq.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end).values_list(
        "received_at", "closed_at", *extra
    )


def response_pairs(
    cq: QuerySet[Complaint],
    start: dt.datetime,
    end: dt.datetime,
    related: dict[str, Any] | None = None,
    extra: Sequence[str] = (),
) -> QuerySet[Any]:
    """(received_at, handling started, *extra fields) for each ``handling_started`` event in
    ``[start, end)`` of the valid complaints in ``cq`` (a complaint started twice, after a reopening,
    counts twice)."""
    return ComplaintEvent.objects.filter(
        **of_valid(cq, related),
        verb="handling_started",
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("complaint__received_at", "created_at", *extra)


def durations_live(
    cq: QuerySet[Complaint], start: dt.datetime, end: dt.datetime, related: dict[str, Any] | None = None
) -> dict[str, float | None]:
    """Median and 90th percentile of receipt→closure (days) over complaints closed in the period; median
    of receipt→handling started (hours) over valid complaints whose handling started in the period.
    Counted in bins, nearest rank (see durations.py), so the rollups give the same figures."""
    return durations.figures(
        durations.hist_of(durations.CYCLE, cycle_pairs(cq, start, end)),
        durations.hist_of(durations.RESPONSE, response_pairs(cq, start, end, related)),
    )


def overdue_actions_live(
    cq: QuerySet[Complaint], last_day: dt.date, related: dict[str, Any] | None = None
) -> int:
    """Open or in-progress actions on valid complaints in scope due before ``last_day``."""
    return Action.objects.filter(
        **of_valid(cq, related),
        status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS],
        due_date__lt=last_day,
    ).count()
