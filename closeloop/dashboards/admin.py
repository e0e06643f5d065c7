from __future__ import annotations

from django import forms
from django.contrib import admin

from closeloop.dashboards.kpi import KPI_DEFINITIONS
from closeloop.dashboards.models import KpiTarget


class KpiTargetForm(forms.ModelForm):  # type: ignore[type-arg]
    code = forms.ChoiceField(choices=[(code, d.label) for code, d in KPI_DEFINITIONS.items()])

    class Meta:
        model = KpiTarget
        fields = ["code", "target_value", "amber_band"]


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = KpiTargetForm
    list_display = ["code", "target_value", "amber_band"]
