"""The only module that reads the process environment.

Every setting that may differ between machines is read here once; the settings modules import
the values from this module. Nothing else in the code base calls ``os.environ``.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY: str = env.str("CLOSELOOP_SECRET_KEY", default="")
DEBUG: bool = env.bool("CLOSELOOP_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("CLOSELOOP_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CLOSELOOP_CSRF_TRUSTED_ORIGINS", default=[])
DATABASE_URL: str = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'closeloop.sqlite3'}")
TIME_ZONE: str = env.str("CLOSELOOP_TIME_ZONE", default="Asia/Shanghai")
LANGUAGE_CODE: str = env.str("CLOSELOOP_LANGUAGE", default="zh-hans")
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND: str | None = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_ALWAYS_EAGER: bool = env.bool("CELERY_ALWAYS_EAGER", default=False)
MEDIA_ROOT: Path = Path(env.str("CLOSELOOP_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STATIC_ROOT: Path = Path(env.str("CLOSELOOP_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
COMPLAINT_NUMBER_FORMAT: str = env.str("CLOSELOOP_COMPLAINT_NUMBER_FORMAT", default="KS-{year}-{seq:06d}")
ATTACHMENT_MAX_BYTES: int = env.int("CLOSELOOP_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS: int = env.int("CLOSELOOP_IMPORT_MAX_ROWS", default=200_000)
JOB_STALL_SECONDS: int = env.int("CLOSELOOP_JOB_STALL_SECONDS", default=600)
EMAIL_URL: str = env.str("CLOSELOOP_EMAIL_URL", default="consolemail://")
DEFAULT_FROM_EMAIL: str = env.str("CLOSELOOP_FROM_EMAIL", default="closeloop@localhost")
SECURE_SSL_REDIRECT: bool = env.bool("CLOSELOOP_SECURE_SSL_REDIRECT", default=True)
LOG_LEVEL: str = env.str("CLOSELOOP_LOG_LEVEL", default="INFO")
# locmem (one process) by default; production: redis://host:6379/1 so throttles count across processes.
CACHE_URL: str = env.str("CLOSELOOP_CACHE_URL", default="locmemcache://")
LOGIN_FAILURE_LIMIT: int = env.int("CLOSELOOP_LOGIN_FAILURE_LIMIT", default=5)
API_TOKEN_RATE: str = env.str("CLOSELOOP_API_TOKEN_RATE", default="10/min")

DIGEST_HOUR: int = env.int("CLOSELOOP_DIGEST_HOUR", default=8)
# Days an export or audit pack file is kept after it is written; the worker then deletes it.
EXPORT_KEEP_DAYS: int = env.int("CLOSELOOP_EXPORT_KEEP_DAYS", default=7)
# Outbox delivery: how long a worker's claim on a message lasts, tries before a dead letter, webhook
# timeout, and the address links in emails and robot messages point to.
DELIVERY_LEASE_SECONDS: int = env.int("CLOSELOOP_DELIVERY_LEASE_SECONDS", default=300)
DELIVERY_MAX_ATTEMPTS: int = env.int("CLOSELOOP_DELIVERY_MAX_ATTEMPTS", default=8)
WEBHOOK_TIMEOUT_SECONDS: float = env.float("CLOSELOOP_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
SITE_URL: str = env.str("CLOSELOOP_SITE_URL", default="http://127.0.0.1:8000")
NOTIFICATION_POLL_SECONDS: int = env.int("CLOSELOOP_NOTIFICATION_POLL_SECONDS", default=30)


def database_is_local(url: str) -> bool:
    """True when ``url`` names a database this machine serves: SQLite, or a server reached through a
    Unix socket (no host) or the loopback address."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return True
    host = (parts.hostname or "").lower()
    return host in ("", "localhost", "::1") or host.startswith("127.")


def web_workers_default(cores: int, database_url: str) -> int:
    """gunicorn's sync workers for ``cores`` when CLOSELOOP_WEB_WORKERS is not set.

    With the database on this machine, ``cores + 1``: a request is CPU work in the worker and then in
    the database server, on the same cores, so more workers only queue for them, and each request costs
    a little more CPU (caches, switches). Measured on 2 cores with PostgreSQL beside it (the HTTP bench,
    API create, runs alternated): 3 workers against 5 served as many requests a second (352 and 350
    against 369 and 335) with a p95 10% lower, at 6% less CPU per request in gunicorn and 9% less in
    PostgreSQL. With the database elsewhere a worker also waits on the network during each of its
    statements, and gunicorn's own advice, ``2 × cores + 1``, keeps the cores busy meanwhile."""
    return cores + 1 if database_is_local(database_url) else 2 * cores + 1


def web_workers() -> int:
    """gunicorn's worker count: CLOSELOOP_WEB_WORKERS, else :func:`web_workers_default` for this
    machine's cores and ``DATABASE_URL`` (read when called, as gunicorn reads its configuration)."""
    return env.int(
        "CLOSELOOP_WEB_WORKERS", default=web_workers_default(multiprocessing.cpu_count(), DATABASE_URL)
    )


# Test-suite switches (CI sets them so that a missing browser or server fails instead of skipping).
REQUIRE_BROWSER: bool = env.bool("CLOSELOOP_REQUIRE_BROWSER", default=False)
REQUIRE_POSTGRES: bool = env.bool("CLOSELOOP_REQUIRE_POSTGRES", default=False)
CHROMIUM_PATH: str = env.str("CLOSELOOP_CHROMIUM", default="/usr/bin/chromium")
REDIS_URL: str = env.str("CLOSELOOP_REDIS_URL", default="")


def celery_worker_command(argv: list[str]) -> bool:
    """Whether ``argv`` starts a Celery worker through Celery's command line (``celery -A config worker
    …`` or ``python -m celery … worker …``), as ``make run``, ``make worker``, the bench and a production
    deployment start one."""
    if not argv:
        return False
    program = Path(argv[0])
    return (program.name == "celery" or program.parent.name == "celery") and "worker" in argv[1:]


# A worker serves no pages: settings leave out what only pages need (config/settings/base.py).
# CLOSELOOP_WORKER=1 or 0 overrides what the command line says.
WORKER_PROCESS: bool = env.bool("CLOSELOOP_WORKER", default=celery_worker_command(sys.argv))
