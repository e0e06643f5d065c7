"""The complaint list: filters, Chinese search, saved views and keyset pagination.

Pages are addressed by a cursor (the last row's sort value and id), never by OFFSET, and the total
is counted only up to ``COUNT_CAP`` rows, so a page costs the same at row 20 and at row 900,000. A search
that PostgreSQL expects to match many rows is not counted at all: its estimate is shown instead.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IsNull
from django.db.models.sql.compiler import SQLCompiler
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Category, Complaint, Severity, Urgency
from closeloop.complaints.search import query_tokens
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.complaints.workflow import OPEN_STATUSES, HandlingPath, Status
from closeloop.core import clock
from closeloop.customers.models import SITE_CODE_PATTERN

COUNT_CAP = 1000
PAGE_SIZE = 25
# A search PostgreSQL expects to match at least ESTIMATE_FROM rows, and at least ESTIMATE_SHARE of the
# table, is shown as "about N" rather than counted (see _search_estimate).
ESTIMATE_FROM = 10 * COUNT_CAP
ESTIMATE_SHARE = 0.01

# sort key -> (model field, descending). Request data selects a key; it never reaches order_by itself.
SORTS: dict[str, tuple[str, bool]] = {
    "-received_at": ("received_at", True),
    "received_at": ("received_at", False),
    "-priority": ("priority_score", True),
    "priority": ("priority_score", False),
    "-number": ("number", True),
    "number": ("number", False),
    # By rank (serious > general > minor), newest first within a rank; see _severity_rows.
    "-severity": ("severity", True),
    "severity": ("severity", False),
}
SORT_ALIASES = {"-priority_score": "-priority", "priority_score": "priority"}
DEFAULT_SORT = "-received_at"
SEVERITY_RANKED = (Severity.SERIOUS, Severity.GENERAL, Severity.MINOR)  # most severe first
VIEWS = ("all", "mine", "unassigned", "overdue")

# Drill-down parameters (the cockpit's figures link to the list through them).
STEPS = {f"D{n}": n for n in range(9)}  # "D0".."D8" -> Investigation.current_step
QUICK_STEP = "quick"  # the quick-resolution path (no 8D case)
REPEAT_WINDOW = dt.timedelta(days=90)
_DEPARTMENT_CODE = re.compile(r"[-a-zA-Z0-9_]{1,40}")
_SITE_CODE = re.compile(SITE_CODE_PATTERN)
_FLAGS = {"1": True, "0": False, "": False}
ANY_DEADLINE = "any"  # deadline_missed=any: whichever target
NO_PRODUCT = "none"  # product=none: complaints without a product (as owner=none)
_PRODUCT_CODE_MAX = 40  # Product.code's max_length
# Local days (in the active time zone, as received_from/closed_from) and 1-flags of the cockpit's drills.
DRILL_DAYS = (
    "due_from",
    "due_to",
    "verdict_from",
    "verdict_to",
    "case_closed_from",
    "case_closed_to",
    "started_from",
    "started_to",
    "actions_due_before",
)
DRILL_FLAGS = ("satisfied", "case_primary", "overdue_actions")


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


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


@dataclass
class ListFilters:
    view: str = "all"
    status: list[str] = field(default_factory=list)
    customer: str = ""
    category: str = ""
    severity: list[str] = field(default_factory=list)
    owner: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str = ""
    product_family: str = ""
    closed_from: dt.date | None = None
    closed_to: dt.date | None = None
    step: str = ""
    department: str = ""
    site: str = ""
    root_cause: str = ""
    deadline_missed: str = ""
    reopened: bool = False
    repeat: bool = False
    # The cockpit's drills (see DRILL_DAYS and _drill_filter).
    product: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    verdict_from: dt.date | None = None
    verdict_to: dt.date | None = None
    satisfied: bool = False
    case_closed_from: dt.date | None = None
    case_closed_to: dt.date | None = None
    case_primary: bool = False
    started_from: dt.date | None = None
    started_to: dt.date | None = None
    overdue_actions: bool = False
    actions_due_before: dt.date | None = None
    sort: str = DEFAULT_SORT
    cursor: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def as_query(self, **override: Any) -> str:
        """The filters as a query string (for links that keep the current view)."""
        data = {
            "view": self.view if self.view != "all" else "",
            "status": self.status,
            "customer": self.customer,
            "category": self.category,
            "severity": self.severity,
            "owner": self.owner,
            "received_from": self.received_from.isoformat() if self.received_from else "",
            "received_to": self.received_to.isoformat() if self.received_to else "",
            "q": self.q,
            "product_family": self.product_family,
            "closed_from": self.closed_from.isoformat() if self.closed_from else "",
            "closed_to": self.closed_to.isoformat() if self.closed_to else "",
            "step": self.step,
            "department": self.department,
            "site": self.site,
            "root_cause": self.root_cause,
            "deadline_missed": self.deadline_missed,
            "reopened": "1" if self.reopened else "",
            "repeat": "1" if self.repeat else "",
            "product": self.product,
            **{name: _iso(getattr(self, name)) for name in DRILL_DAYS},
            **{name: "1" if getattr(self, name) else "" for name in DRILL_FLAGS},
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
        }
        data.update(override)
        qd = QueryDict(mutable=True)
        for k, v in data.items():
            if isinstance(v, list):
                qd.setlist(k, [x for x in v if x])
            elif v:
                qd[k] = str(v)
        return qd.urlencode()


def _datetime_or_none(raw: str) -> dt.datetime | None:
    """A datetime from a cursor, or None when it is malformed or impossible (month 13, hour 25)."""
    try:
        return parse_datetime(raw)
    except ValueError:
        return None


def filters_parse(params: QueryDict) -> ListFilters:
    """Parse list filters from request parameters. Unknown values are dropped and reported."""
    f = ListFilters()
    f.view = params.get("view") or "all"
    if f.view not in VIEWS:
        f.errors["view"] = str(_("Unknown view."))
        f.view = "all"
    f.status = [s for s in params.getlist("status") if s in Status.values]
    f.severity = [s for s in params.getlist("severity") if s in Severity.values]
    f.customer = (params.get("customer") or "").strip()[:40]
    f.category = (params.get("category") or "").strip()[:60]
    f.owner = (params.get("owner") or "").strip()[:150]
    f.q = (params.get("q") or "").strip()[:100]
    _drill_parse(f, params)
    for name in ("received_from", "received_to", "closed_from", "closed_to"):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                value = parse_date(raw) if len(raw) <= 10 else None
            except ValueError:  # well formed but impossible, such as 2026-13-01
                value = None
            if value is None:
                f.errors[name] = str(_("Use a date like 2026-11-22."))
            setattr(f, name, value)
    sort = params.get("sort") or DEFAULT_SORT
    sort = SORT_ALIASES.get(sort, sort)
    f.sort = sort if sort in SORTS else DEFAULT_SORT
    f.cursor = (params.get("cursor") or "")[:200]
    return f


def _drill_parse(f: ListFilters, params: QueryDict) -> None:
    """The drill-down parameters. A value outside its set is reported on its field (shown next to
    it on the page, a 422 naming it in the API) and not applied."""
    from closeloop.investigations.content import CAUSE_CATEGORIES
    from closeloop.sla.models import Target

    f.product_family = (params.get("product_family") or "").strip()[:100]
    step = (params.get("step") or "").strip()
    if step and step.upper() not in STEPS and step != QUICK_STEP:
        f.errors["step"] = str(_("Use a step from D0 to D8, or “quick” for quick resolution."))
    elif step:
        f.step = step if step == QUICK_STEP else step.upper()
    department = (params.get("department") or "").strip()
    if department and not _DEPARTMENT_CODE.fullmatch(department):
        f.errors["department"] = str(_("Use a department code, such as “quality”."))
    else:
        f.department = department
    site = (params.get("site") or "").strip()
    if site and not _SITE_CODE.fullmatch(site):
        f.errors["site"] = str(_("Use a site code, such as “SZ”."))
    else:
        f.site = site
    root_cause = (params.get("root_cause") or "").strip()
    if root_cause and root_cause not in CAUSE_CATEGORIES:
        f.errors["root_cause"] = str(_("Use one of the fishbone categories: %(codes)s.")) % {
            "codes": ", ".join(CAUSE_CATEGORIES)
        }
    else:
        f.root_cause = root_cause
    missed = (params.get("deadline_missed") or "").strip()
    if missed and missed not in (*Target.values, ANY_DEADLINE):
        f.errors["deadline_missed"] = str(_("Use one of the deadline targets: %(codes)s.")) % {
            "codes": ", ".join((*Target.values, ANY_DEADLINE))
        }
    else:
        f.deadline_missed = missed
    for name in ("reopened", "repeat", *DRILL_FLAGS):
        raw = (params.get(name) or "").strip()
        if raw not in _FLAGS:
            f.errors[name] = str(_("Use 1 to apply this filter."))
        setattr(f, name, _FLAGS.get(raw, False))
    _drill_parse_kpi(f, params)


def _drill_parse_kpi(f: ListFilters, params: QueryDict) -> None:
    """The parameters behind the cockpit's KPI cards and product Pareto: ``product`` (a code, or
    ``none``) and the local days of DRILL_DAYS."""
    product = (params.get("product") or "").strip()
    if len(product) > _PRODUCT_CODE_MAX:
        f.errors["product"] = str(_("Use a product code of at most %(n)d characters.")) % {
            "n": _PRODUCT_CODE_MAX
        }
    else:
        f.product = product
    for name in DRILL_DAYS:
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = parse_date(raw) if len(raw) <= 10 else None
        except ValueError:  # well formed but impossible, such as 2026-13-01
            value = None
        if value is None:
            f.errors[name] = str(_("Use a date like 2026-11-22."))
        setattr(f, name, value)


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


def _day_start(day: dt.date | None, *, after: bool = False) -> dt.datetime | None:
    """00:00 of ``day`` (of the day after it when ``after``: the end of an inclusive range) in the
    current time zone, as the list's received/closed days; None for no day."""
    if day is None:
        return None
    if after:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


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


# A query that could be (part of) a complaint number, e.g. "KS-2026-000123" or "2026-0001".
_NUMBER_LIKE = re.compile(r"[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*")


class _AllTokensMatch(Func):
    """``to_tsvector('simple', search_text) @@ (plainto_tsquery('simple', %s) && ...)``, one bound
    parameter per token. The left side is exactly the expression of the GIN index ``cmp_search_tsv``
    (migration 0003), so PostgreSQL can serve it from the index."""

    output_field = BooleanField()

    def __init__(self, column: str, tokens: list[str]) -> None:
        super().__init__(F(column), *[Value(t) for t in tokens])

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        column, *tokens = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        params: list[Any] = list(column_params)
        queries = []
        for token in tokens:
            token_sql, token_params = compiler.compile(token)
            queries.append(f"plainto_tsquery('simple', {token_sql})")
            params.extend(token_params)
        return f"to_tsvector('simple', {column_sql}) @@ ({' && '.join(queries)})", params


def search_filter(qs: QuerySet[Complaint], q: str) -> QuerySet[Complaint]:
    """Complaints whose search text holds every token of ``q``.

    ``q`` is cut with the same jieba tokenizer as the stored ``search_text`` (search.query_tokens: the
    words of search.tokenize that another does not imply), so the two-character words of Chinese (漏油)
    match, and Latin words match case-insensitively.
    PostgreSQL matches through the GIN index on ``to_tsvector('simple', search_text)``; SQLite
    matches the space-delimited tokens with ``LIKE '% token %'``. A query that looks like a complaint
    number also matches the number itself: as a substring on SQLite (a scan there anyway), as a
    prefix on PostgreSQL (served by the number's pattern index; a substring would force a scan of
    the whole table). User input only ever reaches the database as bound parameters.
    """
    tokens = query_tokens(q)
    if not tokens:
        return qs
    number_like = _NUMBER_LIKE.fullmatch(q) is not None
    if connection.vendor == "postgresql":
        match = Q(_AllTokensMatch("search_text", tokens))
        if number_like:
            match |= Q(number__startswith=q.upper())
        return qs.filter(match)
    match = Q()
    for token in tokens:
        match &= Q(search_text__contains=f" {token} ")
    if number_like:
        match |= Q(number__icontains=q)
    return qs.filter(match)


# What the list shows of each row's relations.
LIST_RELATED = ("customer", "owner", "category", "category__parent", "investigation")
# The columns the list page reads of a row and its LIST_RELATED (views_list.list_rows, the cursor's sort
# values). Compiling and decoding the whole of five joined tables cost about as much CPU as the rest of
# the query path together; callers that need whole rows (the API) pass no ``only``.
LIST_PAGE_FIELDS = (
    "number",
    "title",
    "status",
    "severity",
    "urgency",
    "priority_score",
    "received_at",
    "customer__name",
    "category__name",
    "category__name_en",
    "category__parent__name",
    "category__parent__name_en",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__display_name",
    "investigation__number",
    "investigation__current_step",
    "investigation__status",
)


def _first(
    qs: QuerySet[Complaint],
    field_name: str,
    desc: bool,
    limit: int,
    *,
    fenced: bool,
    only: tuple[str, ...] = (),
) -> list[Complaint]:
    """The first ``limit`` rows of ``qs`` in the order (field_name, id), both descending or both
    ascending, with their LIST_RELATED (only the ``only`` columns when given).

    ``fenced``: the ids and sort values of all of ``qs`` are selected first in a MATERIALIZED CTE and
    sorted there, and only the page's rows are then read whole. For a search that is not known to match
    many rows: the planner otherwise tends to walk the sort index and test every row against the text
    match (to_tsvector of each row), which takes seconds when matches are rare (13 s at 1M rows for a
    word pair that matches nothing, 21 s for a word that does), while the GIN bitmap finds all of them
    in milliseconds. Sorting only ids and sort values keeps a few thousand matches cheap too: 40 ms for
    the 6,654 of 漏油 变速箱 at a million complaints, against 100 ms to sort whole rows joined with their
    relations and 115 ms to walk the sort index.
    """
    order = [f"-{field_name}", "-pk"] if desc else [field_name, "pk"]
    if fenced:
        sql, params = qs.order_by().values_list("pk", field_name).query.sql_with_params()
        direction = "DESC" if desc else "ASC"
        # ``sql`` is Django's own compiled SQL and ``field_name`` a column of SORTS; every user value
        # stays in ``params``.
        cte = (
            f"WITH matched (id, sort_key) AS MATERIALIZED ({sql}) "  # noqa: S608
            f"SELECT id FROM matched ORDER BY sort_key {direction}, id {direction} LIMIT %s"
        )
        qs = Complaint.objects.filter(pk__in=RawSQL(cte, (*params, limit)))  # noqa: S611
    qs = qs.select_related(*LIST_RELATED)
    if only:
        qs = qs.only(*only)
    return list(qs.order_by(*order)[:limit])


def _search_estimate(qs: QuerySet[Complaint]) -> int | None:
    """PostgreSQL's estimate of the number of rows of ``qs`` (a search) when it says the search matches
    many: at least ESTIMATE_FROM rows and ESTIMATE_SHARE of the table; None otherwise. One EXPLAIN (no
    rows are read), and the table's size when the estimate is large. PostgreSQL only.

    Even a capped count of a common word reads all its matches: the GIN bitmap of 50,000 rows, or a scan
    computing to_tsvector row after row (40 ms and 190 ms for 变速箱 and 漏油 at a million complaints).
    The planner estimates a word from the frequencies ANALYZE sampled for the most common words
    (pg_stats.most_common_elems), which are close; a word it has no statistics for it puts at 0.5 % of
    the rows at most (DEFAULT_TS_MATCH_SEL), even a word that matches nothing. ESTIMATE_SHARE stays
    above that guess, so only a set the statistics say is large goes uncounted. The frequencies of
    several words are multiplied as if the words were independent: words that mostly come together are
    underestimated (such a search is counted, as before), and words that seldom do are overestimated;
    only the latter can send a search with few matches to the sort index, whose walk then takes as
    long as it needs to meet a page of them.
    """
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # ``sql`` is Django's own compiled SQL; every user value stays in ``params``.
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        rows = int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
        if rows < ESTIMATE_FROM:
            return None
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Complaint._meta.db_table])
        (table_rows,) = cursor.fetchone()
    # reltuples is -1 before the table's first ANALYZE: then nothing is trusted.
    return rows if rows >= ESTIMATE_SHARE * table_rows > 0 else None


def _rounded(n: int) -> int:
    """``n`` to two significant digits (133,584 -> 130,000): an estimate shown with no false precision."""
    return round(n, 2 - len(str(n))) if n >= 100 else n


def filtered_qs(*, user: User, f: ListFilters) -> QuerySet[Complaint]:
    qs = complaint_visible_qs(user=user)
    now = clock.now()
    if f.view == "mine":
        qs = qs.filter(owner=user)
    elif f.view == "unassigned":
        qs = qs.filter(owner__isnull=True, status__in=list(OPEN_STATUSES))
    elif f.view == "overdue":
        qs = qs.filter(overdue_q(now))
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.severity:
        qs = qs.filter(severity__in=f.severity)
    if f.customer:
        qs = qs.filter(customer__code=f.customer)
    if f.category:
        cat = Category.objects.filter(code=f.category).only("id").first()
        ids = [cat.pk, *Category.objects.filter(parent=cat).values_list("id", flat=True)] if cat else []
        qs = qs.filter(category_id__in=ids)
    if f.owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif f.owner:
        qs = qs.filter(owner__username=f.owner)
    tz = timezone.get_current_timezone()
    if f.received_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(f.received_from, dt.time.min, tzinfo=tz))
    if f.received_to:
        qs = qs.filter(
            received_at__lt=dt.datetime.combine(f.received_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if f.closed_from:
        qs = qs.filter(closed_at__gte=dt.datetime.combine(f.closed_from, dt.time.min, tzinfo=tz))
    if f.closed_to:
        qs = qs.filter(
            closed_at__lt=dt.datetime.combine(f.closed_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    qs = _drill_filter(qs, f, now)
    if f.q:
        qs = search_filter(qs, f.q)
    return qs


def _drill_filter(qs: QuerySet[Complaint], f: ListFilters, now: dt.datetime) -> QuerySet[Complaint]:
    if f.product_family:
        qs = qs.filter(product__family=f.product_family)
    if f.step == QUICK_STEP:
        qs = qs.filter(handling_path=HandlingPath.QUICK)
    elif f.step:
        qs = qs.filter(investigation__current_step=STEPS[f.step])
    if f.department:
        qs = qs.filter(department__code=f.department)
    if f.site:
        qs = qs.filter(site__code=f.site)
    if f.root_cause:
        # Investigation.root_cause_category is kept by discipline_save from the D4 content: the
        # category of the occurrence root cause, once that cause is verified on the fishbone.
        qs = qs.filter(investigation__root_cause_category=f.root_cause)
    due_start, due_end = _day_start(f.due_from), _day_start(f.due_to, after=True)
    if f.deadline_missed or due_start or due_end:
        qs = qs.filter(
            deadline_missed_q(
                f.deadline_missed, now, missed=bool(f.deadline_missed), due_start=due_start, due_end=due_end
            )
        )
    if f.reopened:
        qs = qs.filter(reopen_count__gt=0)
    if f.repeat:
        qs = qs.filter(repeat_q())
    return _drill_filter_kpi(qs, f, now)


def _drill_filter_kpi(qs: QuerySet[Complaint], f: ListFilters, now: dt.datetime) -> QuerySet[Complaint]:
    """The filters of _drill_parse_kpi (the cockpit's KPI cards and product Pareto)."""
    from closeloop.investigations.workflow import CaseStatus

    if f.product == NO_PRODUCT:
        qs = qs.filter(product__isnull=True)
    elif f.product:
        qs = qs.filter(product__code=f.product)
    verdict_start, verdict_end = _day_start(f.verdict_from), _day_start(f.verdict_to, after=True)
    if f.satisfied or verdict_start or verdict_end:
        qs = qs.filter(verdicts_q(start=verdict_start, end=verdict_end, satisfied=f.satisfied))
    case_start, case_end = _day_start(f.case_closed_from), _day_start(f.case_closed_to, after=True)
    if case_start or case_end:
        qs = qs.filter(
            _range("investigation__closed_at", case_start, case_end), investigation__status=CaseStatus.CLOSED
        )
    if f.case_primary:
        qs = qs.filter(case_primary_q())
    started_start, started_end = _day_start(f.started_from), _day_start(f.started_to, after=True)
    if started_start or started_end:
        qs = qs.filter(handling_started_q(start=started_start, end=started_end))
    if f.overdue_actions or f.actions_due_before:
        today = now.astimezone(timezone.get_current_timezone()).date()
        qs = qs.filter(open_actions_due_q(f.actions_due_before or today))
    return qs


def _encode_cursor(*values: Any) -> str:
    raw = json.dumps(
        [v.isoformat() if isinstance(v, dt.datetime) else v for v in values], separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, field_name: str) -> tuple[Any, ...] | None:
    """The cursor's values for a sort on ``field_name``, type-checked; None for anything malformed
    (a tampered cursor restarts at the first page instead of failing)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        return None
    if not isinstance(values, list) or not values or not isinstance(values[-1], int):
        return None
    *keys, pk = values
    if field_name == "severity":
        # (severity, received_at, id)
        if len(keys) != 2 or keys[0] not in Severity.values or not isinstance(keys[1], str):
            return None
        received = _datetime_or_none(keys[1])
        return (keys[0], received, pk) if received is not None else None
    if len(keys) != 1:
        return None
    (value,) = keys
    if field_name == "received_at":
        value = _datetime_or_none(value) if isinstance(value, str) else None
    elif field_name == "priority_score":
        value = value if isinstance(value, int) and not isinstance(value, bool) else None
    elif not isinstance(value, str):
        value = None
    return (value, pk) if value is not None else None


def _after(qs: QuerySet[Complaint], field_name: str, desc: bool, value: Any, pk: int) -> QuerySet[Complaint]:
    """Rows after (value, pk) in the order (field_name, id), both descending or both ascending."""
    # "field <= v AND (field < v OR id < pk)": the first term is a plain range an index can
    # serve; the bare OR form made SQLite scan the table (1.4 s a page at 1M rows).
    if desc:
        return qs.filter(Q(**{f"{field_name}__lte": value}), Q(**{f"{field_name}__lt": value}) | Q(pk__lt=pk))
    return qs.filter(Q(**{f"{field_name}__gte": value}), Q(**{f"{field_name}__gt": value}) | Q(pk__gt=pk))


def _severity_rows(
    qs: QuerySet[Complaint],
    *,
    desc: bool,
    after: tuple[Any, ...] | None,
    only: list[str],
    limit: int,
    fenced: bool,
    fields: tuple[str, ...] = (),
) -> list[Complaint]:
    """Up to ``limit`` rows by severity rank, newest first within a rank.

    Severity codes do not sort by rank, so each rank is read on its own (at most three queries, each
    served by the index on (severity, received_at, id)) instead of sorting the whole table by a
    computed rank.
    """
    ranks = [s for s in (SEVERITY_RANKED if desc else SEVERITY_RANKED[::-1]) if not only or s in only]
    if after is not None and after[0] not in ranks:
        after = None  # a cursor from another filter: start over
    start = ranks.index(after[0]) if after is not None else 0
    rows: list[Complaint] = []
    for i, severity in enumerate(ranks[start:], start):
        part = qs.filter(severity=severity)
        if after and i == start:
            part = _after(part, "received_at", True, after[1], after[2])
        rows += _first(part, "received_at", True, limit - len(rows), fenced=fenced, only=fields)
        if len(rows) >= limit:
            break
    return rows


@dataclass
class ComplaintPage:
    rows: list[Complaint]
    next_cursor: str | None
    count: int
    count_capped: bool
    filters: ListFilters
    # PostgreSQL's estimate of a large search's matches, to two significant digits (count is then
    # COUNT_CAP and count_capped true); None when the rows were counted.
    count_estimate: int | None = None


def complaint_list(
    *,
    user: User,
    f: ListFilters,
    page_size: int = PAGE_SIZE,
    with_count: bool = True,
    only: tuple[str, ...] = (),
) -> ComplaintPage:
    """One page of the complaints ``user`` may see (complaint_visible_qs), filtered by ``f``, in the
    order ``f.sort``, after ``f.cursor``.

    A constant number of queries whatever the table size: the capped count (``count`` stops at
    COUNT_CAP, ``count_capped`` says there are more; -1 when ``with_count`` is false) and the page (up
    to three for the severity sort). No OFFSET anywhere.

    On PostgreSQL a search is estimated first (one or two queries, no rows read). One the statistics
    say matches many rows (see _search_estimate) is not counted: ``count_estimate`` holds the estimate
    (``count`` is COUNT_CAP and ``count_capped`` true), and its page is read along the sort index, which
    meets a page of such matches within a few hundred rows. Any other search is counted, and its page
    is selected through the GIN index first (see _first). The rows and the cursors are the same either
    way.

    ``only``: the columns to read of each row and its relations (LIST_PAGE_FIELDS for the list page;
    the sort columns are always among them); every column when empty.
    """
    qs = filtered_qs(user=user, f=f)
    searching = bool(f.q and query_tokens(f.q))
    # A user who may see nothing has an empty queryset, which compiles to no SQL to estimate or fence.
    pg_search = searching and connection.vendor == "postgresql" and not qs.query.is_empty()
    estimate = _search_estimate(qs) if pg_search else None
    count = -1
    capped = False
    if estimate is not None:
        count, capped = COUNT_CAP, True
    elif with_count:
        count = qs.order_by()[: COUNT_CAP + 1].count()
        capped = count > COUNT_CAP
        count = min(count, COUNT_CAP)
    fenced = pg_search and estimate is None
    field_name, desc = SORTS[f.sort]
    after = _decode_cursor(f.cursor, field_name) if f.cursor else None
    if field_name == "severity":
        rows = _severity_rows(
            qs, desc=desc, after=after, only=f.severity, limit=page_size + 1, fenced=fenced, fields=only
        )
    else:
        if after is not None:
            qs = _after(qs, field_name, desc, after[0], after[1])
        rows = _first(qs, field_name, desc, page_size + 1, fenced=fenced, only=only)
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        if field_name == "severity":
            next_cursor = _encode_cursor(last.severity, last.received_at, last.pk)
        else:
            next_cursor = _encode_cursor(getattr(last, field_name), last.pk)
    return ComplaintPage(
        rows=rows,
        next_cursor=next_cursor,
        count=count,
        count_capped=capped,
        filters=f,
        count_estimate=_rounded(estimate) if estimate is not None else None,
    )
