"""What a Celery worker keeps resident: its task modules, and the URLconf its jobs reach through
reverse() (links in notifications), load none of the document libraries (those are imported by the
functions that write documents, so a worker pays for them only once it runs such a job); and the query
log that DEBUG keeps is emptied before each task."""

from __future__ import annotations

import subprocess
import sys

import pytest
from celery.signals import task_prerun
from django.db import connection
from django.test.utils import override_settings

from config.env import BASE_DIR

HEAVY = ("openpyxl", "reportlab", "docx", "docxtpl", "PIL", "lxml", "jieba")

# The worker's start-up, as Celery's Django fixup runs it, then the URLconf.
STARTUP = f"""
import sys
import django
django.setup()
from config.celery import app
app.loader.import_default_modules()
assert "closeloop.notifications.tasks" in sys.modules and "closeloop.reports.tasks" in sys.modules
import config.urls
print(sorted(name for name in {HEAVY!r} if name in sys.modules))
"""


def test_the_worker_loads_no_document_library_before_a_job_needs_one():
    # A fresh interpreter: this test process has long imported everything.
    done = subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", STARTUP], cwd=BASE_DIR, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_the_query_log_is_emptied_before_each_task():
    from closeloop.notifications.tasks import digests_send

    connection.queries_log.clear()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert len(connection.queries) == 1
    task_prerun.send(sender=digests_send, task_id="t", task=digests_send, args=(), kwargs={})
    assert connection.queries == []
