"""The session store: Django's database sessions, with the session read by a statement compiled once
per process.

Every request with a session cookie reads its session. Compiling that one-row lookup cost the ORM
more than running it (core.db.PreparedQuery). The expiry is checked here rather than in the statement,
so that the statement's one parameter is the key as given; the answer is Django's: the unexpired
session with that key, else none (and the key is dropped, as Django drops it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from closeloop.core.db import PreparedQuery

_SESSION_BY_KEY: PreparedQuery[Session] = PreparedQuery(
    lambda key: Session.objects.filter(session_key=key), samples=("\0key",)
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        session = _SESSION_BY_KEY.first(key) if key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
