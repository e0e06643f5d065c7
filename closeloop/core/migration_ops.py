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
