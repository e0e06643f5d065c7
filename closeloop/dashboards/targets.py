"""KPI targets: the admin's rows, falling back to the defaults of KPI_DEFINITIONS."""

from __future__ import annotations

from dataclasses import dataclass

from closeloop.dashboards.kpi import KPI_DEFINITIONS
from closeloop.dashboards.models import KpiTarget


@dataclass(frozen=True)
class TargetValue:
    target_value: float | None
    amber_band: float


def kpi_targets_get() -> dict[str, TargetValue]:
    """code -> target for every KPI, in one query: a KpiTarget row wins over the definition's default."""
    out = {code: TargetValue(d.default_target, d.default_amber) for code, d in KPI_DEFINITIONS.items()}
    for row in KpiTarget.objects.filter(code__in=list(out)):
        out[row.code] = TargetValue(row.target_value, row.amber_band)
    return out
