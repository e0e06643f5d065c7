from django.contrib import admin

from closeloop.intake.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "error_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "status"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
