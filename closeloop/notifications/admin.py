"""Notification admin: notifications and the outbox are read-only (only the services write them); rules,
preferences and webhook robots are edited here. Actions call the delivery services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from closeloop.notifications.channels import DeliveryError
from closeloop.notifications.delivery import delivery_resend, webhook_endpoint_test
from closeloop.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    NotificationRule,
    WebhookEndpoint,
)


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


class WebhookEndpointForm(forms.ModelForm):
    """The URL field accepts scheme-less input as https; the model's ``clean`` checks the address as the
    sender will (SSRF guard) before it is saved."""

    url = forms.URLField(
        label=WebhookEndpoint._meta.get_field("url").verbose_name, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "secret", "language", "allow_private", "is_active"]
        widgets = {"secret": forms.PasswordInput(render_value=True)}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    # The URL itself often holds the robot's key (WeCom ?key=, DingTalk ?access_token=): the list shows
    # only the host, and never the secret.
    list_display = ["name", "kind", "host", "language", "allow_private", "is_active"]
    list_filter = ["kind", "is_active", "allow_private"]
    search_fields = ["name"]
    actions = ["send_test_message"]

    @admin.display(description=_("host"))
    def host(self, obj: WebhookEndpoint) -> str:
        return urlsplit(obj.url).hostname or ""

    @admin.action(description=_("Send a test message to the selected robots"))
    def send_test_message(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            try:
                webhook_endpoint_test(endpoint=endpoint, actor=request.user)  # type: ignore[arg-type]
            except DeliveryError as exc:
                self.message_user(
                    request,
                    _("%(robot)s did not accept the test message: %(error)s")
                    % {"robot": endpoint, "error": exc},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, _("%(robot)s accepted the test message.") % {"robot": endpoint}, messages.SUCCESS
                )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox, read-only; dead letters are re-sent with an action (which calls the service)."""

    list_display = [
        "created_at",
        "channel",
        "verb",
        "status",
        "target",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "error",
    ]
    list_filter = ["status", "channel", "verb"]
    list_select_related = ["recipient", "endpoint"]
    search_fields = ["=event_id", "recipient__username", "recipient__email", "endpoint__name"]
    date_hierarchy = "created_at"
    actions = ["resend_failed", "send_again"]
    readonly_fields = [
        "channel",
        "status",
        "event_id",
        "verb",
        "notification",
        "recipient",
        "endpoint",
        "payload",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "created_at",
        "sent_at",
    ]

    @admin.display(description=_("to"))
    def target(self, obj: Delivery) -> str:
        if obj.endpoint_id is not None:
            return str(obj.endpoint)
        return obj.recipient.email if obj.recipient is not None else ""

    @admin.display(description=_("last error"))
    def error(self, obj: Delivery) -> str:
        return Truncator(obj.last_error).chars(80)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Rows change only through the dispatcher and the re-send actions (which need the change
        # permission on the list); a row's own page is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            "dead_count": Delivery.objects.filter(status=DeliveryStatus.DEAD).count(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)

    def _resend(self, request: HttpRequest, queryset: QuerySet[Delivery], *, include_sent: bool) -> None:
        count = delivery_resend(
            delivery_ids=list(queryset.values_list("pk", flat=True)),
            actor=request.user,  # type: ignore[arg-type]
            include_sent=include_sent,
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery is back in the outbox.",
                "%(count)d deliveries are back in the outbox.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=_("Re-send the selected failed deliveries"), permissions=["change"])
    def resend_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        self._resend(request, queryset, include_sent=False)

    @admin.action(
        description=_("Send the selected deliveries again, even those already sent"), permissions=["change"]
    )
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        self._resend(request, queryset, include_sent=True)


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "event", "is_active"]
    list_filter = ["event", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["roles", "departments", "users", "webhooks"]
    fieldsets = [
        (_("Event"), {"fields": ["name", "event", "is_active"]}),
        (
            _("Conditions"),
            {
                "fields": ["category", "severity", "customer_tier", "product_family"],
                "description": _("An empty condition matches any complaint."),
            },
        ),
        (
            _("Recipients"),
            {
                "fields": [
                    "roles",
                    "departments",
                    "users",
                    "to_owner",
                    "to_department_manager",
                    "to_team",
                    "to_recorder",
                    "to_sales_owner",
                ]
            },
        ),
        (_("Group robots"), {"fields": ["webhooks"]}),
    ]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "last_digest_at"]
    list_filter = ["email_mode"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__display_name"]
    raw_id_fields = ["user"]
    readonly_fields = ["last_digest_at"]
