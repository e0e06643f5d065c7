"""Daily rollups of the additive cockpit figures, their bookkeeping, and the KPI targets.

Rollups hold the days that are over (before today in the site time zone), and today as the worker
last saw it (RollupState.partial_day). Medians and percentiles (cycle time, first response) are kept
as histograms (DurationBlock), from which they are exact.
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
    """One slice's additive figures of one day (slices.py: the whole site, or one customer, category,
    product family or site): the sum of that day's DailyRollup and DeadlineRollup rows that fall in the
    slice, so a cockpit without filters, or with one, reads one row per day instead of one per key (at
    a million complaints a day has hundreds of keys). ``deadlines`` is target -> [due, met]."""

    slice = models.CharField(max_length=120, default="")
    day = models.DateField()
    deadlines = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slice", "day"], name="daytotal_slice_day")]

    def __str__(self) -> str:
        return f"{self.slice or '*'} {self.day}"


class DayMarginal(models.Model):
    """Valid complaints of one slice received on the day per value of one Pareto dimension (category =
    top-level category code, product and customer codes, root cause = the 8D's verified cause
    category)."""

    slice = models.CharField(max_length=120, default="")
    day = models.DateField()
    dimension = models.CharField(max_length=20)
    key = models.CharField(max_length=100)
    received = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["slice", "dimension", "day"], name="marginal_slice_dim_day")]

    def __str__(self) -> str:
        return f"{self.slice or '*'} {self.day} {self.dimension}={self.key}"


class DurationBlock(models.Model):
    """The durations of one slice that ended in a block of ``2**level`` days, as a histogram
    (durations.Sorted as JSON; bins in durations.BIN_SECONDS): level 0 is one day, level 1 two aligned
    days, and so on (blocks.py). Any period is a handful of blocks, so a percentile over a year reads
    about twenty rows, and a day that changes rewrites its own block and the few that contain it."""

    slice = models.CharField(max_length=120, default="")
    kind = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField()
    index = models.IntegerField()
    hist = models.JSONField(default=dict)
    # durations.digest_of(hist): a reader asks for the digests first and decodes only the histograms it
    # does not hold already (blocks.period_parts), so a page reads a few bytes per block, not ~100 KB.
    # "" for a block without one (never cached).
    digest = models.CharField(max_length=32, default="", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slice", "kind", "level", "index"], name="durblock_unique")
        ]

    def __str__(self) -> str:
        return f"{self.slice or '*'} {self.kind} {self.level}/{self.index}"


class NowSnapshot(models.Model):
    """A figure about *now* (the open backlog's ageing, overdue serious complaints per customer) as the
    worker last computed it for one slice (``name`` is ``<figure>|<slice>``); read while it is younger
    than totals.SNAPSHOT_MAX_AGE. A slice with nothing to show has no row: the row ``run`` says when the
    worker last computed them all."""

    name = models.CharField(max_length=160, primary_key=True)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class RollupState(models.Model):
    """One row (pk=1). Days before ``complete_until`` are rolled up; every timeline row written before
    ``watermark`` has been seen by a refresh (the next one looks for changes from there).
    ``partial_day`` (today, when the last run was today) is rolled up as it stood at ``partial_at``:
    the cockpit reads it while that is recent instead of counting today live."""

    complete_until = models.DateField(null=True)
    watermark = models.DateTimeField(null=True)
    partial_day = models.DateField(null=True)
    partial_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.complete_until} {self.watermark}"


class RollupFootprint(models.Model):
    """The days (and repeat keys) a complaint was rolled up on, so a change that moves it (a resumed
    clock moving a due date, a new category) also recomputes the days it leaves.

    The repeat key — customer, product, receipt time and whether the complaint counts (not rejected or
    merged) — is all another complaint's repeat flag reads of it: only when it changes are the days of
    the complaints that may follow it as repeats recomputed too. ``received_at`` and ``valid`` are None
    on footprints stored before they were kept; such a complaint's followers are recomputed at its next
    change, as before."""

    complaint_id = models.BigIntegerField(primary_key=True)
    days = models.JSONField(default=list)
    customer_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)
    received_day = models.DateField(null=True)
    received_at = models.DateTimeField(null=True)
    valid = models.BooleanField(null=True)
    # Day (ISO) -> a digest of what that day's figures read of the complaint (footprints.footprints_of):
    # a change recomputes only the days whose digest moved. None on footprints stored before they were
    # kept: every day of such a complaint is recomputed at its next change, as before.
    sigs = models.JSONField(null=True)
    # What its deadlines add to each due day: {"k": rollup key, "d": {day (ISO): [[target, met on time],
    # ...]}} (footprints.footprints_of), so a change that moves only deadlines is applied to those days as
    # a difference. None on footprints stored before it was kept: such a complaint's days are
    # recomputed whole at its next change.
    deadlines = models.JSONField(null=True)

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
