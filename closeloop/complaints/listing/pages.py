"""One page of the complaint list: the filtered queryset (``filtered_qs`` and the drill filters),
keyset pagination by cursor (never OFFSET), the severity sort read rank by rank, the capped count or
the search estimate, and ``complaint_list`` that puts them together into a ``ComplaintPage``."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from closeloop.accounts.models import User
from closeloop.complaints.listing.conditions import (
    _day_start,
    _range,
    case_primary_q,
    deadline_missed_q,
    handling_started_q,
    open_actions_due_q,
    overdue_q,
    repeat_q,
    site_zone,
    verdicts_q,
)
from closeloop.complaints.listing.filters import (
    COUNT_CAP,
    NO_PRODUCT,
    PAGE_SIZE,
    QUICK_STEP,
    SEVERITY_RANKED,
    SORTS,
    STEPS,
    ListFilters,
)
from closeloop.complaints.listing.search import _rounded, _search_estimate, search_filter
from closeloop.complaints.models import Category, Complaint, Severity
from closeloop.complaints.search import query_tokens
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.complaints.workflow import OPEN_STATUSES, HandlingPath
from closeloop.core import clock

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
    if f.received_from or f.received_to:
        qs = qs.filter(
            _range("received_at", _day_start(f.received_from), _day_start(f.received_to, after=True))
        )
    if f.closed_from or f.closed_to:
        qs = qs.filter(_range("closed_at", _day_start(f.closed_from), _day_start(f.closed_to, after=True)))
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
    if f.import_job:
        qs = qs.filter(import_job_id=int(f.import_job))
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
        today = now.astimezone(site_zone()).date()
        qs = qs.filter(open_actions_due_q(f.actions_due_before or today))
    return qs


def _datetime_or_none(raw: str) -> dt.datetime | None:
    """A datetime from a cursor, or None when it is malformed or impossible (month 13, hour 25)."""
    try:
        return parse_datetime(raw)
    except ValueError:
        return None


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
