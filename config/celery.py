"""The Celery application. Embedded default: kombu's filesystem transport under var/celery."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

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
