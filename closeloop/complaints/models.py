"""The Complaint aggregate: the complaint, its attachments, audit events, customer verdicts and number
sequences. The category tree and the configuration that triage reads (priority weights, assignment
rules) live in ``models_config`` and are re-exported here, where Django and the importers expect every
model."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Re-exported: Django, the migrations and the importers find every model of the app here.
from closeloop.complaints.models_config import AssignmentRule as AssignmentRule
from closeloop.complaints.models_config import Category as Category
from closeloop.complaints.models_config import PriorityWeights as PriorityWeights
from closeloop.complaints.workflow import HandlingPath, Status
from closeloop.core.models import AppendOnly, TimeStamped


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    ONLINE_FORM = "online_form", _("Online form")
    PORTAL = "portal", _("Customer portal")
    SOCIAL_MEDIA = "social_media", _("Social media")
    SALES_VISIT = "sales_visit", _("Sales visit")
    AFTER_SALES = "after_sales", _("After-sales")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


class ImpactScope(models.TextChoices):
    SINGLE = "single", _("One customer")
    MULTIPLE = "multiple", _("Several customers")
    SYSTEMIC = "systemic", _("Systemic")


class WarrantyStatus(models.TextChoices):
    IN = "in", _("In warranty")
    OUT = "out", _("Out of warranty")
    UNKNOWN = "unknown", _("Unknown")


class Complaint(TimeStamped):
    # Not indexed: no read filters or orders complaints by it (lists and periods go by received_at), and
    # every complaint written paid for the index.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    number = models.CharField(_("complaint number"), max_length=40, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, editable=False
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Indexed by cmp_recv (received_at first), as the list's default order and every period filter read.
    received_at = models.DateTimeField(_("received at"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # served by the index cmp_customer_recv (customer first), as the list filters
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        db_index=False,  # served by the partial index cmp_contact
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    customer_requirement = models.TextField(_("customer requirement"), blank=True)
    quantity_affected = models.PositiveIntegerField(_("quantity affected"), null=True, blank=True)
    lot = models.CharField(_("lot"), max_length=60, blank=True)
    product = models.ForeignKey(
        "customers.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    site = models.ForeignKey(
        "customers.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # served by the index cmp_site_recv (site first), as the list and cockpit filter
        help_text=_("The plant responsible for the complaint; by default the product's plant."),
    )
    order = models.ForeignKey(
        "customers.SalesOrder",
        verbose_name=_("sales order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # served by the partial index cmp_order
    )
    shipment = models.ForeignKey(
        "customers.Shipment",
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # served by the partial index cmp_shipment
    )
    ship_date = models.DateField(_("ship date"), null=True, blank=True)
    warranty_status = models.CharField(
        _("warranty"), max_length=10, choices=WarrantyStatus.choices, default=WarrantyStatus.UNKNOWN
    )
    # Triage
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # served by the index cmp_category_recv (category first), as the list filters
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    impact_scope = models.CharField(
        _("impact scope"), max_length=10, choices=ImpactScope.choices, default=ImpactScope.SINGLE
    )
    safety_risk = models.BooleanField(_("safety / regulatory risk"), default=False)
    priority_score = models.PositiveSmallIntegerField(_("priority score"), default=0, editable=False)
    priority_breakdown = models.JSONField(_("priority breakdown"), default=list, editable=False)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_complaints",
        db_index=False,  # served by the index cmp_owner_recv (owner first), as the list filters
    )
    assignment_rule = models.ForeignKey(
        "complaints.AssignmentRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True, editable=False)
    handling_path = models.CharField(
        _("handling path"), max_length=20, choices=HandlingPath.choices, blank=True, editable=False
    )
    investigation = models.ForeignKey(
        "investigations.Investigation",
        verbose_name=_("8D"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        editable=False,
        db_index=False,  # served by the partial index cmp_investigation
    )
    resolution = models.TextField(_("resolution"), blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0, editable=False)
    invalid_reason = models.TextField(_("reason for invalid"), blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        editable=False,
        db_index=False,  # served by the partial index cmp_duplicate_of
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="created_complaints",
        editable=False,
    )
    # The import job that created the complaint; a plain integer (as Notification.investigation_id) so
    # this app does not depend on the intake app, and so a deleted job leaves its complaints alone.
    import_job_id = models.PositiveIntegerField(_("import job"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Whitespace-separated jieba tokens of the searchable text (see complaints.search).
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("view_all_complaints", _("Can see every customer's complaints")),
            ("triage_complaint", _("Can triage complaints")),
            ("assign_complaint", _("Can assign complaints to any owner")),
            ("import_complaints", _("Can import complaints")),
        ]
        indexes = [
            # On PostgreSQL it also carries the severity (INCLUDE, migration 0011): the status+severity
            # list counts from the index alone.
            models.Index(fields=["status", "-received_at", "-id"], name="cmp_status_recv"),
            models.Index(fields=["customer", "-received_at", "-id"], name="cmp_customer_recv"),
            models.Index(fields=["owner", "-received_at", "-id"], name="cmp_owner_recv"),
            models.Index(fields=["category", "-received_at", "-id"], name="cmp_category_recv"),
            models.Index(fields=["severity", "-received_at", "-id"], name="cmp_severity_recv"),
            models.Index(fields=["site", "-received_at", "-id"], name="cmp_site_recv"),
            models.Index(fields=["-received_at", "-id"], name="cmp_recv"),
            models.Index(fields=["-priority_score", "-id"], name="cmp_priority"),
            # Partial indexes (NOT NULL only) where most complaints, and every new one, hold no value: a
            # complaint is written without an index entry for them, and every read by a value (the
            # rollups' closed-on-a-day, a contact's or an order's complaints, an 8D's, the duplicates
            # of one, and the foreign keys' delete checks) still uses them.
            # The cockpit's rollups count the complaints closed on one day.
            models.Index(fields=["closed_at"], name="cmp_closed", condition=Q(closed_at__isnull=False)),
            models.Index(fields=["contact"], name="cmp_contact", condition=Q(contact__isnull=False)),
            models.Index(fields=["order"], name="cmp_order", condition=Q(order__isnull=False)),
            models.Index(fields=["shipment"], name="cmp_shipment", condition=Q(shipment__isnull=False)),
            models.Index(
                fields=["investigation"], name="cmp_investigation", condition=Q(investigation__isnull=False)
            ),
            models.Index(
                fields=["duplicate_of"], name="cmp_duplicate_of", condition=Q(duplicate_of__isnull=False)
            ),
            # The complaints of one import (the list's import_job filter, an import digest's link).
            models.Index(
                fields=["import_job_id"], name="cmp_import_job", condition=Q(import_job_id__isnull=False)
            ),
            # A repeat is an earlier complaint of the same customer about the same product within 90
            # days: without this, each complaint's check reads all of its customer's recent ones.
            models.Index(fields=["customer", "product", "received_at"], name="cmp_repeat"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class NumberSequence(models.Model):
    """One counter per (scope, year). Incremented under a row lock, so numbers never repeat."""

    scope = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "year"], name="uniq_number_seq")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.year}: {self.last_value}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ComplaintEvent(AppendOnly):
    """One row per action on a complaint: the timeline and the audit trail.

    ``changes`` is a list of ``{"field", "old", "new"}`` with display values. Rows are append-only:
    ``save()`` on an existing row and ``delete()`` raise, and the database refuses UPDATE (and
    DELETE on PostgreSQL) with a trigger.
    """

    # No single-column indexes on complaint and verb: cmpevt_timeline and cmpevt_verb_time lead with
    # them and serve the same lookups (and the PROTECT check), and every event written — six per
    # complaint over its life — paid for three more index entries (the verb's LIKE index too).
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events", db_index=False)
    verb = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    changes = models.JSONField(default=list)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "created_at", "id"], name="cmpevt_timeline"),
            # The rollups read one verb's events of one day (handling started, for first response).
            models.Index(fields=["verb", "created_at"], name="cmpevt_verb_time"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} @ {self.created_at:%Y-%m-%d %H:%M}"


class CustomerVerdict(models.Model):
    """The customer's answer to a resolution: satisfied (closes the complaint, with a 1–5 score) or not
    (reopens it, with the reason). Kept per answer, so reopen and satisfaction rates can be counted."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="verdicts")
    satisfied = models.BooleanField(_("satisfied"))
    score = models.PositiveSmallIntegerField(
        _("satisfaction score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("customer comment"), blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("customer verdict")
        verbose_name_plural = _("customer verdicts")
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["recorded_at"], name="verdict_recorded")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="verdict_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {'satisfied' if self.satisfied else 'not satisfied'}"
