"""The complaints' category tree and the configuration that triage reads: the priority weights and the
assignment rules (both cached per process by ``closeloop.complaints.config``).
``closeloop.complaints.models`` re-exports all three."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.config_cache import VersionedQuerySet
from closeloop.core.models import bilingual


class Category(models.Model):
    """A node of the editable category tree. Top-level codes are stable (quality, delivery, ...)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return bilingual(self.name, self.name_en)

    @property
    def full_label(self) -> str:
        return f"{self.parent.label} / {self.label}" if self.parent_id and self.parent else self.label

    def lineage_ids(self) -> list[int]:
        """This category's id and its ancestors', nearest first: a rule or policy naming any of them
        covers this category. Bounded at 10 levels so a cycle an admin made cannot loop forever."""
        ids: list[int] = []
        node: Category | None = self
        while node is not None and len(ids) < 10:
            ids.append(node.pk)
            node = node.parent
        return ids


class PriorityWeights(models.Model):
    """The points each factor adds to a complaint's priority score. One row (pk=1), editable in admin."""

    severity_minor = models.PositiveSmallIntegerField(_("severity: minor"), default=10)
    severity_general = models.PositiveSmallIntegerField(_("severity: general"), default=25)
    severity_serious = models.PositiveSmallIntegerField(_("severity: serious"), default=45)
    urgency_urgent = models.PositiveSmallIntegerField(_("urgency: urgent"), default=10)
    tier_strategic = models.PositiveSmallIntegerField(_("customer tier: strategic"), default=15)
    tier_key = models.PositiveSmallIntegerField(_("customer tier: key"), default=8)
    tier_normal = models.PositiveSmallIntegerField(_("customer tier: normal"), default=0)
    value_points_per_million = models.PositiveSmallIntegerField(
        _("points per million CNY of annual value"), default=1
    )
    value_points_max = models.PositiveSmallIntegerField(_("annual value: maximum points"), default=10)
    safety_risk = models.PositiveSmallIntegerField(_("safety / regulatory risk"), default=20)
    scope_single = models.PositiveSmallIntegerField(_("scope: one customer"), default=0)
    scope_multiple = models.PositiveSmallIntegerField(_("scope: several customers"), default=8)
    scope_systemic = models.PositiveSmallIntegerField(
        _("scope: systemic"), default=15, validators=[MaxValueValidator(100)]
    )

    # Cached per process by closeloop.complaints.config; bulk writes change the cache's token too.
    config_scope = "complaints.priority_weights"
    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("priority weights")
        verbose_name_plural = _("priority weights")

    def __str__(self) -> str:
        return str(_("Priority weights"))

    @classmethod
    def current(cls) -> PriorityWeights:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class AssignmentRule(models.Model):
    """Category / product family / customer -> department and owner. Lowest ``order`` that matches wins;
    an empty condition matches anything. A category condition also matches its subcategories."""

    order = models.PositiveSmallIntegerField(_("order"), default=100, validators=[MinValueValidator(0)])
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    product_family = models.CharField(_("product family"), max_length=100, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), on_delete=models.CASCADE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL
    )

    # Cached per process by closeloop.complaints.config; bulk writes change the cache's token too.
    config_scope = "complaints.assignment_rules"
    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name
