"""Database helpers shared by selectors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def joins_as_written() -> Iterator[None]:
    """Inside, PostgreSQL plans joins in the order the ORM wrote them (``join_collapse_limit = 1``).

    For a statement that finds one row by a unique key and joins ten or more tables by primary key —
    the complaint page, the API's complaint — the planner's search over every join order cost 10–50 ms
    (a genetic search past twelve tables) for a statement that runs in under one. The ORM writes joins
    from the queried table outwards, the order these lookups want. Not for statements whose best plan
    starts elsewhere (a search's matching ids, a filter on a joined table). Two extra statements (SET and
    RESET); nothing on other databases. If the statement fails inside a transaction, the transaction's
    rollback undoes the SET.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET join_collapse_limit = 1")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cur:
                cur.execute("RESET join_collapse_limit")
        except DatabaseError:
            pass  # a failed transaction: its rollback restores the setting


def joins_as_written_statements() -> int:
    """The statements :func:`joins_as_written` adds on this database, for query-count pins."""
    return 2 if connection.vendor == "postgresql" else 0
