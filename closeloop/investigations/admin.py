"""8D cases are read-only in the admin: they change only through the services, which check the gates
and write the timeline."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from closeloop.investigations.models import Discipline, Investigation, InvestigationEvent, TeamMember


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DisciplineInline(admin.TabularInline):
    model = Discipline
    fields = ("step", "status", "version", "updated_by", "updated_at", "approved_by", "approved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


class TeamInline(admin.TabularInline):
    model = TeamMember
    fields = ("user", "role", "department", "responsibility")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Investigation)
class InvestigationAdmin(_ReadOnly):
    list_display = ["number", "title", "status", "current_step", "owner", "opened_at", "closed_at"]
    list_filter = ["status", "current_step"]
    search_fields = ["number", "title"]
    inlines = [TeamInline, DisciplineInline]


@admin.register(InvestigationEvent)
class InvestigationEventAdmin(_ReadOnly):
    list_display = ["investigation", "verb", "step", "actor", "created_at"]
    list_filter = ["verb"]
