"""Notifications are read-only in the admin: only the services write them."""

from django.contrib import admin

from closeloop.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "verb", "reason", "complaint", "created_at", "read_at"]
    list_filter = ["verb", "reason"]
    list_select_related = ["recipient", "complaint"]
    search_fields = ["recipient__username", "complaint__number"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "recipient",
        "verb",
        "reason",
        "complaint",
        "investigation_id",
        "actor",
        "data",
        "created_at",
        "read_at",
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
