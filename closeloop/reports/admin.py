from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from closeloop.reports.forms import ReportTemplateForm
from closeloop.reports.models import ReportTemplate


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    """Customers' own 8D formats; each upload is checked (a real DOCX that fills in) before it is kept."""

    form = ReportTemplateForm
    list_display = ["name", "customer", "is_active", "uploaded_by", "uploaded_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "customer__code", "customer__name"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["uploaded_by", "uploaded_at"]

    def save_model(self, request: HttpRequest, obj: ReportTemplate, form: Any, change: bool) -> None:
        if "file" in form.changed_data or not change:
            obj.uploaded_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
