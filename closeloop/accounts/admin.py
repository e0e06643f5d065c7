from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import ApiToken, Department, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "email", "department", "language", "is_active"]
    list_filter = ["is_active", "is_staff", "groups", "department"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Closeloop"), {"fields": ("display_name", "phone", "department", "language", "time_zone")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "manager"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are created on the profile page, where the clear value is shown once
