"""The numbers of the monthly complaint analysis report (客户抱怨分析报告), read for one user (scoped
like the complaint list) and one month, optionally one customer.

Definitions (the report prints them too):
- *received* / *closed*: complaints received / closed in the month; *open at month end*: received
  before the month ended and not closed by then (invalid and duplicate ones left out);
- *timely-handling rate*: deadlines due in the month (up to now) that were met by their due time, over
  all deadlines due in the month;
- *average days to close*: for complaints closed in the month, from receipt to closure;
- *satisfaction*: the average 1–5 score of the customer verdicts recorded in the month;
- *repeat rate*: complaints received in the month that were reopened, or whose customer had already
  complained about the same product in the 365 days before, over those received.
A constant number of queries (about a dozen) whatever the month or the table size.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionKind, ActionStatus
from closeloop.complaints import listing
from closeloop.complaints.models import Category, Complaint, CustomerVerdict, Severity
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.complaints.workflow import OPEN_STATUSES, Status
from closeloop.core import clock
from closeloop.core.errors import FieldErrors, ValidationFailed
from closeloop.customers.models import Customer
from closeloop.reports.ledgers.customer_status import stage
from closeloop.reports.ledgers.filters import customer_for_report
from closeloop.sla.models import Deadline

TOP_OPEN = 10
ACTIONS_SHOWN = 25
TREND_MONTHS = 12
IMPROVEMENT_KINDS = [ActionKind.CORRECTIVE.value, ActionKind.PREVENTIVE.value, ActionKind.HORIZONTAL.value]
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Kpis:
    received: int
    closed: int
    open_at_end: int
    deadlines_due: int
    deadlines_met: int
    avg_days_to_close: float | None
    satisfaction_avg: float | None
    satisfaction_count: int
    repeat_count: int

    @property
    def timely_rate(self) -> float | None:
        return self.deadlines_met / self.deadlines_due if self.deadlines_due else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_count / self.received if self.received else None


@dataclass(frozen=True)
class ParetoRow:
    label: str
    count: int
    cumulative: float  # share of the month's complaints up to and including this row, 0–1


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    received: int
    closed: int


@dataclass(frozen=True)
class OpenIssue:
    number: str
    customer: str
    title: str
    severity: str
    stage: str
    owner: str
    days_open: int


@dataclass(frozen=True)
class ImprovementAction:
    complaint: str
    kind: str
    title: str
    owner: str
    due_date: dt.date
    status: str
    verified_on: dt.date | None


@dataclass
class MonthlyAnalysis:
    month: dt.date
    customer: Customer | None
    kpis: Kpis
    pareto: list[ParetoRow] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    top_open: list[OpenIssue] = field(default_factory=list)
    actions: list[ImprovementAction] = field(default_factory=list)
    actions_opened: int = 0
    actions_verified: int = 0


def analysis_params_parse(*, user: User, month: str, customer: str = "") -> tuple[dt.date, Customer | None]:
    """``month`` as YYYY-MM (not after the current month) and the optional customer code the user may
    report on. Raises ValidationFailed naming ``month`` and/or ``customer``."""
    errors = FieldErrors()
    first: dt.date | None = None
    m = _MONTH.fullmatch((month or "").strip())
    if m and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) >= 2000:
        first = dt.date(int(m.group(1)), int(m.group(2)), 1)
        today = _local(clock.now()).date()
        if first > today.replace(day=1):
            errors.add("month", _("That month has not begun yet."))
    else:
        errors.add("month", _("Give a month as YYYY-MM, e.g. 2026-11."))
    found = None
    code = (customer or "").strip()
    if code:
        found = customer_for_report(user=user, code=code[:40])
        if found is None:
            errors.add("customer", _("No customer has the code “%(code)s”.") % {"code": code[:40]})
    errors.raise_if_any()
    if first is None:  # unreachable: a bad month raised above; kept for the type checker
        raise ValidationFailed(fields={"month": [_("Give a month as YYYY-MM, e.g. 2026-11.")]})
    return first, found


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _local(instant: dt.datetime) -> dt.datetime:
    return timezone.localtime(instant, listing.site_zone())


def _start(d: dt.date) -> dt.datetime:
    # Months are the company's (its time zone), as the cockpit's days: the same report for everyone,
    # whichever zone they read times in.
    return dt.datetime.combine(d, dt.time.min, tzinfo=listing.site_zone())


def _in(name: str, start: dt.datetime, end: dt.datetime) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def _kpis(base: QuerySet[Complaint], start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Kpis:
    counts = base.filter(received_at__lt=end).aggregate(
        received=Count("pk", filter=_in("received_at", start, end)),
        closed=Count("pk", filter=_in("closed_at", start, end)),
        open_at_end=Count(
            "pk",
            filter=~Q(status__in=[Status.REJECTED, Status.MERGED])
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=end)),
        ),
    )
    days = base.filter(_in("closed_at", start, end)).aggregate(
        avg=Avg(ExpressionWrapper(F("closed_at") - F("received_at"), output_field=DurationField()))
    )["avg"]
    deadlines = Deadline.objects.filter(
        complaint__in=base, due_at__gte=start, due_at__lt=min(end, now)
    ).aggregate(due=Count("pk"), met=Count("pk", filter=Q(met_at__isnull=False, met_at__lte=F("due_at"))))
    verdicts = CustomerVerdict.objects.filter(
        _in("recorded_at", start, end), complaint__in=base, score__isnull=False
    ).aggregate(avg=Avg("score"), n=Count("pk"))
    earlier = Complaint.objects.filter(
        customer_id=OuterRef("customer_id"),
        product_id=OuterRef("product_id"),
        received_at__lt=OuterRef("received_at"),
        received_at__gte=OuterRef("received_at") - dt.timedelta(days=365),
    )
    repeat = (
        base.filter(_in("received_at", start, end))
        .filter(Q(reopen_count__gt=0) | (Q(product__isnull=False) & Exists(earlier)))
        .count()
    )
    return Kpis(
        received=counts["received"],
        closed=counts["closed"],
        open_at_end=counts["open_at_end"],
        deadlines_due=deadlines["due"],
        deadlines_met=deadlines["met"],
        avg_days_to_close=days.total_seconds() / 86400 if days is not None else None,
        satisfaction_avg=float(verdicts["avg"]) if verdicts["avg"] is not None else None,
        satisfaction_count=verdicts["n"],
        repeat_count=repeat,
    )


def _pareto(base: QuerySet[Complaint], start: dt.datetime, end: dt.datetime) -> list[ParetoRow]:
    """Complaints received in the month by top-level category, most frequent first."""
    cats = {c.pk: c for c in Category.objects.select_related("parent")}
    totals: dict[str, int] = {}
    for row in base.filter(_in("received_at", start, end)).values("category_id").annotate(n=Count("pk")):
        cat = cats.get(row["category_id"])
        top = (cat.parent or cat) if cat else None
        label = top.label if top else _("Not categorised")
        totals[label] = totals.get(label, 0) + row["n"]
    total = sum(totals.values())
    out, running = [], 0
    for label, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        out.append(ParetoRow(label=label, count=n, cumulative=running / total))
    return out


def _trend(base: QuerySet[Complaint], month: dt.date) -> list[TrendPoint]:
    """Received and closed per month for the 12 months ending with ``month`` (two queries)."""
    months = [_add_months(month, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
    bounds = [(_start(m), _start(_add_months(m, 1))) for m in months]
    lo, hi = bounds[0][0], bounds[-1][1]
    received = base.filter(received_at__gte=lo, received_at__lt=hi).aggregate(
        **{f"m{i}": Count("pk", filter=_in("received_at", a, b)) for i, (a, b) in enumerate(bounds)}
    )
    closed = base.filter(closed_at__gte=lo, closed_at__lt=hi).aggregate(
        **{f"m{i}": Count("pk", filter=_in("closed_at", a, b)) for i, (a, b) in enumerate(bounds)}
    )
    return [TrendPoint(m, received[f"m{i}"], closed[f"m{i}"]) for i, m in enumerate(months)]


def _top_open(base: QuerySet[Complaint], end: dt.datetime, now: dt.datetime) -> list[OpenIssue]:
    """Complaints still open now that were received by the month's end: most severe, then oldest."""
    rank = Case(
        *[When(severity=s, then=Value(i)) for i, s in enumerate(listing.SEVERITY_RANKED)],
        default=Value(9),
        output_field=IntegerField(),
    )
    rows = (
        base.filter(status__in=list(OPEN_STATUSES), received_at__lt=end)
        .select_related("customer", "owner", "investigation")
        .annotate(_rank=rank)
        .order_by("_rank", "received_at", "pk")[:TOP_OPEN]
    )
    today = _local(now).date()
    out = []
    for c in rows:
        inv = c.investigation
        out.append(
            OpenIssue(
                number=c.number,
                customer=c.customer.name,
                title=c.title,
                severity=str(Severity(c.severity).label),
                stage=stage(
                    {
                        "status": c.status,
                        "handling_path": c.handling_path,
                        "investigation__number": inv.number if inv else None,
                        "investigation__status": inv.status if inv else None,
                        "investigation__current_step": inv.current_step if inv else None,
                    }
                ),
                owner=str(c.owner) if c.owner else "",
                days_open=(today - _local(c.received_at).date()).days,
            )
        )
    return out


def _actions(
    base: QuerySet[Complaint], start: dt.datetime, end: dt.datetime
) -> tuple[list[ImprovementAction], int, int]:
    """Corrective, preventive and horizontal-deployment actions opened or verified in the month."""
    qs = Action.objects.filter(complaint__in=base, kind__in=IMPROVEMENT_KINDS).filter(
        _in("created_at", start, end) | _in("verified_at", start, end)
    )
    counts = qs.aggregate(
        opened=Count("pk", filter=_in("created_at", start, end)),
        verified=Count("pk", filter=_in("verified_at", start, end)),
    )
    shown = []
    for a in qs.select_related("complaint", "owner").order_by("due_date", "pk")[:ACTIONS_SHOWN]:
        shown.append(
            ImprovementAction(
                complaint=a.complaint.number,
                kind=str(ActionKind(a.kind).label),
                title=a.title,
                owner=str(a.owner),
                due_date=a.due_date,
                status=str(ActionStatus(a.status).label),
                verified_on=_local(a.verified_at).date() if a.verified_at else None,
            )
        )
    return shown, counts["opened"], counts["verified"]


def monthly_analysis(*, user: User, month: dt.date, customer: Customer | None = None) -> MonthlyAnalysis:
    """Everything the monthly report shows for ``month`` (its first day) in the active time zone,
    over the complaints ``user`` may see (of ``customer`` only, when given)."""
    base = complaint_visible_qs(user=user)
    if customer is not None:
        base = base.filter(customer=customer)
    start, end = _start(month), _start(_add_months(month, 1))
    now = clock.now()
    actions, opened, verified = _actions(base, start, end)
    return MonthlyAnalysis(
        month=month,
        customer=customer,
        kpis=_kpis(base, start, end, now),
        pareto=_pareto(base, start, end),
        trend=_trend(base, month),
        top_open=_top_open(base, end, now),
        actions=actions,
        actions_opened=opened,
        actions_verified=verified,
    )
