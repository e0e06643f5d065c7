"""The shared migration operation drops its indexes and its reverse makes them again (the PostgreSQL-only
ones on PostgreSQL only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from closeloop.core.migration_ops import column_n_distinct, indexes_drop

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "core_test_migration_ops"


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
    return {name for name, c in found.items() if c["index"] and not c["primary_key"]}


def test_drop_and_make_again():
    op = indexes_drop(
        TABLE,
        {
            "core_test_mig_a": ('("a")', False),
            "core_test_mig_b_like": ('("b" varchar_pattern_ops)', True),
        },
    )
    # The operation's functions take no app registry (they touch no model).
    forward: Any = op.code
    back: Any = op.reverse_code
    with connection.schema_editor() as editor:
        editor.execute(f'CREATE TABLE "{TABLE}" (id integer PRIMARY KEY, a integer, b varchar(10))')
    try:
        with connection.schema_editor() as editor:
            back(None, editor)
        made = {"core_test_mig_a"} | (
            {"core_test_mig_b_like"} if connection.vendor == "postgresql" else set()
        )
        assert _indexes() == made
        with connection.schema_editor() as editor:
            forward(None, editor)
        assert _indexes() == set()
        with connection.schema_editor() as editor:
            forward(None, editor)  # IF EXISTS: dropping twice is no error
    finally:
        with connection.schema_editor() as editor:
            editor.execute(f'DROP TABLE "{TABLE}"')


def _n_distinct(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(attoptions, '{}') FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = %s",
            [table, column],
        )
        return [o for o in cursor.fetchone()[0] if o.startswith("n_distinct=")]


@pytest.mark.postgres
def test_the_planner_is_told_how_many_complaints_the_events_and_deadlines_name():
    # set by complaints 0014 and sla 0009 (the test database is migrated)
    assert _n_distinct("complaints_complaintevent", "complaint_id") == ["n_distinct=-0.15"]
    assert _n_distinct("sla_deadline", "complaint_id") == ["n_distinct=-0.4"]
    op = column_n_distinct("sla_deadline", "complaint_id", -0.4)
    back: Any = op.reverse_code
    forward: Any = op.code
    with connection.schema_editor() as editor:
        back(None, editor)
    assert _n_distinct("sla_deadline", "complaint_id") == []
    with connection.schema_editor() as editor:
        forward(None, editor)
    assert _n_distinct("sla_deadline", "complaint_id") == ["n_distinct=-0.4"]


def test_a_ratio_outside_minus_one_to_zero_is_refused():
    for ratio in (0, 0.5, -1.5):
        with pytest.raises(ValueError, match="ratio"):
            column_n_distinct("sla_deadline", "complaint_id", ratio)
