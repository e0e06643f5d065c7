"""Notifications: one row per person told about a business change, written in the same transaction as
the change (so none is lost; delivery channels such as email read these rows as an outbox).

Text is never stored: it is rendered from ``verb`` + ``data`` in the reader's language at display time
(see :mod:`closeloop.notifications.messages`)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.config_cache import VersionedQuerySet
from closeloop.notifications.messages import notification_text, reason_label


class Notification(models.Model):
    # No single-column indexes on recipient and verb: notification_inbox leads with the recipient and
    # serves every read by it (and the cascade on a user's deletion); nothing reads by verb. Every
    # notification written paid for three more index entries (the verb's LIKE index too).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    verb = models.CharField(_("verb"), max_length=40)
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
    rule = models.ForeignKey(
        "notifications.NotificationRule",
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The admin rule that added this recipient, if any."),
    )
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
    def import_job(self) -> int | None:
        """The import whose new complaints an import digest tells of (None for any other notification)."""
        job = self.data.get("import_job") if isinstance(self.data, dict) else None
        return job if self.complaint_id is None and type(job) is int else None

    @property
    def reason_label(self) -> str:
        """“Why did I get this”, in the active language, naming the admin rule that added the reader (read
        from a ``rule_name`` annotation when the selector gave one, so lists cost no extra query)."""
        label = reason_label(self.reason)
        if self.rule_id is None:
            return label
        name = getattr(self, "rule_name", None)
        if name is None:
            name = self.rule.name if self.rule is not None else ""
        return str(_("%(reason)s (notification rule “%(rule)s”)") % {"reason": label, "rule": name})


def _event_choices() -> list[tuple[str, str]]:
    """Every registered notification verb, labelled for the admin (a callable, so adding a verb needs no
    migration)."""
    from closeloop.notifications.messages import EVENT_LABELS

    return [(verb, label) for verb, label in EVENT_LABELS.items()]


class NotificationRule(models.Model):
    """Who else hears about an event: events × conditions → recipients, editable in the admin.

    Built-in recipients (the owner of an assigned action, the 8D team of an approved step…) are told by
    the services themselves; a rule adds people to them. An empty condition matches anything; the
    category condition matches its subcategories too.
    """

    name = models.CharField(_("name"), max_length=100)
    event = models.CharField(_("event"), max_length=40, choices=_event_choices, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions on the complaint behind the event.
    category = models.ForeignKey(
        "complaints.Category",
        verbose_name=_("category (and its subcategories)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    severity = models.CharField(_("severity"), max_length=10, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    product_family = models.CharField(_("product family"), max_length=100, blank=True)
    # Recipients.
    roles = models.ManyToManyField("auth.Group", verbose_name=_("roles"), blank=True, related_name="+")
    departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("departments (every member)"),
        blank=True,
        related_name="+",
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("named users"), blank=True, related_name="+"
    )
    to_owner = models.BooleanField(_("the complaint's owner"), default=False)
    to_department_manager = models.BooleanField(_("the manager of the owner's department"), default=False)
    to_team = models.BooleanField(_("the 8D team"), default=False)
    to_recorder = models.BooleanField(_("whoever recorded the complaint"), default=False)
    to_sales_owner = models.BooleanField(_("the customer's salesperson"), default=False)
    webhooks = models.ManyToManyField(
        "notifications.WebhookEndpoint",
        verbose_name=_("also post to these group robots"),
        blank=True,
        related_name="rules",
    )

    # Cached per process by closeloop.notifications.routing; bulk writes change the cache's token too.
    config_scope = "notifications.rules"
    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")
        ordering = ["event", "id"]

    def __str__(self) -> str:
        return self.name


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Each notification as it happens")
    DIGEST = "digest", _("One daily digest")
    OFF = "off", _("No email (inbox only)")


class NotificationPreference(models.Model):
    """How a person wants to be told beyond the inbox (which always keeps everything)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_mode = models.CharField(
        _("email"), max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    muted_events = models.JSONField(
        _("events without email"), default=list, blank=True, help_text=_("Still shown in the inbox.")
    )
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")
    FEISHU = "feishu", _("Feishu group robot (飞书)")
    GENERIC = "generic", _("Generic JSON webhook (HMAC-signed)")


class WebhookEndpoint(models.Model):
    """A group robot or webhook that rules post to. Its address is checked when saved and again before
    every delivery: loopback, link-local and private addresses are refused unless ``allow_private``."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=WebhookKind.choices)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk 加签 or Feishu 签名校验 secret; the HMAC key of a generic webhook."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    allow_private = models.BooleanField(
        _("allow private addresses"),
        default=False,
        help_text=_("Only for a robot inside the company network: allows loopback and private addresses."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook robot")
        verbose_name_plural = _("webhook robots")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse an address the sender would refuse (see :func:`netguard.url_check`), on the URL field."""
        from django.core.exceptions import ValidationError

        from closeloop.notifications import netguard

        if self.url:
            try:
                netguard.url_check(self.url, allow_private=self.allow_private)
            except netguard.AddressRefused as exc:
                raise ValidationError({"url": exc.message}) from exc


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    DIGEST = "digest", _("Daily digest")
    REPORT = "report", _("Report to a customer")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed (dead letter)")


class Delivery(models.Model):
    """The outbox: one message to send through one channel, written in the same transaction as the
    notification that caused it. ``event_id`` is fixed at creation and sent with every attempt (the
    email's Message-ID, the webhook's event id), so a receiver can drop a copy sent again after a worker
    died between sending and recording it."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    event_id = models.UUIDField(_("event id"), unique=True, editable=False)
    verb = models.CharField(_("event"), max_length=40)
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook robot"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.verb} {self.status}"
