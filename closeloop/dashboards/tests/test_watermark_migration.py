"""Migration 0007: the stored watermark, which the refresh used to look five minutes before, moves back
those five minutes, so the first refresh after the upgrade misses nothing."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from closeloop.dashboards.models import RollupState

pytestmark = pytest.mark.django_db


def test_the_stored_watermark_moves_back_the_old_overlap(frozen_now):
    migration = importlib.import_module("closeloop.dashboards.migrations.0007_watermark_settled")
    RollupState.objects.create(pk=1, complete_until=frozen_now.date(), watermark=frozen_now)
    migration.watermark_settled(apps, None)
    assert RollupState.objects.get().watermark == frozen_now - dt.timedelta(minutes=5)
    RollupState.objects.update(watermark=None)
    migration.watermark_settled(apps, None)  # never refreshed yet: nothing to move
    assert RollupState.objects.get().watermark is None
