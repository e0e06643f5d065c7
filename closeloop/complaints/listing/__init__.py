"""The complaint list: filters, Chinese search, saved views and keyset pagination.

Pages are addressed by a cursor (the last row's sort value and id), never by OFFSET, and the total
is counted only up to ``COUNT_CAP`` rows, so a page costs the same at row 20 and at row 900,000. A search
that PostgreSQL expects to match many rows is not counted at all: its estimate is shown instead.

One module per concern; callers import from here:

- ``filters``: the constants (page size, count cap, sorts, views, drill-down codes), ``ListFilters``
  and its parsing from request parameters (``filters_parse``, ``_drill_parse``, ``_drill_parse_kpi``).
- ``conditions``: the ``Q`` conditions the list filters by and the cockpit counts with (``overdue_q``,
  ``deadline_missed_q``, ``verdicts_q``, ``case_primary_q``, ``handling_started_q``,
  ``open_actions_due_q``, ``repeat_q``) and their day-range helpers.
- ``search``: ``search_filter`` (the GIN index on PostgreSQL, ``LIKE`` on SQLite, number-like
  queries) and PostgreSQL's estimate of a large search (``_search_estimate``, ``ESTIMATE_FROM``,
  ``ESTIMATE_SHARE``).
- ``pages``: ``filtered_qs`` and the drill filters, the cursors, the severity sort and
  ``complaint_list``, which returns a ``ComplaintPage``.

The names below are re-exported from those modules: a test that patches a constant patches it in the
module that reads it (``pages.COUNT_CAP``, ``search.ESTIMATE_FROM``), not here.
"""

from __future__ import annotations

from closeloop.complaints.listing.conditions import (
    RESPONSE_TARGET,
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
    ANY_DEADLINE,
    COUNT_CAP,
    DEFAULT_SORT,
    DRILL_DAYS,
    DRILL_FLAGS,
    NO_PRODUCT,
    PAGE_SIZE,
    QUICK_STEP,
    REPEAT_WINDOW,
    SEVERITY_RANKED,
    SORT_ALIASES,
    SORTS,
    STEPS,
    VIEWS,
    ListFilters,
    filters_parse,
)
from closeloop.complaints.listing.pages import (
    LIST_PAGE_FIELDS,
    LIST_RELATED,
    ComplaintPage,
    complaint_list,
    filtered_qs,
)
from closeloop.complaints.listing.search import ESTIMATE_FROM, ESTIMATE_SHARE, search_filter

__all__ = [
    "ANY_DEADLINE",
    "COUNT_CAP",
    "DEFAULT_SORT",
    "DRILL_DAYS",
    "DRILL_FLAGS",
    "ESTIMATE_FROM",
    "ESTIMATE_SHARE",
    "LIST_PAGE_FIELDS",
    "LIST_RELATED",
    "NO_PRODUCT",
    "PAGE_SIZE",
    "QUICK_STEP",
    "REPEAT_WINDOW",
    "RESPONSE_TARGET",
    "SEVERITY_RANKED",
    "SORTS",
    "SORT_ALIASES",
    "STEPS",
    "VIEWS",
    "ComplaintPage",
    "ListFilters",
    "case_primary_q",
    "complaint_list",
    "deadline_missed_q",
    "filtered_qs",
    "filters_parse",
    "handling_started_q",
    "open_actions_due_q",
    "overdue_q",
    "repeat_q",
    "search_filter",
    "site_zone",
    "verdicts_q",
]
