"""Sign-in throttling: after too many failures for one user name (or from one address) within
15 minutes, further attempts are refused without checking the password (ASVS 2.2.1)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60


def _keys(username: str, address: str) -> tuple[str, str]:
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:user:{user}", f"login-fail:addr:{address}"


def login_blocked(*, username: str, address: str) -> bool:
    user_key, addr_key = _keys(username, address)
    limit = int(settings.LOGIN_FAILURE_LIMIT)
    return int(cache.get(user_key, 0)) >= limit or int(cache.get(addr_key, 0)) >= limit * 4


def login_failed(*, username: str, address: str) -> None:
    for key in _keys(username, address):
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, WINDOW_SECONDS)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])
