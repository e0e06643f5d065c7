"""Settings shared by every environment. Values that vary come from ``config.env``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from config import env as E

BASE_DIR = E.BASE_DIR
VAR_DIR = E.VAR_DIR
SECRET_KEY = E.SECRET_KEY
DEBUG = E.DEBUG
ALLOWED_HOSTS = E.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = E.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "closeloop.core",
    "closeloop.accounts",
    "closeloop.customers",
    "closeloop.complaints",
    "closeloop.intake",
    "closeloop.investigations",
    "closeloop.sla",
    "closeloop.actions",
    "closeloop.api",
    "closeloop.notifications",
    "closeloop.reports",
    "closeloop.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "closeloop.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

if E.WORKER_PROCESS:
    # A Celery worker renders no page, API or admin screen; it only links to pages (reverse() in
    # notifications.channels). Left out, it starts 16 MB lighter and its first message with a link
    # stays 17 MB lighter: django-ninja's app loads pydantic, the test client and Jinja2 at start-up
    # (the API docs need it only in web processes), the admin's autodiscovery imports every admin.py,
    # and the site's URLconf imports every view and the API's schemas.
    INSTALLED_APPS = [
        "django.contrib.admin.apps.SimpleAdminConfig" if app == "django.contrib.admin" else app
        for app in INSTALLED_APPS
        if app != "ninja"
    ]
    ROOT_URLCONF = "config.urls_worker"

WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "complaints:list"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "closeloop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "closeloop.core.context_processors.navigation",
                "closeloop.notifications.context_processors.unread_notifications",
            ],
        },
    }
]


def _databases(url: str) -> dict:
    """Build DATABASES from one URL, with the connection settings that decide throughput.

    SQLite gets WAL, synchronous=NORMAL and IMMEDIATE transactions (no lock-upgrade deadlocks);
    PostgreSQL keeps connections open (CONN_MAX_AGE) with health checks that cost no round trip
    (closeloop.core.postgresql), and runs without JIT.
    """
    db = E.env.db_url_config(url)
    if db["ENGINE"].endswith("sqlite3"):
        db["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                " PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        db["CONN_MAX_AGE"] = 600
    else:
        if db["ENGINE"] == "django.db.backends.postgresql":
            # Django's backend, with a health check that reads the socket instead of running SELECT 1.
            db["ENGINE"] = "closeloop.core.postgresql"
        db["CONN_MAX_AGE"] = 600
        db["CONN_HEALTH_CHECKS"] = True
        # No JIT: it compiles every query the planner costs high (the cockpit's day counts, a repeat
        # check) and spends 100+ ms doing so, for statements that run in a few milliseconds.
        db.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        # Django's own cursors bind values on the client and never prepare; Django turns psycopg's
        # prepared statements off entirely (None). The few fixed statements every request runs are
        # prepared on purpose (core.db.plan_kept_cursor), which needs them on; psycopg's threshold
        # (prepare a statement after its fifth run) applies to no cursor here.
        db["OPTIONS"]["prepare_threshold"] = 5
    db["ATOMIC_REQUESTS"] = False
    return {"default": db}


DATABASES = _databases(E.DATABASE_URL)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = E.LANGUAGE_CODE
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = E.TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = E.STATIC_ROOT
_NODE = BASE_DIR / "node_modules"
# Front-end packages come from npm (package-lock.json) and are served from here, never a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "closeloop" / "static",
    ("vendor/tabler", _NODE / "@tabler" / "core" / "dist"),
    ("vendor/tabler-icons", _NODE / "@tabler" / "icons-webfont" / "dist"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/echarts", _NODE / "echarts" / "dist"),
    ("vendor/noto-sans-sc", _NODE / "@fontsource" / "noto-sans-sc"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = E.MEDIA_ROOT
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# Django's own backend and database sessions, each reading its row with a statement compiled once
# per process (closeloop.accounts.backends and .sessions).
AUTHENTICATION_BACKENDS = ["closeloop.accounts.backends.UserBackend"]
SESSION_ENGINE = "closeloop.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_CONFIG = E.env.email_url_config(E.EMAIL_URL)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = E.DEFAULT_FROM_EMAIL

CELERY_BROKER_URL = E.CELERY_BROKER_URL
CELERY_RESULT_BACKEND = E.CELERY_RESULT_BACKEND
CELERY_TASK_ALWAYS_EAGER = E.CELERY_ALWAYS_EAGER
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = E.TIME_ZONE
# Beat runs once per installation (embedded: inside `make run`'s worker; production: one `celery beat`).
# Each periodic task claims its rows with SKIP LOCKED, so several workers never process a row twice.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "deadlines-scan": {"task": "closeloop.sla.tasks.deadlines_scan", "schedule": 60.0},
    "dashboard-rollups-refresh": {"task": "closeloop.dashboards.tasks.rollups_refresh", "schedule": 60.0},
    "deliveries-dispatch": {"task": "closeloop.notifications.tasks.deliveries_dispatch", "schedule": 30.0},
    "digests-send": {"task": "closeloop.notifications.tasks.digests_send", "schedule": 300.0},
    "actions-overdue": {"task": "closeloop.actions.tasks.actions_overdue_notify", "schedule": 900.0},
    "exports-expire": {"task": "closeloop.reports.tasks.exports_expire", "schedule": 3600.0},
    "imports-resume": {"task": "closeloop.intake.tasks.import_jobs_resume", "schedule": 60.0},
    "exports-resume": {"task": "closeloop.reports.tasks.exports_resume", "schedule": 60.0},
}
_FS_BROKER = VAR_DIR / "celery"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {
        "data_folder_in": str(_FS_BROKER / "queue"),
        "data_folder_out": str(_FS_BROKER / "queue"),
        "processed_folder": str(_FS_BROKER / "processed"),
        # Exchange tables; kombu's default is a "control" folder in the working directory.
        "control_folder": str(_FS_BROKER / "control"),
        "store_processed": False,
    }
    if E.CELERY_BROKER_URL.startswith("filesystem")
    else {}
)

CLOSELOOP_DELIVERY_LEASE_SECONDS = E.DELIVERY_LEASE_SECONDS
CLOSELOOP_DELIVERY_MAX_ATTEMPTS = E.DELIVERY_MAX_ATTEMPTS
CLOSELOOP_WEBHOOK_TIMEOUT_SECONDS = E.WEBHOOK_TIMEOUT_SECONDS
CLOSELOOP_SITE_URL = E.SITE_URL

CLOSELOOP: dict[str, Any] = {
    "COMPLAINT_NUMBER_FORMAT": E.COMPLAINT_NUMBER_FORMAT,
    "ATTACHMENT_MAX_BYTES": E.ATTACHMENT_MAX_BYTES,
    # Data rows one import file may hold; a longer file is refused before any row is written.
    "IMPORT_MAX_ROWS": E.IMPORT_MAX_ROWS,
    # Seconds an import or export may go without a sign of life before its worker is taken to have
    # stopped and the job is sent to the worker again (core.leases); a batch takes well under a second.
    "JOB_STALL_SECONDS": E.JOB_STALL_SECONDS,
    # Local hour (in each person's time zone) after which the daily notification digest is sent.
    "DIGEST_HOUR": E.DIGEST_HOUR,
    # Days an export file (ledger, audit pack) is kept after it is written.
    "EXPORT_KEEP_DAYS": E.EXPORT_KEEP_DAYS,
    # Seconds between the notification bell's refreshes (htmx polling).
    "NOTIFICATION_POLL_SECONDS": E.NOTIFICATION_POLL_SECONDS,
    # Content types sniffed from the bytes, never trusted from the file name.
    "ATTACHMENT_TYPES": {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "image/heic": ".heic",
        "application/pdf": ".pdf",
        "video/mp4": ".mp4",
        "application/zip": ".zip",
        "text/plain": ".txt",
        "text/csv": ".csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    },
}

CACHES = {"default": E.env.cache_url_config(E.CACHE_URL)}
LOGIN_FAILURE_LIMIT = E.LOGIN_FAILURE_LIMIT  # failed sign-ins per user name (and x4 per address) in 15 min

NINJA_PAGINATION_PER_PAGE = 20
API_TOKEN_RATE = E.API_TOKEN_RATE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": E.LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

MESSAGE_TAGS_HELP = _("Messages")
