"""The embedded default used by ``make run``: SQLite under var/, a broker that needs no server."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG, SECRET_KEY

DEBUG = True if DEBUG is False else DEBUG
# A fixed development key is acceptable only here; production refuses to start without one.
SECRET_KEY = SECRET_KEY or "closeloop-local-development-only-key-not-for-production"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
