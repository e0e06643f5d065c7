"""What a Celery worker keeps resident: its task modules, and the URLconf its jobs reach through
reverse() (links in notifications), load none of the document libraries (those are imported by the
functions that write documents, so a worker pays for them only once it runs such a job); and the query
log that DEBUG keeps is emptied before each task."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from celery.signals import task_prerun
from django.db import connection
from django.test.utils import override_settings

from config.env import BASE_DIR, celery_worker_command

HEAVY = ("openpyxl", "reportlab", "docx", "docxtpl", "PIL", "lxml", "rjieba")

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


# The worker's start-up with its own settings, then the links its messages carry.
WORKER_STARTUP = f"""
import sys
import django
django.setup()
from config.celery import app
app.loader.import_default_modules()
from closeloop.notifications.channels import event_link
links = [
    event_link(complaint_number="KS-2026-000001", data={{}}),
    event_link(complaint_number=None, data={{"case": "8D-2026-0001"}}),
    event_link(complaint_number=None, data={{}}),
]
import json
print(json.dumps({{
    "links": links,
    "loaded": sorted(m for m in ("ninja", "closeloop.api.v1", "closeloop.complaints.admin", "config.urls",
                                 *{HEAVY!r}) if m in sys.modules),
}}))
"""


def test_the_worker_links_to_pages_without_loading_the_api_the_admin_or_the_other_pages():
    import json

    env = {**os.environ, "CLOSELOOP_WORKER": "1", "CLOSELOOP_SITE_URL": "https://cl.example"}
    done = subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", WORKER_STARTUP],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["loaded"] == []
    assert out["links"] == [
        "https://cl.example/complaints/KS-2026-000001/",
        "https://cl.example/8d/8D-2026-0001/",
        "https://cl.example/notifications/",
    ]


@pytest.mark.parametrize(
    ("argv", "worker"),
    [
        (["/srv/closeloop/.venv/bin/celery", "-A", "config", "worker", "--pool=solo"], True),
        (["/usr/lib/python3/site-packages/celery/__main__.py", "-A", "config", "worker", "-B"], True),
        (["/srv/closeloop/.venv/bin/celery", "-A", "config", "beat"], False),
        (["manage.py", "runserver"], False),
        (["/srv/closeloop/.venv/bin/gunicorn", "config.wsgi"], False),
        ([], False),
    ],
)
def test_a_celery_worker_is_told_from_its_command_line(argv, worker):
    assert celery_worker_command(argv) is worker


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
