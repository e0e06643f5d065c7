"""Production: PostgreSQL via DATABASE_URL, Celery on Redis, gunicorn behind a TLS-terminating proxy."""

from django.core.exceptions import ImproperlyConfigured

from config import env as E
from config.settings.base import *  # noqa: F403

DEBUG = False
if len(E.SECRET_KEY) < 50:
    raise ImproperlyConfigured("CLOSELOOP_SECRET_KEY must be set to at least 50 random characters.")
SECRET_KEY = E.SECRET_KEY
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = E.SECURE_SSL_REDIRECT
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
