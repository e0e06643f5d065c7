"""Bulk import jobs: the uploaded file, progress, and the per-row report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    COMPLAINTS = "complaints", _("Complaints")
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    PRODUCTS = "products", _("Products")
    ORDERS = "orders", _("Sales orders and shipments")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(max_length=10)  # "csv" or "xlsx", decided from the content
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    # [{"row": 3, "column": "客户编码", "reason": "..."}]; row numbers as Excel shows them (header = 1).
    report = models.JSONField(default=list)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The lease (``importing.lease``): the run that owns the job is its ``attempt``-th; it renews
    # ``heartbeat_at`` with every write, so a job whose heartbeat is older than the stall limit lost its
    # worker and is resumed by another run (or, queued, sent to the worker again).
    attempt = models.PositiveSmallIntegerField(_("runs started"), default=0, editable=False)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)
    # The complaint import's digest as committed ({"people": {user: [notification, count, serious]},
    # "robots": {endpoint: [count, serious]}, "sent": bool}), so a resumed run goes on counting from it.
    digest = models.JSONField(default=dict, editable=False)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
