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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from closeloop.core import clock
from closeloop.core.errors import FieldErrors

DEFAULT_DAYS = 30
# A wider window is a report, not a cockpit; the cap also keeps a mistyped year from scanning decades.
MAX_DAYS = 3 * 366
AGE_BUCKETS = ("0-7", "8-30", "31-90", "90+")
PARETO_DIMENSIONS = ("category", "product", "customer", "root_cause")
TREND_GRAINS = ("week", "month")
AGEING_BY = ("step", "owner", "department")


def site_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


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


@dataclass(frozen=True)
class KpiDefinition:
    label: Promise
    definition: Promise
    unit: str
    higher_is_better: bool
    default_target: float | None
    default_amber: float = 0.0


def _d(
    label: Promise, definition: Any, unit: str, higher: bool, target: float | None, amber: float = 0.0
) -> KpiDefinition:
    return KpiDefinition(label, definition, unit, higher, target, amber)


_TIMELY = _(
    "Deadlines of valid complaints due in the period that were met by their due time (met at exactly "
    "the due second counts as on time), out of all deadlines due in the period that are met or already "
    "past due. A paused clock counts with its moved due time; while a complaint waits on the customer "
    "its unmet deadline is not yet due."
)

# What the list behind a figure shows, where it is not simply the complaints counted (drills.py). Each
# sentence starts with its space, as the "… only. " prefixes end with theirs: Chinese takes none.
_MISSES_ONE = _(
    " Its list shows the misses: the complaints whose deadline fell due in the period and was met late, "
    "or is unmet and past due."
)
_MISSES_ANY = _(
    " Its list shows the misses: the complaints with a deadline that fell due in the period and was met "
    "late, or is unmet and past due (a complaint that missed two deadlines is listed once)."
)


def _timely(prefix: Promise | None, drill: Promise) -> Any:
    return format_lazy("{}{}{}", prefix or "", _TIMELY, drill)


KPI_DEFINITIONS: dict[str, KpiDefinition] = {
    "received": _d(
        _("Complaints received"),
        _("Valid complaints received in the period (invalid and duplicate complaints are not counted)."),
        "count",
        False,
        None,
    ),
    "invalid": _d(
        _("Invalid or duplicate"),
        _("Complaints received in the period that were marked invalid or a duplicate of another."),
        "count",
        False,
        None,
    ),
    "closed": _d(
        _("Closed"),
        _("Complaints closed (the customer confirmed the resolution) in the period."),
        "count",
        True,
        None,
    ),
    "open": _d(
        _("Open"),
        _(
            "Valid complaints not yet closed at the end of the period (new, triaged, in progress or "
            "awaiting the customer)."
        ),
        "count",
        False,
        None,
    ),
    "timely_rate": _d(_("On-time rate"), _timely(None, _MISSES_ANY), "rate", True, 0.95, 0.05),
    "timely_response": _d(
        _("On-time first response"),
        _timely(_("First-response deadlines only. "), _MISSES_ONE),
        "rate",
        True,
        0.95,
        0.05,
    ),
    "timely_containment": _d(
        _("On-time containment (D3)"),
        _timely(_("D3 containment deadlines only. "), _MISSES_ONE),
        "rate",
        True,
        0.9,
        0.05,
    ),
    "timely_root_cause": _d(
        _("On-time root cause (D4)"),
        _timely(_("D4 root-cause deadlines only. "), _MISSES_ONE),
        "rate",
        True,
        0.9,
        0.05,
    ),
    "timely_closure": _d(
        _("On-time closure"),
        _timely(_("Closure deadlines only. "), _MISSES_ONE),
        "rate",
        True,
        0.9,
        0.05,
    ),
    "first_response_hours": _d(
        _("First response (median)"),
        format_lazy(
            "{}{}",
            _(
                "Median hours from receipt to the start of handling, over valid complaints whose handling "
                "started in the period, counted in tenths of an hour (rounded down); with an even count, "
                "the lower of the two middle values."
            ),
            _(" Its list shows those complaints."),
        ),
        "hours",
        False,
        24.0,
        24.0,
    ),
    "cycle_median_days": _d(
        _("Cycle time (median)"),
        _(
            "Median days from receipt to closure, over complaints closed in the period, counted in whole "
            "hours (rounded down); with an even count, the lower of the two middle values."
        ),
        "days",
        False,
        15.0,
        5.0,
    ),
    "cycle_p90_days": _d(
        _("Cycle time (90th percentile)"),
        _(
            "Days from receipt to closure within which 90% of the complaints closed in the period were "
            "closed (nearest rank, counted in whole hours)."
        ),
        "days",
        False,
        30.0,
        10.0,
    ),
    "satisfaction_mean": _d(
        _("Satisfaction score"),
        format_lazy(
            "{}{}",
            _(
                "Mean 1–5 score of the satisfied customer verdicts recorded in the period (verdicts without "
                "a score are left out)."
            ),
            _(" Its list shows the valid complaints with a satisfied verdict recorded in the period."),
        ),
        "score",
        True,
        4.5,
        0.3,
    ),
    "satisfaction_rate": _d(
        _("Satisfaction rate"),
        format_lazy(
            "{}{}",
            _(
                "Satisfied customer verdicts out of all verdicts recorded in the period (an unsatisfied "
                "verdict reopens the complaint)."
            ),
            _(" Its list shows the valid complaints with a satisfied verdict recorded in the period."),
        ),
        "rate",
        True,
        0.9,
        0.05,
    ),
    "repeat_rate": _d(
        _("Repeat rate"),
        _(
            "Valid complaints received in the period whose customer already complained about the same "
            "product in the 90 days before (across period boundaries), out of all valid complaints "
            "received. A duplicate is the same complaint, not a repeat; complaints without a product are "
            "never repeats."
        ),
        "rate",
        False,
        0.05,
        0.05,
    ),
    "reopen_rate": _d(
        _("Reopen rate"),
        _(
            "Complaints closed in the period that the customer had reopened at least once before closing, "
            "out of all complaints closed in the period."
        ),
        "rate",
        False,
        0.05,
        0.05,
    ),
    "copq": _d(
        _("Cost of poor quality"),
        format_lazy(
            "{}{}",
            _(
                "The D8 cost minus what was recovered, over the 8D cases closed in the period that cover "
                "at least one complaint in scope (CNY)."
            ),
            _(
                " Each case is counted once, with its primary complaint (the first complaint it covers); "
                "its list shows those primary complaints, one per case."
            ),
        ),
        "cny",
        False,
        None,
    ),
    "overdue_actions": _d(
        _("Overdue actions"),
        format_lazy(
            "{}{}",
            _(
                "Open or in-progress actions on valid complaints whose due date is before the period's "
                "last day, counted at the end of the period as they stand now."
            ),
            _(
                " The figure counts actions; its list shows the complaints they belong to (a complaint with "
                "two overdue actions is listed once)."
            ),
        ),
        "count",
        False,
        0,
        5,
    ),
}


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


def drill_query(drill: Mapping[str, str]) -> str:
    """``drill`` as a complaint-list query string; ``status`` "a,b" becomes ``status=a&status=b``."""
    pairs: list[tuple[str, str]] = []
    for key, value in drill.items():
        values = value.split(",") if key == "status" else [value]
        pairs.extend((key, v) for v in values)
    return urlencode(pairs)


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
