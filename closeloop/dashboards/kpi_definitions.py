"""Every KPI's label, definition (shown on the page and in the API), unit, direction and default
target. The counting rules they describe are in kpi.py's docstring and implemented in live.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


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
            # "90% of" is not a format directive; without this, msgfmt rejects the translation's "90% 在".
            # xgettext:no-python-format
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
