"""Priority score: a pure function of the complaint's triage facts and the configured weights.

The breakdown is stored on the complaint so that "why this priority" shows the weights that were in
force when it was computed, even after an administrator changes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from closeloop.complaints.creation import ComplaintData
    from closeloop.complaints.models import Complaint


class Weights(Protocol):
    severity_minor: int
    severity_general: int
    severity_serious: int
    urgency_urgent: int
    tier_strategic: int
    tier_key: int
    tier_normal: int
    value_points_per_million: int
    value_points_max: int
    safety_risk: int
    scope_single: int
    scope_multiple: int
    scope_systemic: int


@dataclass(frozen=True)
class PriorityInput:
    severity: str
    urgency: str
    customer_tier: str
    customer_annual_value: Decimal
    safety_risk: bool
    impact_scope: str


# Factor labels are stored untranslated (gettext_noop) and translated when displayed.
FACTOR_LABELS = {
    "severity": gettext_noop("Severity"),
    "urgency": gettext_noop("Urgency"),
    "customer_tier": gettext_noop("Customer tier"),
    "customer_value": gettext_noop("Customer annual value"),
    "safety_risk": gettext_noop("Safety / regulatory risk"),
    "impact_scope": gettext_noop("Impact scope"),
}


def priority_compute(facts: PriorityInput, weights: Weights) -> tuple[int, list[dict[str, Any]]]:
    """Return ``(score, breakdown)``; breakdown rows are ``{"factor", "value", "points"}``, in a fixed order.

    The annual value adds ``value_points_per_million`` per whole million CNY, capped at
    ``value_points_max``.
    """
    millions = int(Decimal(facts.customer_annual_value or 0) // Decimal(1_000_000))
    rows: list[dict[str, Any]] = [
        {
            "factor": "severity",
            "value": facts.severity,
            "points": getattr(weights, f"severity_{facts.severity}"),
        },
        {
            "factor": "urgency",
            "value": facts.urgency,
            "points": weights.urgency_urgent if facts.urgency == "urgent" else 0,
        },
        {
            "factor": "customer_tier",
            "value": facts.customer_tier,
            "points": getattr(weights, f"tier_{facts.customer_tier}"),
        },
        {
            "factor": "customer_value",
            "value": str(facts.customer_annual_value),
            "points": min(millions * weights.value_points_per_million, weights.value_points_max),
        },
        {
            "factor": "safety_risk",
            "value": facts.safety_risk,
            "points": weights.safety_risk if facts.safety_risk else 0,
        },
        {
            "factor": "impact_scope",
            "value": facts.impact_scope,
            "points": getattr(weights, f"scope_{facts.impact_scope}"),
        },
    ]
    return sum(int(r["points"]) for r in rows), rows


def priority_facts(complaint: Complaint | ComplaintData) -> PriorityInput:
    """The facts of ``complaint`` (a saved one, or the data of a new one) its score is computed from;
    reads its customer."""
    return PriorityInput(
        severity=complaint.severity,
        urgency=complaint.urgency,
        customer_tier=complaint.customer.tier,
        customer_annual_value=complaint.customer.annual_value,
        safety_risk=complaint.safety_risk,
        impact_scope=complaint.impact_scope,
    )
