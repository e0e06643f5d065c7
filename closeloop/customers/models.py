"""The CRM side: customers, contacts, products, sales orders with lines, and shipments."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import TimeStamped, bilingual


class CustomerTier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", _("Key / VIP")
    NORMAL = "normal", _("Normal")


class Customer(TimeStamped):
    code = models.CharField(_("customer code"), max_length=40, unique=True)
    name = models.CharField(_("customer name"), max_length=200, db_index=True)
    tier = models.CharField(
        _("customer tier"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.NORMAL
    )
    annual_value = models.DecimalField(
        _("annual value (CNY)"), max_digits=16, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    sales_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        permissions = [("import_masterdata", _("Can import master data"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Contact(TimeStamped):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("contact name"), max_length=100)
    title = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "name"]
        permissions = [("view_contact_pii", _("Can see contacts' full phone numbers and emails"))]

    def __str__(self) -> str:
        return self.name


# A site code as typed in URLs, spreadsheets and the API: letters, digits, "-" and "_".
SITE_CODE_PATTERN = r"[-A-Za-z0-9_]{1,20}"


class Site(TimeStamped):
    """A plant (工厂 / 生产基地) that makes products and answers for the complaints about them."""

    code = models.CharField(
        _("site code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                rf"^{SITE_CODE_PATTERN}$", _("Use letters, digits, “-” or “_” (up to 20), such as “SZ”.")
            )
        ],
    )
    name = models.CharField(_("site name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self) -> str:
        # Stable whatever the reader's language: the audit trail stores this text.
        return f"{self.code} {self.name}"

    @property
    def label(self) -> str:
        """The name in the active language (the Chinese name when no English one is given)."""
        return bilingual(self.name, self.name_en)


class Product(TimeStamped):
    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("product name"), max_length=200)
    family = models.CharField(_("product family"), max_length=100, blank=True, db_index=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=12)
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text=_(
            "The plant that makes the product; its complaints are this plant's unless told otherwise."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SalesOrder(TimeStamped):
    number = models.CharField(_("sales order number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    order_date = models.DateField(_("order date"))

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "number"]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(models.Model):
    order = models.ForeignKey(
        SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveSmallIntegerField(_("line"), default=1)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    lot = models.CharField(_("lot"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "line_no"]
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="uniq_order_line_no")]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.line_no}"


class Shipment(TimeStamped):
    number = models.CharField(_("shipment number"), max_length=40, unique=True)
    order = models.ForeignKey(
        SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE, related_name="shipments"
    )
    ship_date = models.DateField(_("ship date"))
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-ship_date", "number"]

    def __str__(self) -> str:
        return self.number


def warranty_end(ship_date: dt.date, months: int) -> dt.date:
    """The last day covered by a warranty of ``months`` starting at ``ship_date``.

    Month arithmetic clamps to the month's end (2026-01-31 + 1 month -> 2026-02-28).
    """
    import calendar

    month_index = ship_date.month - 1 + months
    year = ship_date.year + month_index // 12
    month = month_index % 12 + 1
    day = min(ship_date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)
