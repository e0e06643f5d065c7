"""Documents and exports assembled from the record: the customer handling report's versions and what
the customer answered, customers' own 8D templates, and background export jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportLanguage(models.TextChoices):
    ZH = "zh-hans", _("Chinese")
    EN = "en", _("English")
    BILINGUAL = "bilingual", _("Bilingual (Chinese and English)")


class HandlingReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("Waiting for the sales manager")
    APPROVED = "approved", _("Approved, not yet sent")
    SENT = "sent", _("Sent to the customer")
    ACCEPTED = "accepted", _("Accepted by the customer")
    REJECTED = "rejected", _("Rejected by the customer")
    SUPERSEDED = "superseded", _("Replaced by a later version")


class HandlingReport(models.Model):
    """One version of the customer complaint handling report (客户投诉处理报告) for a complaint.

    Its four sections are drafted from the record and edited by the handler; the sales manager approves
    it; it is sent to the customer contact as a PDF; the customer's answer closes or reopens the loop.
    A new version replaces the previous one, which stays as it was (the versioned ledger).
    """

    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="handling_reports",
    )
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=HandlingReportStatus.choices, default=HandlingReportStatus.DRAFT
    )
    language = models.CharField(
        _("language"), max_length=10, choices=ReportLanguage.choices, default=ReportLanguage.ZH
    )
    reported = models.TextField(_("what was reported"))
    found = models.TextField(_("what was found"))
    done_now = models.TextField(_("what was done now"))
    prevention = models.TextField(_("what was changed so it will not happen again"))
    edit_version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("drafted at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    sent_to_name = models.CharField(_("recipient"), max_length=100, blank=True)
    # The outbox row that carries the email (a notifications Delivery id; a plain integer so this app
    # does not depend on the notifications app's models).
    delivery_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_reason = models.TextField(_("reason given by the customer"), blank=True)
    answer_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("handling report")
        verbose_name_plural = _("handling reports")
        ordering = ["complaint", "-version"]
        permissions = [("approve_handling_report", "Can approve handling reports before they are sent")]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "version"], name="uniq_handling_report_version")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} v{self.version}"


class ReportTemplate(models.Model):
    """A customer's own 8D report format: a DOCX file with fields ({{ complaint.number }}, {% for %}
    rows…) filled from the record. Without one, the built-in layout is used."""

    name = models.CharField(_("name"), max_length=100)
    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="report_template",
    )
    file = models.FileField(_("DOCX template"), upload_to="report_templates/%Y/", max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now=True)

    class Meta:
        verbose_name = _("customer 8D template")
        verbose_name_plural = _("customer 8D templates")
        ordering = ["customer__code"]

    def __str__(self) -> str:
        return self.name


class ExportKind(models.TextChoices):
    LEDGER = "ledger", _("Complaint ledger")
    CUSTOMER_STATUS = "customer_status", _("Complaint status per customer")
    PREVENTIVE = "preventive", _("Preventive-action report")
    AUDIT_PACK = "audit_pack", _("Audit evidence pack")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportJob(models.Model):
    """An export written by the worker, with its progress, for lists too long to build in a request."""

    kind = models.CharField(_("kind"), max_length=20, choices=ExportKind.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=200, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The lease (``core.leases``): the run that owns the job is its ``attempt``-th; it renews
    # ``heartbeat_at`` with its progress, so a job whose worker stopped is sent to the worker again.
    attempt = models.PositiveSmallIntegerField(_("runs started"), default=0, editable=False)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
