"""Migration operations shared by several apps' migrations. Migrations import them, so their behaviour
must never change: add a new function instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import migrations


def indexes_drop(table: str, indexes: Mapping[str, tuple[str, bool]]) -> migrations.RunPython:
    """Drop the named indexes of ``table`` (``IF EXISTS``); the reverse creates them again.

    ``indexes``: name -> (the index's parenthesised column list as SQL, PostgreSQL only). An index
    marked PostgreSQL only (an operator class such as ``varchar_pattern_ops``) is not created again on
    another database, where Django never made it."""

    def drop(apps: Any, schema_editor: Any) -> None:
        for name in indexes:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    def create(apps: Any, schema_editor: Any) -> None:
        for name, (columns, postgres_only) in indexes.items():
            if postgres_only and schema_editor.connection.vendor != "postgresql":
                continue
            schema_editor.execute(f'CREATE INDEX "{name}" ON "{table}" {columns}')

    return migrations.RunPython(drop, create)


def column_n_distinct(table: str, column: str, ratio: float) -> migrations.RunPython:
    """On PostgreSQL, tell the planner that ``table.column`` has ``ratio`` distinct values per row (a
    negative ``n_distinct``: it scales with the table) and analyse the table so it applies at once; the
    reverse forgets it. Elsewhere nothing.

    For a reference column whose rows come in runs (a complaint's events): ANALYZE's sample of 30,000
    rows sees most of a run's values once and extrapolates far too few distinct ones, so an ``IN`` list
    of ids is estimated at many times its rows and planned as a scan of a whole other index."""
    if not -1 <= ratio < 0:
        raise ValueError("ratio must be in [-1, 0)")

    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET (n_distinct = {ratio})')
            schema_editor.execute(f'ANALYZE "{table}"')

    def reset(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" RESET (n_distinct)')

    return migrations.RunPython(apply, reset)
