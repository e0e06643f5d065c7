"""The PostgreSQL backend's health check (``closeloop.core.postgresql``): a kept connection is checked
by reading its socket, and one the server has ended is found unusable and replaced before the request's
first statement, as Django's ``SELECT 1`` would have found it."""

from __future__ import annotations

import select
import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_pg

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kept():
    """A second connection to the test database, as a web process keeps one between requests."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _ended_by_server(wrapper) -> None:
    pid = wrapper.connection.info.backend_pid
    with connection.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cur.fetchone()[0] is True
    # The server's error message and the socket's end arrive a moment after the call returns.
    readable: list = []
    deadline = time.monotonic() + 5
    while not readable and time.monotonic() < deadline:
        readable, _, _ = select.select([wrapper.connection.fileno()], [], [], 0.1)
    assert readable


def test_the_engine_is_ours_and_health_checks_are_on():
    assert type(connections["default"]).__module__ == "closeloop.core.postgresql.base"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_an_idle_connection_is_usable_without_a_statement(kept, monkeypatch):
    def no_round_trip(self):
        raise AssertionError("ran SELECT 1")

    monkeypatch.setattr(django_pg.DatabaseWrapper, "is_usable", no_round_trip)
    assert kept.is_usable() is True


def test_a_connection_the_server_ended_is_unusable_and_replaced_before_the_next_statement(kept):
    old_pid = kept.connection.info.backend_pid
    _ended_by_server(kept)
    assert kept.is_usable() is False
    # What Django does before a request's first statement: the check fails, the connection is closed,
    # and the statement runs on a new one instead of failing the request.
    kept.health_check_done = False
    kept.close_if_health_check_failed()
    assert kept.connection is None
    with kept.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        assert cur.fetchone()[0] != old_pid


def test_inside_a_transaction_the_check_is_a_statement(kept):
    kept.connection.execute("BEGIN")
    assert kept.is_usable() is True  # SELECT 1 answered inside the open transaction
    kept.connection.execute("ROLLBACK")


def test_a_closed_connection_is_unusable(kept):
    kept.connection.close()
    assert kept.is_usable() is False
