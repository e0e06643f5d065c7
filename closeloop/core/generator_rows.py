"""Plain-row inserts for the generator — COPY on PostgreSQL, ``executemany`` on SQLite — and the
writer that stores its batches while the next one is built.

The ORM's ``bulk_create`` builds a model instance per row and prepares every value through its field:
for the millions of complaints, events and deadlines of a benchmark load that was most of the time.
Values here are prepared as the fields would store them — aware datetimes (naive UTC text on SQLite),
JSON as text — and every column the caller does not name gets its field's default, as ``save()``
would give it (``auto_now`` fields the current time), so a column added later does not break it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

_MISSING = object()


class JsonText(str):
    """A JSON value already serialised: :func:`rows_insert` stores it as it is."""

    __slots__ = ()


def _columns(
    model: type[models.Model], fields: Sequence[str]
) -> tuple[list[models.Field[Any, Any]], list[Any]]:
    """The named fields, then every other concrete field but the primary key; and the values those
    others take."""
    meta = model._meta
    named = [meta.get_field(f) for f in fields]
    others = [f for f in meta.concrete_fields if not f.primary_key and f not in named]
    now = timezone.now()
    defaults = [
        now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        for f in others
    ]
    return [*named, *others], defaults  # type: ignore[list-item]


def rows_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in ``fields``' order; a relation is named by its field and given as an
    id) into ``model``'s table. JSON fields take Python values; datetimes must be aware. Returns the
    number of rows. Runs in the caller's transaction; sets no ids and sends no signals."""
    cols, defaults = _columns(model, fields)
    json_at = [i for i, f in enumerate(cols) if isinstance(f, models.JSONField)]
    time_at = [i for i, f in enumerate(cols) if isinstance(f, models.DateTimeField)]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in cols)
    pg = connection.vendor == "postgresql"
    # SQLite stores naive UTC text (DatabaseOperations.adapt_datetimefield_value), computed directly:
    # the generic adapter's time-zone lookups cost more than the rest of a row.
    utc = connection.timezone_name == "UTC"

    def prepare(row: Sequence[Any]) -> list[Any]:
        values = [*row, *defaults]
        for i in json_at:
            v = values[i]
            if type(v) is not JsonText:
                values[i] = "{}" if v == {} else "[]" if v == [] else json.dumps(v)
        if not pg:
            for i in time_at:
                v = values[i]
                if v is None:
                    continue
                if utc and v.tzinfo is dt.UTC:
                    values[i] = v.isoformat(" ")[:-6]  # = str() of the naive UTC time, offset cut
                else:
                    values[i] = connection.ops.adapt_datetimefield_value(v)
        return values

    n = 0
    with connection.cursor() as cursor:
        if pg:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepare(row))
                    n += 1
            return n
        prepared = [prepare(row) for row in rows]
        marks = ", ".join(["%s"] * len(cols))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 — names from the model, quoted
        cursor.executemany(sql, prepared)
        return len(prepared)


class RowShape:
    """How an object whose attributes carry a model's field names (relations as objects, or as
    ``<name>_id``) becomes a row for :func:`rows_insert`; a missing attribute takes the field's default."""

    def __init__(self, model: type[models.Model], *, skip: Sequence[str] = ()) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]
        self.fields = [f.name for f in fields]
        self._plan = [(f.name, f.attname, f.is_relation, f.get_default()) for f in fields]

    def values(self, obj: Any) -> tuple[Any, ...]:
        out = []
        for name, attname, relation, default in self._plan:
            value: Any = getattr(obj, name, _MISSING)
            if relation and value is not _MISSING:
                value = value.pk if value is not None else None
            elif value is _MISSING:
                value = getattr(obj, attname, default)
            out.append(value)
        return tuple(out)


class BatchWriter:
    """Writes batches in order, each in its own transaction, through ``write`` (which returns how
    many complaints it wrote).

    With ``threaded`` the writes run in one worker thread on a connection of its own, so the next
    batch is built while the database stores the last one (on PostgreSQL the server works on another
    core; building and storing each take about half of a batch's time). At most one batch waits or is
    being written at a time. Use it as a context manager: leaving waits for the last write and closes
    the worker's connection. Only for data the worker's connection can see: not inside the caller's
    transaction (nor, on SQLite, next to its writers: one write lock for the whole database).
    """

    def __init__(self, write: Callable[[Any], int], *, threaded: bool) -> None:
        self._write = write
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generator") if threaded else None
        self._pending: Future[int] | None = None

    def _in_transaction(self, batch: Any) -> int:
        with transaction.atomic():
            return self._write(batch)

    def put(self, batch: Any) -> int:
        """Queue ``batch``; returns how many complaints were written since the last call (waiting for
        the previous write first, whose error is raised here)."""
        if self._pool is None:
            return self._in_transaction(batch)
        done = self.wait()
        self._pending = self._pool.submit(self._in_transaction, batch)
        return done

    def wait(self) -> int:
        """Wait for the write in progress; how many complaints it wrote (0 when none was pending)."""
        pending, self._pending = self._pending, None
        return pending.result() if pending is not None else 0

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is None:
            return
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self._pool.submit(_close_connection).result()
            self._pool.shutdown(wait=True)


def _close_connection() -> None:
    """Close the calling thread's connection (``connection`` is per thread, read when called)."""
    connection.close()
