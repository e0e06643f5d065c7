"""The connection settings that decide throughput are on (README, "Performance"), and the complaint
reads that join many tables are planned in their written join order on PostgreSQL (core/db.py)."""

import pytest
from django.db import DatabaseError, connection, transaction

from closeloop.complaints import selectors
from closeloop.core.db import joins_as_written

pytestmark = pytest.mark.django_db


def _show(name: str) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SHOW {name}")
        return str(cur.fetchone()[0])


def test_the_connection_settings_are_applied():
    if connection.vendor == "postgresql":
        assert _show("jit") == "off"
    else:
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            mode = cur.fetchone()[0]
        # An in-memory test database cannot use WAL; a file database (make run, the bench) does.
        assert mode in ("wal", "memory")


def test_joins_as_written_holds_only_inside_even_when_the_statement_fails():
    if connection.vendor != "postgresql":
        with joins_as_written():  # nothing to set elsewhere
            pass
        pytest.skip("a PostgreSQL planner setting")
    default = _show("join_collapse_limit")
    with joins_as_written():
        assert _show("join_collapse_limit") == "1"
    assert _show("join_collapse_limit") == default
    with pytest.raises(DatabaseError), transaction.atomic(), joins_as_written(), connection.cursor() as cur:
        cur.execute("SELECT no_such_column FROM complaints_complaint")
    assert _show("join_collapse_limit") == default
    with pytest.raises(ZeroDivisionError), joins_as_written():
        _ = 1 / 0
    assert _show("join_collapse_limit") == default


def test_the_complaint_page_read_starts_from_the_number_and_looks_the_rest_up(gm, complaint):
    """Eleven tables joined: in the written order the plan finds the complaint by its number and each
    related row by primary key, without the planner weighing every join order."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    qs = selectors.complaint_visible_qs(user=gm).select_related(*selectors.PAGE_RELATED)
    with joins_as_written():
        plan = qs.filter(number=complaint.number).order_by()[:1].explain()
    assert "complaints_complaint_number" in plan
    assert "Hash Join" not in plan
    assert selectors.complaint_get_for_page(user=gm, number=complaint.number).pk == complaint.pk
