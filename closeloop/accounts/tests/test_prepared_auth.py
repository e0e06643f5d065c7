"""The signed-in user and the session are read by statements compiled once per process
(accounts.backends, accounts.sessions) and answer what Django's own backend and store answer: the
active user, the unexpired session — and nobody otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from closeloop.accounts import roles
from closeloop.accounts.backends import UserBackend
from closeloop.accounts.sessions import SessionStore
from closeloop.accounts.tests.factories import user_make

pytestmark = pytest.mark.django_db


def test_backend_answers_as_django_does() -> None:
    active = user_make("active", roles.AGENT)
    inactive = user_make("inactive", roles.AGENT, is_active=False)
    ours, django = UserBackend(), ModelBackend()
    for user_id in (active.pk, inactive.pk, 10**9):
        got, expected = ours.get_user(user_id), django.get_user(user_id)
        assert (got and got.pk) == (expected and expected.pk)
    got = ours.get_user(active.pk)
    assert got is not None and got.username == "active" and got.check_password("pass12345!")
    assert ours.get_user(inactive.pk) is None
    # An id that is not yet an int goes Django's way (and means the same user).
    got = ours.get_user(str(active.pk))
    assert got is not None and got.pk == active.pk


def test_backend_signs_in_with_the_password() -> None:
    user_make("signs", roles.AGENT)
    assert UserBackend().authenticate(None, username="signs", password="pass12345!") is not None
    assert UserBackend().authenticate(None, username="signs", password="wrong") is None


def _stored(store: type[DjangoStore], key: str | None) -> dict[str, object]:
    s = store(session_key=key)
    data = dict(s.load())
    return {"data": data, "key": s._session_key}


def test_session_store_answers_as_django_does() -> None:
    live = SessionStore()
    live["x"] = 1
    live.create()
    expired = SessionStore()
    expired["y"] = 2
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    for key in (live.session_key, expired.session_key, "nosuchkey12345678", None):
        assert _stored(SessionStore, key) == _stored(DjangoStore, key), key
    assert _stored(SessionStore, live.session_key)["data"] == {"x": 1}
    assert _stored(SessionStore, expired.session_key) == {"data": {}, "key": None}


def test_signed_in_page_reads_session_and_user_once_each(client) -> None:  # type: ignore[no-untyped-def]
    user_make("pages", roles.AGENT)
    assert client.login(username="pages", password="pass12345!")
    client.get("/complaints/")  # compiles the statements
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/complaints/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "django_session"' in s for s in sql) == 1
    assert sum('FROM "accounts_user"' in s and '"accounts_user"."password"' in s for s in sql) == 1
    client.logout()
    assert client.get("/complaints/").status_code == 302  # signed out: the session is gone


def test_an_expired_session_signs_out(client) -> None:  # type: ignore[no-untyped-def]
    user_make("expires", roles.AGENT)
    assert client.login(username="expires", password="pass12345!")
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/complaints/").status_code == 302
