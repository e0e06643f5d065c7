"""Admin for triage configuration. Complaints and their events are read-only here: complaints change
only through the services (which write the audit trail), and events never change at all."""

from django.contrib import admin

from closeloop.complaints.models import (
    AssignmentRule,
    Attachment,
    Category,
    Complaint,
    ComplaintEvent,
    PriorityWeights,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "sort_order", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["code", "name", "name_en"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "name",
        "category",
        "product_family",
        "customer",
        "department",
        "owner",
        "is_active",
    ]
    list_editable = ["is_active"]
    list_display_links = ["name"]
    autocomplete_fields = ["customer"]


@admin.register(PriorityWeights)
class PriorityWeightsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not PriorityWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "title",
        "customer",
        "status",
        "severity",
        "priority_score",
        "owner",
        "received_at",
    ]
    list_filter = ["status", "severity", "channel", "site"]
    search_fields = ["number", "title"]
    list_select_related = ["customer", "owner"]


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdmin):
    list_display = ["complaint", "verb", "actor", "created_at"]
    list_filter = ["verb"]
    list_select_related = ["complaint", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "complaint", "content_type", "size", "uploaded_at"]
    list_select_related = ["complaint"]
