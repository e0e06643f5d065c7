"""The shared migration operation drops its indexes and its reverse makes them again (the PostgreSQL-only
ones on PostgreSQL only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from closeloop.core.migration_ops import indexes_drop

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
