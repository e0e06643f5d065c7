"""Fast, hermetic settings for the test suite. DATABASE_URL selects SQLite (default) or PostgreSQL."""

from config.settings.base import *  # noqa: F403

SECRET_KEY = "closeloop-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
API_TOKEN_RATE = "1000/min"
