"""Thin Celery wrappers around the rollup services."""

from __future__ import annotations

from celery import shared_task

from closeloop.dashboards import rollups


@shared_task(name="closeloop.dashboards.tasks.rollups_refresh")
def rollups_refresh() -> int:
    """Recompute the rollup days touched since the last run (beat: every 60 s)."""
    return rollups.rollups_refresh()
