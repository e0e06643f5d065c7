"""The embedded default used by ``make run``: SQLite under var/, a broker that needs no server."""

from config.env import WORKER_PROCESS
from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG, SECRET_KEY

DEBUG = True if DEBUG is False else DEBUG
# Not in the worker: it serves no page to debug, and with DEBUG Django keeps each query's SQL (up to
# 9,000 per connection) until the next task starts; the rollup refresh's hundreds of day queries held
# tens of MB at its peak (Celery warns about this leak when a worker starts with DEBUG).
DEBUG = DEBUG and not WORKER_PROCESS
# A fixed development key is acceptable only here; production refuses to start without one.
SECRET_KEY = SECRET_KEY or "closeloop-local-development-only-key-not-for-production"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
