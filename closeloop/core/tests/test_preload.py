"""gunicorn imports the application once, in its master, and forks the workers from it
(``preload_app`` in config/gunicorn.conf.py). That is only safe if importing the project opens no
connection (a socket inherited by every worker would be shared by all of them) and starts no thread
(a fork copies only the thread that forks). Checked in a fresh interpreter with the production
settings, pointed at a database and a broker that nothing listens on: any attempt to reach them
would fail the import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from closeloop.core.tests.test_production_stack import _prod_env

PROBE = """
import json, os, threading
import config.wsgi  # what the gunicorn master imports with preload_app
from django.db import connections
fds = []
for fd in os.listdir("/proc/self/fd"):
    try:
        fds.append(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:  # the listing's own descriptor, closed by now
        pass
print(json.dumps({
    "connections": [c.alias for c in connections.all(initialized_only=True) if c.connection is not None],
    "threads": [t.name for t in threading.enumerate()],
    "sockets": [fd for fd in fds if fd.startswith("socket:")],
}))
"""


def test_the_project_imports_without_connections_or_threads(tmp_path):
    env = _prod_env(tmp_path)
    env.update(
        {
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",  # the discard port: nothing answers
            "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
            "CLOSELOOP_CACHE_URL": "redis://127.0.0.1:9/1",
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "connections": [],
        "threads": ["MainThread"],
        "sockets": [],
    }
    assert "preload_app = True" in (Path(settings.BASE_DIR) / "config" / "gunicorn.conf.py").read_text()
