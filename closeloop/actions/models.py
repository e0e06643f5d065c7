"""Actions (措施/任务): containment, corrective, preventive, horizontal-deployment actions and plain tasks
share one model, each with an owner, a due date and a verified end."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.actions.workflow import ActionKind, ActionStatus


class Action(models.Model):
    complaint = models.ForeignKey(
        "complaints.Complaint", verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="actions"
    )
    investigation = models.ForeignKey(
        "investigations.Investigation",
        verbose_name=_("8D"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
        editable=False,
    )
    step = models.PositiveSmallIntegerField(_("8D step"), null=True, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices, default=ActionKind.TASK)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="actions"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    tracker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tracker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracked_actions",
        help_text=_("Follows the action and verifies its effect."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="requested_actions",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    done_note = models.TextField(_("what was done"), blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    verification_note = models.TextField(_("verification of effect"), blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Set once the owner was told the action is overdue, so the periodic check tells them once.
    overdue_notified_at = models.DateTimeField(
        _("overdue notice sent"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="action_owner_due"),
            models.Index(fields=["department", "status", "due_date"], name="action_dept_due"),
            models.Index(fields=["investigation", "kind", "status"], name="action_inv_kind"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: dt.date) -> bool:
        return self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) and self.due_date < today


class ActionComment(models.Model):
    """A remark on an action by anyone who can see it (the owner's progress, the tracker's questions)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("action comment")
        verbose_name_plural = _("action comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.body[:40]}"


class ActionEvidence(models.Model):
    """Evidence for an action: one of its complaint's attachments (type checked by content), so the
    evidence also stays with the complaint's record."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="evidence")
    attachment = models.OneToOneField(
        "complaints.Attachment", on_delete=models.PROTECT, related_name="action_evidence"
    )

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.attachment_id}"
