"""Daily rollups of the additive cockpit figures, their bookkeeping, and the KPI targets.

Rollups hold only days that are over (before today in the site time zone): a day still running
changes as unmet deadlines fall due, so the cockpit computes today live. Medians and percentiles
(cycle time, first response) are not additive and stay live over the complaints' indexes.
Customer and category are stored as plain ids, not foreign keys: a rollup row must never block
deleting master data, and it is recomputed anyway.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class RollupKey(models.Model):
    day = models.DateField()
    customer_id = models.BigIntegerField()
    category_id = models.BigIntegerField(null=True)
    product_family = models.CharField(max_length=100, blank=True)
    severity = models.CharField(max_length=10)
    site_id = models.BigIntegerField(null=True)

    class Meta:
        abstract = True


class RollupFigures(models.Model):
    """The additive figures a day holds (live.Counts without the deadlines; totals.ADDITIVE)."""

    received = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    reopened_closed = models.PositiveIntegerField(default=0)
    verdicts = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    score_sum = models.PositiveIntegerField(default=0)
    score_count = models.PositiveIntegerField(default=0)
    copq = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        abstract = True


class DailyRollup(RollupKey, RollupFigures):
    """Per day and (customer, category, product family, severity), each figure on the day it happened:
    received / invalid / repeat on the receipt day, closed / reopened_closed on the closing day,
    verdict figures on the verdict day, copq on the day the 8D case closed (with its primary complaint's
    keys, see live.primary_complaint_ids)."""

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.customer_id}/{self.category_id}"


class DeadlineRollup(RollupKey):
    """Deadlines due on the day, per target: counted (met, or missed) and met on time."""

    target = models.CharField(max_length=20)
    due = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="deadline_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.target}"


class DayTotal(RollupFigures):
    """The whole site's additive figures of one day: the sum of that day's DailyRollup and
    DeadlineRollup rows, so a cockpit without filters reads one row per day instead of one per key
    (at a million complaints a day has hundreds of keys). ``deadlines`` is target -> [due, met]."""

    day = models.DateField(unique=True)
    deadlines = models.JSONField(default=dict)

    def __str__(self) -> str:
        return str(self.day)


class DayMarginal(models.Model):
    """Valid complaints received on the day per value of one Pareto dimension (category = top-level
    category code, product and customer codes, root cause = the 8D's verified cause category)."""

    day = models.DateField()
    dimension = models.CharField(max_length=20)
    key = models.CharField(max_length=100)
    received = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["dimension", "day"], name="marginal_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}"


class DayDurations(models.Model):
    """Durations that ended on the day as a histogram ``{bin: count}`` (bins in kpi.DURATION_BINS),
    and ``cumulative``: the histogram of every rolled-up day up to and including this one. A period's
    histogram is then one row's cumulative minus another's, whatever its length, which keeps
    percentiles exact and cheap."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    hist = models.JSONField(default=dict)
    cumulative = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="durations_kind_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


class NowSnapshot(models.Model):
    """A figure about *now* (the open backlog's ageing, overdue serious complaints per customer) as the
    worker last computed it for the whole site; read while it is younger than
    totals.SNAPSHOT_MAX_AGE."""

    name = models.CharField(max_length=40, primary_key=True)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class RollupState(models.Model):
    """One row (pk=1). Days before ``complete_until`` are rolled up; ``watermark`` is the instant the
    last refresh looked for changes from. ``partial_day`` (today, when the last run was today) is rolled
    up as it stood at ``partial_at``: the cockpit reads it while that is recent instead of counting
    today live."""

    complete_until = models.DateField(null=True)
    watermark = models.DateTimeField(null=True)
    partial_day = models.DateField(null=True)
    partial_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.complete_until} {self.watermark}"


class RollupFootprint(models.Model):
    """The days (and repeat keys) a complaint was rolled up on, so a change that moves it (a resumed
    clock moving a due date, a new category) also recomputes the days it leaves."""

    complaint_id = models.BigIntegerField(primary_key=True)
    days = models.JSONField(default=list)
    customer_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)
    received_day = models.DateField(null=True)

    def __str__(self) -> str:
        return str(self.complaint_id)


class KpiTarget(models.Model):
    """The goal of one KPI: at or better than ``target_value`` is green, within ``amber_band`` of it is
    amber, beyond is red (see kpi.kpi_status)."""

    code = models.CharField(_("KPI"), max_length=40, unique=True)
    target_value = models.FloatField(_("target"), null=True, blank=True)
    amber_band = models.FloatField(_("amber band"), default=0.0)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
