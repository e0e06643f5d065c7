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
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if opts.get(key):
            Path(opts[key]).mkdir(parents=True, exist_ok=True)


app.on_after_configure.connect(lambda sender, **kw: _ensure_filesystem_broker_folders())
