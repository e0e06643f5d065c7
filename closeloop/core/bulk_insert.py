"""Inserting many new model instances at once, as ``bulk_create`` does, faster on PostgreSQL.

On PostgreSQL, Django 5.2's ``bulk_create`` sends each column as an array parameter, and psycopg
quotes every element of a text array in Python: for the bulk import that was a third of the time.
:func:`objects_insert` takes the instances' ids from the table's sequence in one query and sends the
rows with ``COPY`` instead. Elsewhere (SQLite) it is ``bulk_create``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

ID_CHUNK = 10_000  # ids taken per query


def objects_insert(objs: Sequence[models.Model], *, batch_size: int = 1000) -> None:
    """Insert ``objs`` (new, unsaved instances of one model with an auto-increment ``id``) and set their
    ids and saved state, like ``bulk_create``: ``auto_now`` and ``auto_now_add`` fields get the current
    time, every other column the instance's attribute. Sends no signals and calls no ``save()``.

    Relations are read by id (``customer_id``): each related object must have been saved before the
    instance was made. Runs in the caller's transaction.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    table = meta.db_table
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(objs), ID_CHUNK):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), pk.column, min(ID_CHUNK, len(objs) - start)],
            )
            ids += [row[0] for row in cursor.fetchall()]
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    stamped = [
        f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    json_at = [i for i, f in enumerate(fields, start=1) if isinstance(f, models.JSONField)]
    encoders = {i: fields[i - 1].encoder for i in json_at}  # type: ignore[attr-defined]
    attnames = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in [pk, *fields])
    # The raw psycopg cursor's errors are not Django's: wrapped, a refused value is a DatabaseError.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        sql = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj, pk_value in zip(objs, ids, strict=True):
                obj.pk = pk_value
                for name in stamped:
                    setattr(obj, name, now)
                values = obj.__dict__
                row = [pk_value, *(values[name] for name in attnames)]
                for i in json_at:
                    if row[i] is not None:
                        row[i] = json.dumps(row[i], cls=encoders[i])
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
