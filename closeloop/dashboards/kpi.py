"""The cockpit's vocabulary: filters, KPI values, their definitions and targets, and the row shapes
of the pareto, trend, ageing and risk tables. Pure apart from the filter parser (which checks codes).

Counting rules every figure follows (the definitions below repeat them for people):

* A period is ``date_from`` 00:00 to ``date_to`` 24:00 in the site time zone (``settings.TIME_ZONE``).
* "Valid" complaints exclude invalid (``rejected``) and duplicate (``merged``) ones: a duplicate is
  the same complaint counted twice and an invalid one is no complaint. They are counted apart
  (``invalid``) and never enter ``received`` nor any rate.
* Figures reflect what is known now: a complaint received last month and marked a duplicate today
  leaves last month's ``received``.
* ``previous`` is the same KPI over the period of equal length that ends the day before ``date_from``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from closeloop.core import clock
from closeloop.core.errors import FieldErrors

# Re-exported: the definitions live in kpi_definitions.py.
from closeloop.dashboards.kpi_definitions import KPI_DEFINITIONS as KPI_DEFINITIONS
from closeloop.dashboards.kpi_definitions import KpiDefinition as KpiDefinition

DEFAULT_DAYS = 30
# A wider window is a report, not a cockpit; the cap also keeps a mistyped year from scanning decades.
MAX_DAYS = 3 * 366
AGE_BUCKETS = ("0-7", "8-30", "31-90", "90+")
PARETO_DIMENSIONS = ("category", "product", "customer", "root_cause")
TREND_GRAINS = ("week", "month")
AGEING_BY = ("step", "owner", "department")


def site_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``day`` at the site and the first of the next."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=site_tz())
    return start, start + dt.timedelta(days=1)


def local_day(instant: dt.datetime) -> dt.date:
    """The site's calendar day ``instant`` falls on."""
    return instant.astimezone(site_tz()).date()


@dataclass(frozen=True)
class DashFilters:
    """What the cockpit looks at. ``date_to`` is inclusive; ``customer``, ``category`` and ``site`` are
    codes (a category includes its subcategories); empty strings mean "all"."""

    date_from: dt.date
    date_to: dt.date
    product_family: str = ""
    customer: str = ""
    category: str = ""
    site: str = ""

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> DashFilters:
        """The period of equal length that ends the day before this one starts."""
        end = self.date_from - dt.timedelta(days=1)
        return self.dated(end - dt.timedelta(days=self.days - 1), end)

    def dated(self, date_from: dt.date, date_to: dt.date) -> DashFilters:
        """The same filters over another period."""
        return replace(self, date_from=date_from, date_to=date_to)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes in the site time zone."""
        tz = site_tz()
        start = dt.datetime.combine(self.date_from, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end

    def drill_base(self) -> dict[str, str]:
        """The filters as complaint-list parameters (customer, category, product family, site)."""
        out = {
            "customer": self.customer,
            "category": self.category,
            "product_family": self.product_family,
            "site": self.site,
        }
        return {k: v for k, v in out.items() if v}


def _parse_day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:  # well formed but impossible, such as 2026-13-01
        return None


def dashboard_filters_parse(*, user: Any, params: Mapping[str, str]) -> DashFilters:
    """The cockpit filters from request parameters ``from``, ``to`` (YYYY-MM-DD), ``customer``,
    ``category`` (codes) and ``product_family``.

    Defaults: the last 30 days up to today in the site time zone. Raises ValidationFailed naming every
    bad field: an unparseable or impossible date, ``to`` before ``from``, a window over MAX_DAYS, an
    unknown category or product family, and a customer that does not exist *or that the user may not
    see* (both are "unknown", so nobody learns which customers exist).
    """
    from closeloop.complaints.models import Category
    from closeloop.customers.models import Customer, Product, Site

    errors = FieldErrors()
    today = clock.now().astimezone(site_tz()).date()
    raw_from = (params.get("from") or "").strip()
    raw_to = (params.get("to") or "").strip()
    date_to = _parse_day(raw_to) if raw_to else today
    if date_to is None:
        errors.add("to", _("Use a date like 2026-11-22."))
    date_from = _parse_day(raw_from) if raw_from else None
    if raw_from and date_from is None:
        errors.add("from", _("Use a date like 2026-11-22."))
    if not raw_from and date_to is not None:
        date_from = date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    if date_from and date_to:
        if date_to < date_from:
            errors.add("to", _("The end date is before the start date."))
        elif (date_to - date_from).days + 1 > MAX_DAYS:
            errors.add("from", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
    customer = (params.get("customer") or "").strip()
    if customer:
        customers = Customer.objects.filter(code=customer)
        if not user.has_perm("complaints.view_all_complaints"):
            customers = customers.filter(sales_owner=user)
        if not customers.exists():
            errors.add("customer", _("Unknown customer."))
    category = (params.get("category") or "").strip()
    if category and not Category.objects.filter(code=category).exists():
        errors.add("category", _("Unknown category."))
    family = (params.get("product_family") or "").strip()
    if family and not Product.objects.filter(family=family).exists():
        errors.add("product_family", _("Unknown product family."))
    site = (params.get("site") or "").strip()
    if site and not Site.objects.filter(code=site).exists():
        errors.add("site", _("Unknown site."))
    errors.raise_if_any()
    assert date_from is not None and date_to is not None  # noqa: S101 - errors raised above otherwise
    return DashFilters(
        date_from=date_from,
        date_to=date_to,
        product_family=family,
        customer=customer,
        category=category,
        site=site,
    )


@dataclass(frozen=True)
class Kpi:
    """One figure. Rates are fractions 0–1; ``numerator``/``denominator`` are the counts behind a rate
    or mean (None for medians). ``drill`` are complaint-list parameters that list the complaints behind
    the figure: those counted, a rate's numerator (an on-time rate's misses), a median's or mean's
    sample — drills.py says which for each (``status`` may hold several values joined by commas: see
    :func:`drill_query`); ``{}`` when the list cannot show exactly the complaints behind it."""

    code: str
    value: float | int | None
    numerator: int | None
    denominator: int | None
    previous: float | int | None
    unit: str
    drill: dict[str, str]


class TargetLike(Protocol):
    @property
    def target_value(self) -> Any: ...
    @property
    def amber_band(self) -> Any: ...


def kpi_status(kpi: Kpi, target: TargetLike | None) -> str:
    """ "green" when the value meets the target, "amber" when it misses it by at most the amber band,
    "red" beyond; "" when there is no value or no target."""
    if target is None or kpi.value is None or target.target_value is None:
        return ""
    higher = KPI_DEFINITIONS[kpi.code].higher_is_better
    value, goal, band = float(kpi.value), float(target.target_value), float(target.amber_band or 0)
    gap = goal - value if higher else value - goal
    if gap <= 0:
        return "green"
    return "amber" if gap <= band else "red"


@functools.lru_cache(maxsize=4096)
def _query_pair(key: str, value: str) -> str:
    # A page links to a few hundred lists that share most of their parameters (the filters, the
    # period, the statuses): each pair is encoded once per process instead of once per link.
    return f"{quote_plus(key)}={quote_plus(value)}"


def drill_query(drill: Mapping[str, str]) -> str:
    """``drill`` as a complaint-list query string (what ``urlencode`` gives); ``status`` "a,b" becomes
    ``status=a&status=b``."""
    pairs: list[str] = []
    for key, value in drill.items():
        if key == "status":
            pairs.extend(_query_pair(key, v) for v in value.split(","))
        else:
            pairs.append(_query_pair(key, value))
    return "&".join(pairs)


@dataclass(frozen=True)
class ParetoRow:
    key: str
    label: str
    count: int
    share: float
    cumulative_share: float
    drill: dict[str, str]


@dataclass(frozen=True)
class TrendPoint:
    start: dt.date
    label: str
    received: int
    closed: int
    timely_rate: float | None


@dataclass(frozen=True)
class AgeingRow:
    key: str
    label: str
    buckets: dict[str, int]
    total: int
    drill: dict[str, str]


@dataclass(frozen=True)
class RiskRow:
    customer: str
    name: str
    recent: int
    previous: int
    overdue_serious: int
    drill: dict[str, str]


def age_bucket(days: int) -> str:
    """The ageing bucket of a complaint open for ``days`` whole days."""
    if days <= 7:
        return "0-7"
    if days <= 30:
        return "8-30"
    if days <= 90:
        return "31-90"
    return "90+"


def reopened_q() -> Q:
    """The list's ``reopened=1``: reopened by the customer at least once."""
    return Q(reopen_count__gt=0)
