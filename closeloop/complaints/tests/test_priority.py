from decimal import Decimal

from closeloop.complaints.models import PriorityWeights
from closeloop.complaints.priority import PriorityInput, priority_compute


def test_breakdown_sums_to_score_with_default_weights():
    weights = PriorityWeights()  # unsaved: the model defaults
    score, rows = priority_compute(
        PriorityInput(
            severity="serious",
            urgency="urgent",
            customer_tier="strategic",
            customer_annual_value=Decimal("23500000"),
            safety_risk=True,
            impact_scope="multiple",
        ),
        weights,
    )
    points = {r["factor"]: r["points"] for r in rows}
    assert points == {
        "severity": 45,
        "urgency": 10,
        "customer_tier": 15,
        "customer_value": 10,
        "safety_risk": 20,
        "impact_scope": 8,
    }
    assert score == 108


def test_value_points_per_whole_million_below_cap():
    weights = PriorityWeights(value_points_per_million=2, value_points_max=10)
    _score, rows = priority_compute(
        PriorityInput("minor", "normal", "normal", Decimal("3999999"), False, "single"), weights
    )
    assert next(r for r in rows if r["factor"] == "customer_value")["points"] == 6
