"""Inserting many new model instances at once, as ``bulk_create`` does, faster on PostgreSQL.

On PostgreSQL, Django 5.2's ``bulk_create`` sends each column as an array parameter, and psycopg
quotes every element of a text array in Python: for the bulk import that was a third of the time.
:func:`objects_insert` takes the instances' ids from the table's sequence in one query and sends the
rows with ``COPY`` instead. Elsewhere (SQLite) it is ``bulk_create``. :func:`instances_make` builds
the unsaved instances for it at a third of the cost of keyword construction.
"""

from __future__ import annotations

import io
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import psycopg
from django.db import connection, models, router
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone
from psycopg.copy import FileWriter

ID_CHUNK = 10_000  # ids taken per query
COPY_ROWS = 256  # rows handed to the connection at a time
# The sequence is looked up once per query: written inside nextval(), pg_get_serial_sequence ran once
# per id and cost eight times what nextval does.
IDS_SQL = (
    "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
    "SELECT nextval(s.seq) FROM s, generate_series(1, %s)"
)

M = TypeVar("M", bound=models.Model)


# What instances_make needs of a model's fields, found once per model: (field, name, attname,
# is_relation, default). ``default`` is the value itself for a field without a default whose
# ``get_default`` gives None, "" or b"" (the same immutable value for every instance), else _CALL:
# ``get_default`` is called per instance, as Model.__init__ calls it (a fresh list, a new uuid ...).
_Plan = list[tuple[Any, str, str, bool, Any]]
_PLANS: dict[type[models.Model], _Plan] = {}
_CALL = object()


# orjson writes the JSON types as the standard encoder does (in other spacing and without escaping
# non-ASCII, which PostgreSQL's jsonb stores the same) at a tenth of its cost: in a profiled bulk
# import, encoding the events took a quarter of the writing thread's samples (about 40% of those in
# which it was not waiting for the database). Subclasses of str, int, dict and list (a model's
# TextChoices value, two per imported complaint) it writes as their base type, as the standard encoder
# does, which never asks the field's encoder about them. Whatever orjson would write in its own way
# (dates and times, dataclasses) it passes to _not_native, whose TypeError sends the value to the
# field's encoder instead, as do dicts with keys other than str and ints beyond 64 bits, which orjson
# refuses.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _not_native(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def json_text(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """A function giving the JSON text of a value, which PostgreSQL stores as the same ``jsonb`` as
    ``encoder.encode(value)``'s text (what ``JSONField`` sends). Beyond JSON's own types, it writes
    what ``encoder`` writes, and raises what it raises, except for UUIDs and enums that are not
    subclasses of str or int, which orjson writes as their text and value where a plain encoder
    would refuse them, and for NaN and the infinities, which it writes as null where PostgreSQL would
    refuse the standard encoder's text."""

    def text(value: Any) -> str:
        try:
            return orjson.dumps(value, default=_not_native, option=_ORJSON_OPTIONS).decode()
        except orjson.JSONEncodeError:
            return encoder.encode(value)

    return text


def _default(field: models.Field[Any, Any]) -> Any:
    if field.has_default() or field.has_db_default():
        return _CALL
    value = field.get_default()
    return value if value is None or type(value) in (str, bytes) else _CALL


def _plan(model: type[models.Model]) -> _Plan:
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = [
            (f, f.name, f.attname, f.is_relation, _default(f)) for f in model._meta.concrete_fields
        ]
    return plan


def instances_make(model: type[M], rows: Iterable[Mapping[str, Any]]) -> list[M]:
    """For each row, the unsaved instance ``model(**row)`` makes, for :func:`objects_insert`.

    A row maps field names to values; a relation may be given as its object (``complaint=c``: the id
    is taken and the object cached on the instance, as keyword construction does) or by its
    ``attname`` (``complaint_id``). Fields not given get their default. The instance's attributes are
    filled directly, which skips the per-keyword and per-descriptor work of ``Model.__init__`` (a bulk
    import makes tens of thousands of rows); a model with ``post_init`` receivers is built by its
    constructor instead, so they run. Raises TypeError for a name that is not a concrete field.
    """
    fields = _plan(model)
    direct = not signals.post_init.has_listeners(model)
    out: list[M] = []
    for row in rows:
        values: dict[str, Any] = {}
        related: list[tuple[Any, Any]] = []
        used = 0
        for f, name, attname, is_relation, default in fields:
            if is_relation and name in row:
                obj = row[name]
                values[attname] = None if obj is None else obj.pk
                related.append((f, obj))
                used += 1
            elif attname in row:
                values[attname] = row[attname]
                used += 1
            else:
                values[attname] = f.get_default() if default is _CALL else default
        if used != len(row):
            known = {n for f in fields for n in f[1:3]}
            wrong = sorted(row.keys() - known) or sorted(row.keys())
            raise TypeError(f"{model.__name__}: unknown field, or one given twice, in {wrong}")
        if direct:
            instance = model.__new__(model)
            instance._state = ModelState()
            instance.__dict__.update(values)
        else:
            instance = model(**values)
        for f, obj in related:
            f.set_cached_value(instance, obj)
            if obj is not None and instance._state.db is None:
                # As the relation's descriptor does: the instance goes where its related row lives.
                instance._state.db = router.db_for_write(model, instance=obj)
        out.append(instance)
    return out


@dataclass
class RowsPrepared(Generic[M]):
    """New instances of one model made ready by :func:`rows_prepare`, to be inserted by
    :func:`rows_insert`. On PostgreSQL their ids are taken and every column but the ``late`` ones is
    already written as ``COPY`` text (``lines``, one per instance, the id first); elsewhere nothing is
    done before the insert (``lines`` is None)."""

    objs: Sequence[M]
    late: tuple[str, ...]  # attnames read from the instances when they are inserted, after the others
    lines: list[bytes] | None


def _ids_take(model: type[models.Model], count: int) -> list[int]:
    pk = model._meta.pk
    assert pk is not None
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, count, ID_CHUNK):
            cursor.execute(
                IDS_SQL,
                [connection.ops.quote_name(model._meta.db_table), pk.column, min(ID_CHUNK, count - start)],
            )
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def _copy_lines(rows: Iterable[Sequence[Any]]) -> list[bytes]:
    """Each row as a line of ``COPY … FROM STDIN`` text (without its line end), written by psycopg's own
    formatter on this thread's connection, which sends nothing to the server (``FileWriter``). A value's
    line breaks are escaped in that format, so the text splits into rows at each b"\\n"."""
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor.connection.cursor()  # no result of its own: Copy needs none or a COPY's
        try:
            with psycopg.Copy(raw, binary=False, writer=FileWriter(buffer)) as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            raw.close()
    return buffer.getvalue().split(b"\n")[:-1]


def rows_prepare(objs: Sequence[M], *, late: Sequence[str] = ()) -> RowsPrepared[M]:
    """Make ``objs`` (new, unsaved instances of one model with an auto-increment ``id``, their relations
    saved or given ids by an earlier ``rows_prepare``) ready for :func:`rows_insert`, so that the
    work of formatting their rows is done now, on this thread, and the insert only adds the ``late``
    columns (attnames, read from the instances at insert time) and the ``auto_now`` ones.

    On PostgreSQL their ids are taken from the table's sequence and set on them (so other instances may
    refer to them before they are inserted; a rolled-back or abandoned insert leaves a gap in the ids,
    as any rolled-back insert does) and the other columns are read now: changing them afterwards
    changes nothing. Raises ValueError for a ``late`` name that is not a concrete column."""
    if not objs:
        return RowsPrepared(objs, (), [])
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    unknown = sorted(set(late) - set(names))
    if unknown:
        raise ValueError(f"{model.__name__}: not a column to insert late: {unknown}")
    stamped = [
        f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    late_names = tuple(dict.fromkeys([*late, *stamped]))
    if connection.vendor != "postgresql":
        return RowsPrepared(objs, late_names, None)
    early = [f for f in fields if f.attname not in late_names]
    for obj, pk_value in zip(objs, _ids_take(model, len(objs)), strict=True):
        obj.pk = pk_value
    return RowsPrepared(objs, late_names, _copy_lines(_values(objs, early, with_pk=True)))


def _values(objs: Sequence[models.Model], fields: list[Any], *, with_pk: bool) -> Iterator[list[Any]]:
    """Each instance's values of ``fields`` (its id first, with ``with_pk``), JSON fields as their text."""
    if not fields:
        yield from ([obj.pk] if with_pk else [] for obj in objs)
        return
    json_at = [i for i, f in enumerate(fields, start=int(with_pk)) if isinstance(f, models.JSONField)]
    # One encoder per column for the whole call: json.dumps(cls=...) would build one per value. The
    # stored value is what JSONField sends (json.dumps with the field's encoder, default options).
    encoders = {
        i: json_text((fields[i - int(with_pk)].encoder or json.JSONEncoder)())  # type: ignore[attr-defined]
        for i in json_at
    }
    # The row's values in column order, read from the instance's __dict__ in one C-level call
    # (itemgetter of one name gives the value itself, not a tuple).
    getter = operator.itemgetter(*[f.attname for f in fields])
    values_of = getter if len(fields) > 1 else lambda values: (getter(values),)
    for obj in objs:
        row = [obj.pk, *values_of(obj.__dict__)] if with_pk else list(values_of(obj.__dict__))
        for i in json_at:
            if row[i] is not None:
                row[i] = encoders[i](row[i])
        yield row


def rows_insert(prepared: RowsPrepared[Any], *, batch_size: int = 1000) -> None:
    """Insert the instances :func:`rows_prepare` made ready and set their saved state, like
    ``bulk_create``: ``auto_now`` and ``auto_now_add`` fields get the current time, the ``late`` columns
    the instances' attributes now. Sends no signals and calls no ``save()``. Runs in the caller's
    transaction, on this thread's connection (which may be another than the one that prepared them).
    Off PostgreSQL it is ``bulk_create`` in batches of ``batch_size``."""
    objs = prepared.objs
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    if prepared.lines is None:
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    now = timezone.now()
    by_name = {f.attname: f for f in meta.concrete_fields}
    for name in prepared.late:
        if getattr(by_name[name], "auto_now", False) or getattr(by_name[name], "auto_now_add", False):
            for obj in objs:
                setattr(obj, name, now)
    late = [by_name[name] for name in prepared.late]
    early = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in prepared.late]
    qn = connection.ops.quote_name
    assert meta.pk is not None
    columns = ", ".join(qn(str(f.column)) for f in [meta.pk, *early, *late])
    lines = prepared.lines
    if late:
        tails = _copy_lines(_values(objs, late, with_pk=False))
        lines = [line + b"\t" + tail for line, tail in zip(lines, tails, strict=True)]
    # The raw psycopg cursor's errors are not Django's: wrapped, a refused value is a DatabaseError.
    sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        # Handed over a few hundred rows at a time: one call per row would cost more than the rows'
        # formatting saved, and one piece for the whole batch would hold a second copy of it.
        for start in range(0, len(lines), COPY_ROWS):
            copy.write(b"\n".join(lines[start : start + COPY_ROWS]) + b"\n")
    alias = connection.alias  # read once: each read of ``connection`` goes through a thread-local
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def objects_insert(objs: Sequence[models.Model], *, batch_size: int = 1000) -> None:
    """Insert ``objs`` (new, unsaved instances of one model with an auto-increment ``id``) and set their
    ids and saved state, like ``bulk_create``: ``auto_now`` and ``auto_now_add`` fields get the current
    time, every other column the instance's attribute. Sends no signals and calls no ``save()``.

    Relations are read by id (``customer_id``): each related object must have been saved (or prepared,
    see :func:`rows_prepare`) before the instance was made. Runs in the caller's transaction.
    """
    rows_insert(rows_prepare(objs), batch_size=batch_size)
