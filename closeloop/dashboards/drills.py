"""The complaint-list parameters behind the cockpit's figures (each figure's ``drill``).

For a count, the parameters list exactly the complaints counted; for a rate, the complaints of its
numerator — for the on-time rates, of its *misses* (due − met); for a median or mean, those of its
sample. The list's side of every parameter is in ``closeloop/complaints/listing/``
(``filters._drill_parse``, ``pages._drill_filter``); ``tests/test_drills.py`` follows each drill
through the real list and compares it with the figure.

Pure: no queries.
"""

from __future__ import annotations

from closeloop.complaints.listing import ANY_DEADLINE, NO_PRODUCT
from closeloop.complaints.workflow import Status
from closeloop.dashboards import live
from closeloop.dashboards.kpi import DashFilters

# "Valid" as the figures count it: neither invalid (rejected) nor a duplicate (merged).
VALID_STATUSES = ",".join(s for s in Status.values if s not in live.NOT_VALID)

# Pareto dimension -> the list parameter that selects one bar.
PARETO_PARAMS = {
    "category": "category",
    "product": "product",
    "customer": "customer",
    "root_cause": "root_cause",
}


def _days(f: DashFilters, prefix: str) -> dict[str, str]:
    return {f"{prefix}_from": f.date_from.isoformat(), f"{prefix}_to": f.date_to.isoformat()}


def kpi_drills(f: DashFilters) -> dict[str, dict[str, str]]:
    """The drills of the KPIs counted from deadlines, verdicts, 8D cases, handling starts and actions.

    * On-time rates: the valid complaints whose deadline (of the KPI's target; of any target for the
      overall rate) fell due in the period and was missed — met late, or unmet and past due. Per
      target the list's count is due − met (one deadline per complaint and target); overall a
      complaint that missed two deadlines is listed once.
    * Satisfaction rate and score: the valid complaints with a satisfied verdict recorded in the
      period (a satisfied verdict closes the complaint and always carries its score, so there is one
      per complaint: the count is the rate's numerator and the score's sample).
    * Cost of poor quality: the primary complaint (the first it covers) of each 8D case closed in the
      period — one row per case, as the cost is counted once per case with that complaint.
    * First response: the valid complaints whose handling started in the period (the median's sample).
    * Overdue actions: the valid complaints with an open or in-progress action due before the
      period's last day (the figure counts actions; a complaint with two is listed once).
    """
    base = f.drill_base()
    valid = {**base, "status": VALID_STATUSES}
    due = _days(f, "due")
    out: dict[str, dict[str, str]] = {"timely_rate": {**valid, "deadline_missed": ANY_DEADLINE, **due}}
    for code, target in live.TIMELY_TARGETS.items():
        out[code] = {**valid, "deadline_missed": str(target), **due}
    satisfied = {**valid, **_days(f, "verdict"), "satisfied": "1"}
    out["satisfaction_rate"] = satisfied
    out["satisfaction_mean"] = satisfied
    out["copq"] = {**base, **_days(f, "case_closed"), "case_primary": "1"}
    out["first_response_hours"] = {**valid, **_days(f, "started")}
    out["overdue_actions"] = {**valid, "overdue_actions": "1", "actions_due_before": f.date_to.isoformat()}
    return out


def pareto_drill(f: DashFilters, dimension: str, key: str) -> dict[str, str]:
    """The list behind one Pareto bar: the valid complaints received in the period with the bar's
    ``key``. Complaints without a product have their own bar (``product=none``); a bar without a key
    in another dimension (no category yet) has no drill."""
    param = PARETO_PARAMS.get(dimension)
    if param is None:
        return {}
    if not key:
        if dimension != "product":
            return {}
        key = NO_PRODUCT
    return {**f.drill_base(), **_days(f, "received"), "status": VALID_STATUSES, param: key}
