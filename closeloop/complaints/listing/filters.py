"""The complaint list's parameters: its constants (page size, count cap, sorts, views, drill-down
codes), ``ListFilters`` and their parsing from request parameters (``filters_parse``, with the
cockpit's drill-down parameters in ``_drill_parse`` and ``_drill_parse_kpi``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from closeloop.complaints.models import Severity
from closeloop.complaints.workflow import Status
from closeloop.customers.models import SITE_CODE_PATTERN

COUNT_CAP = 1000
PAGE_SIZE = 25

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
_IMPORT_JOB = re.compile(r"[1-9][0-9]{0,9}")  # an import job's id (a positive 32-bit integer's digits)
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
    import_job: str = ""  # the id of the import job that created the complaints (an import digest's link)
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
            "import_job": self.import_job,
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


def _dates_parse(f: ListFilters, params: QueryDict, names: Iterable[str]) -> None:
    """Set each of ``names`` given in ``params`` on ``f`` as a date; one that is not a real date
    (malformed, or well formed but impossible, such as 2026-13-01) is set to None with an error under
    its name. Names not given are left as they are."""
    for name in names:
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = parse_date(raw) if len(raw) <= 10 else None
        except ValueError:
            value = None
        if value is None:
            f.errors[name] = str(_("Use a date like 2026-11-22."))
        setattr(f, name, value)


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
    _dates_parse(f, params, ("received_from", "received_to", "closed_from", "closed_to"))
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
    job = (params.get("import_job") or "").strip()
    if job and not (_IMPORT_JOB.fullmatch(job) and int(job) <= 2**31 - 1):
        f.errors["import_job"] = str(_("Use the number of an import, such as 12."))
    else:
        f.import_job = job
    _dates_parse(f, params, DRILL_DAYS)
