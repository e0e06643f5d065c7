"""The 8D case (一个8D可覆盖多个客诉): its disciplines D0–D8, team and timeline.

Complaints link to a case through ``Complaint.investigation``; actions through ``Action.investigation``.
Statuses are assigned only by ``investigations.services`` after the tables in ``workflow.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import AppendOnly
from closeloop.investigations.workflow import CaseStatus, Step, StepStatus, TeamRole


class Investigation(models.Model):
    number = models.CharField(_("8D number"), max_length=40, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN, editable=False
    )
    current_step = models.PositiveSmallIntegerField(
        _("current step"), choices=Step.choices, default=Step.D0, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_investigations",
    )
    product = models.ForeignKey(
        "customers.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investigations",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    opened_at = models.DateTimeField(_("opened at"), editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0, editable=False)
    # 财务认证: finance confirms the D8 cost; the digest ties the confirmation to the figures confirmed.
    cost_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cost_verified_at = models.DateTimeField(_("cost verified at"), null=True, blank=True)
    cost_verified_digest = models.CharField(max_length=64, blank=True)
    summary_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary_reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    summary_reviewed_digest = models.CharField(max_length=64, blank=True)
    # Kept in step with the D8 content, for ledgers and the cockpit (cost of poor quality).
    cost_total = models.DecimalField(
        _("cost of poor quality"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    cost_recovered = models.DecimalField(_("recovered"), max_digits=14, decimal_places=2, default=Decimal(0))
    root_cause_category = models.CharField(_("root-cause category (5M1E)"), max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("8D investigation")
        verbose_name_plural = _("8D investigations")
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("manage_investigation", _("Can change any 8D")),
            ("approve_step", _("Can approve 8D steps and close 8Ds")),
            ("verify_cost", _("Can verify the cost of poor quality (财务认证)")),
            ("review_customer_summary", _("Can review what the customer is told")),
        ]
        indexes = [models.Index(fields=["status", "-opened_at"], name="inv_status_opened")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Discipline(models.Model):
    """One step (D0–D8) of a case: its content, status and the version that guards concurrent saves."""

    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="disciplines")
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=StepStatus.choices, default=StepStatus.TODO, editable=False
    )
    content = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("reason sent back"), blank=True)

    class Meta:
        verbose_name = _("8D step")
        verbose_name_plural = _("8D steps")
        ordering = ["investigation", "step"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "step"], name="uniq_inv_step"),
            models.CheckConstraint(condition=models.Q(step__lte=8), name="inv_step_0_to_8"),
        ]

    def __str__(self) -> str:
        return f"{self.investigation_id} D{self.step}"


class TeamMember(models.Model):
    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("team role"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsibility = models.CharField(_("responsibility in the team"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["investigation", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["investigation", "user"], name="uniq_inv_member")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class InvestigationEvent(AppendOnly):
    """One row per action on a case: its timeline. Append-only, like complaint events."""

    investigation = models.ForeignKey(Investigation, on_delete=models.PROTECT, related_name="events")
    verb = models.CharField(max_length=40)
    step = models.PositiveSmallIntegerField(null=True, blank=True, choices=Step.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("8D event")
        verbose_name_plural = _("8D events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["investigation", "created_at", "id"], name="invevt_timeline")]

    def __str__(self) -> str:
        return f"{self.verb} @ {self.created_at:%Y-%m-%d %H:%M}"
