"""Notifications: one row per person told about a business change, written in the same transaction as
the change (so none is lost; delivery channels such as email read these rows as an outbox).

Text is never stored: it is rendered from ``verb`` + ``data`` in the reader's language at display time
(see :mod:`closeloop.notifications.messages`)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.notifications.messages import notification_text, reason_label


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    verb = models.CharField(_("verb"), max_length=40, db_index=True)
    reason = models.CharField(_("reason"), max_length=40, help_text=_("Why this person was told."))
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    # An 8D case id; a plain integer so this app does not depend on the investigations app.
    investigation_id = models.PositiveIntegerField(_("8D"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def text(self) -> str:
        """The message in the active language."""
        return notification_text(self)

    @property
    def reason_label(self) -> str:
        """“Why did I get this”, in the active language."""
        return reason_label(self.reason)
