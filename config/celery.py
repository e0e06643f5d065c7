"""The Celery application. Embedded default: kombu's filesystem transport under var/celery."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Celery's Django fixup runs the system checks in the worker before it imports the task modules. They load
# the URLconf and the migration machinery, which then stay resident for the worker's life: 13 MB more when
# the worker is ready, 5 MB more at its peak (its jobs load the URLconf for their links in any case).
# `manage.py check`, `migrate` and the test suite run the same checks.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("closeloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_filesystem_broker_folders() -> None:
    """kombu's filesystem transport needs its folders to exist (embedded default only)."""
    from pathlib import Path

    from django.conf import settings

    opts = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if opts.get(key):
            Path(opts[key]).mkdir(parents=True, exist_ok=True)


def _on_after_configure(sender: Celery, **kwargs: object) -> None:
    _ensure_filesystem_broker_folders()


# A strong reference: Celery's signals hold weak ones by default, and a lambda would be collected before
# the signal fires (then a producer outside the worker, e.g. `manage.py demo_load`, found no queue folder).
app.on_after_configure.connect(_on_after_configure, weak=False)


def queries_log_reset(**kwargs: Any) -> None:
    """Empty the database connections' query logs before each task, as Django does before each request.

    With DEBUG on (the embedded default), Django keeps the last 9,000 queries of each connection; a worker
    serves no requests, so without this the log of earlier tasks would stay resident for its whole life."""
    from django.db import reset_queries

    reset_queries()


task_prerun.connect(queries_log_reset, weak=False)


def heap_release(**kwargs: Any) -> None:
    """After each task, hand the memory it freed back to the system: a large import leaves tens of
    megabytes free in the heap, and the next import would otherwise add its own growth on top of them
    (the bench's worker peaked at 151.8 MB on an XLSX import that started where a CSV import's peak had
    left the heap)."""
    from closeloop.core.heap import free_memory_release

    free_memory_release()


task_postrun.connect(heap_release, weak=False)
