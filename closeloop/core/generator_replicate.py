# ruff: noqa: S608 — every name in this module's SQL comes from the models, quoted; no request data
"""Scale data by copying: every generated complaint written again ``copies`` times, on PostgreSQL.

The generator lives each complaint through the workflow in Python (about 1,500–2,200 complaints a
second on two cores): ten million would take two hours and more. Copying the rows it wrote is a
matter of the database's own speed, and each copy is as valid as its source, because it *is* the
source's life, moved:

- a copy is shifted back in time as a whole by its own offset (under a day, drawn for each copy of
  each complaint from a seeded generator): received, triaged, resolved and closed times, events,
  deadlines (due, met, breached), clock pauses, verdicts and ``created_at``/``updated_at`` alike, so
  every duration, every deadline met or missed and every pause is the source's; and back in time
  only, so nothing lands in the future;
- it gets a new number of its new receipt's year, taken from the same ``NumberSequence`` rows (the
  counters end past every copy, so live creates continue after them), the copies numbered in order of
  receipt, and its search text names the new number instead of the old;
- what names another row names the copy of it: ``duplicate_of`` (when the original was copied too),
  the events' ``verdict`` ids and ``original``/``duplicate`` numbers; the times written into events as
  text (the receipt in the created event's changes, ``paused_since``) are moved too;
- its rows' ids are the source rows' plus a stride per table and copy, so the copies keep their
  sources' order.

Only the complaints whose every row is in the five tables the generator writes are copied (not the
demo's complaints with 8Ds, actions, attachments, notifications or reports). Working-calendar detail is
the one thing not carried exactly: a deadline keeps its distance from receipt, which the calendar might
have placed differently from the new receipt time. The cockpit's figures read the stored flags and
times, so they count each copy as they count its source, a day or less earlier.

The whole copy is one transaction: the tables' plain indexes are dropped first and built again at the
end (building an index over ten million rows is many times faster than maintaining it row by row), and
as superuser the foreign-key triggers are not fired (every reference is either copied from a valid row
or remapped to a row of the same copy). A failure leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict, NumberSequence
from closeloop.complaints.numbering import number_format
from closeloop.core.generator import _ascii_tokens
from closeloop.sla.models import ClockPause, Deadline

# The tables a generated complaint's rows are in: ``core.generator`` writes nothing else.
COPIED: tuple[type[models.Model], ...] = (Complaint, ComplaintEvent, CustomerVerdict, Deadline, ClockPause)
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Copied:
    """What one run wrote: rows per table (by table name) and seconds per step."""

    complaints: int
    rows: dict[str, int]
    seconds: dict[str, float]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[models.Model]) -> str:
    return _q(model._meta.db_table)


def _number_tokens(number: str) -> str:
    """The search text's opening, as ``complaints.search.search_document`` writes it for a complaint
    whose number comes first: the number's ASCII tokens, each once, between spaces."""
    return " " + " ".join(dict.fromkeys(_ascii_tokens(number))) + " "


def _source_filter() -> str:
    """SQL condition on ``c`` (a complaint) true when every row naming it is in ``COPIED`` and it has no
    8D: the complaints the generator made. Built from the model graph, so a table added later that
    names complaints keeps its complaints out of the copy instead of leaving their copies without it."""
    conds = ["c.investigation_id IS NULL"]
    for rel in Complaint._meta.related_objects:
        model = rel.related_model
        if model in COPIED or not isinstance(rel.field, models.ForeignKey):
            continue
        conds.append(f"NOT EXISTS (SELECT 1 FROM {_table(model)} r WHERE r.{_q(rel.field.column)} = c.id)")
    return " AND ".join(conds)


def sources_count() -> int:
    """How many complaints a copy writes: those the generator made alone (see the module)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {_table(Complaint)} c WHERE {_source_filter()}")
        return int(cur.fetchone()[0])


def _plain_indexes(cursor: CursorWrapper) -> list[tuple[str, str]]:
    """(name, definition) of the copied tables' indexes that back no constraint (primary keys and
    unique constraints stay: the copy must not break them)."""
    names = [m._meta.db_table for m in COPIED]
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)"
        " ORDER BY i.indexname",
        [names],
    )
    return list(cursor.fetchall())


def _map_load(cursor: CursorWrapper, copies: int, seed: int, stride: int) -> int:
    """Fill the temporary ``replicate_map``: one row per (source complaint, copy) with the copy's id,
    number, search-text opening and time offset. Numbers are taken per year from ``NumberSequence`` in
    order of the copies' receipt. Returns the number of source complaints."""
    cursor.execute(
        f"SELECT c.id, c.number, c.received_at FROM {_table(Complaint)} c"
        f" WHERE {_source_filter()} ORDER BY c.id"
    )
    source = cursor.fetchall()
    cursor.execute(
        "CREATE TEMPORARY TABLE replicate_map (old_id bigint, copy int, new_id bigint, old_number text,"
        " new_number text, old_prefix text, new_prefix text, shift interval) ON COMMIT DROP"
    )
    planned = []
    rng = random.Random(seed)  # noqa: S311 — reproducible benchmark data, not security
    for j in range(1, copies + 1):
        for cid, number, received in source:
            offset = rng.randrange(DAY_SECONDS * 1_000_000)
            new_received = received - dt.timedelta(microseconds=offset)
            planned.append((timezone.localtime(new_received).year, new_received, cid, j, number, offset))
    planned.sort(key=lambda p: (p[0], p[1], p[3], p[2]))
    years = sorted({p[0] for p in planned})
    take = {}
    for year in years:  # ascending, as sequence_take locks them
        NumberSequence.objects.get_or_create(scope="complaint", year=year)
        seq = NumberSequence.objects.select_for_update().get(scope="complaint", year=year)
        count = sum(1 for p in planned if p[0] == year)
        take[year] = seq.last_value + 1
        NumberSequence.objects.filter(pk=seq.pk).update(last_value=seq.last_value + count)
    with cursor.copy("COPY replicate_map FROM STDIN") as copy:
        lines = []
        for year, _received, cid, j, number, offset in planned:
            new_number = number_format(year, take[year])
            take[year] += 1
            lines.append(
                f"{cid}\t{j}\t{cid + j * stride}\t{number}\t{new_number}\t{_number_tokens(number)}\t"
                f"{_number_tokens(new_number)}\t{offset} microseconds\n"
            )
            if len(lines) == 10_000:  # sent as it goes: nine million lines are a gigabyte of text
                copy.write("".join(lines))
                lines.clear()
        copy.write("".join(lines))
    cursor.execute("CREATE INDEX ON replicate_map (old_id)")
    cursor.execute("CREATE INDEX ON replicate_map (copy, old_number)")
    cursor.execute("ANALYZE replicate_map")
    return len(source)


# An event's changes name the receipt time as ``str()`` of an aware UTC datetime (``events.display_value``):
# the copy's moved, in the same text (no fraction when it is whole seconds).
_UTC_TEXT = (
    "to_char({ts}, 'YYYY-MM-DD HH24:MI:SS')"
    " || CASE WHEN extract(microseconds FROM {ts})::bigint % 1000000 = 0 THEN ''"
    " ELSE to_char({ts}, '.US') END || '+00:00'"
)
_RECEIVED_CHANGE = (
    "CASE WHEN jsonb_typeof(t.changes) = 'array' AND t.changes @> '[{\"field\": \"received_at\"}]'"
    " THEN (SELECT jsonb_agg(CASE WHEN x ->> 'field' = 'received_at' AND jsonb_typeof(x -> 'new') = 'string'"
    " THEN jsonb_set(x, '{new}', to_jsonb("
    + _UTC_TEXT.format(ts="((x ->> 'new')::timestamptz - m.shift)")
    + ")) ELSE x END ORDER BY o) FROM jsonb_array_elements(t.changes) WITH ORDINALITY a(x, o))"
    " ELSE t.changes END"
)


def _select_list(model: type[models.Model], special: dict[str, str]) -> tuple[str, str]:
    """The column list and the SELECT expressions copying ``model``'s rows from ``t`` joined with the
    map ``m``: the columns in ``special`` take their expression, datetimes are shifted, the complaint
    reference is the copy's."""
    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        col = str(f.column)
        if col in special:
            expr = special[col]
        elif isinstance(f, models.ForeignKey) and f.related_model is Complaint:
            expr = "m.new_id"
        elif isinstance(f, models.DateTimeField):
            expr = f"t.{_q(col)} - m.shift"
        else:
            expr = f"t.{_q(col)}"
        cols.append(_q(col))
        exprs.append(expr)
    return ", ".join(cols), ", ".join(exprs)


def _copy(cursor: CursorWrapper, model: type[models.Model], special: dict[str, str], joins: str = "") -> int:
    fk = (
        "id"
        if model is Complaint
        else next(
            f.column
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.related_model is Complaint
        )
    )
    cols, exprs = _select_list(model, special)
    cursor.execute(
        f"INSERT INTO {_table(model)} ({cols}) SELECT {exprs} FROM {_table(model)} t"
        f" JOIN replicate_map m ON m.old_id = t.{_q(fk)} {joins}"
    )
    return int(cursor.rowcount)


def _setval(cursor: CursorWrapper, model: type[models.Model]) -> None:
    table = model._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {_q(table)}))", [table]
    )


def complaints_replicate(
    copies: int, *, seed: int = 11, progress: Callable[[str, float], None] | None = None
) -> Copied:
    """Write every generated complaint (see the module) ``copies`` more times with its events, deadlines,
    clock pauses and verdicts, in one transaction. PostgreSQL only (it is for the benchmark's ten
    million complaints). Returns the number of complaints written and the rows and seconds per step;
    ``progress(step, seconds)`` is called after each step."""
    if connection.vendor != "postgresql":
        raise ValueError("replicating complaints needs PostgreSQL")
    if copies < 1:
        raise ValueError("copies must be at least 1")
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        seconds[name] = time.monotonic() - started
        if progress:
            progress(name, seconds[name])

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting('session_replication_role'), current_setting('TimeZone'),"
            " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
        )
        role, tz, superuser = cur.fetchone()
        # UTC: the events' paused_since text is written back as Python's isoformat wrote it, in UTC.
        cur.execute("SELECT set_config('TimeZone', 'UTC', true), set_config('work_mem', '256MB', true)")
        # Checked at each statement's end, not at commit: an index cannot be built on a table with
        # checks pending (the caller's earlier writes, or ours without the superuser's replica role).
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if superuser:
            cur.execute("SELECT set_config('session_replication_role', 'replica', true)")
        started = time.monotonic()
        # Every copied row's id is its source's plus a stride per copy, so the copies keep their
        # sources' order (a timeline's events at one instant are shown in id order).
        strides = {}
        for model in COPIED:
            cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {_table(model)}")
            strides[model] = int(cur.fetchone()[0])
        stride = strides[Complaint]
        n = _map_load(cur, copies, seed, stride)
        step("map", started)
        started = time.monotonic()
        indexes = _plain_indexes(cur)
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {_q(name)}")
        step("drop indexes", started)
        verdict_shift = f"(m.copy::bigint * {strides[CustomerVerdict]})"
        plan: list[tuple[type[models.Model], dict[str, str], str]] = [
            (
                Complaint,
                {
                    "id": "m.new_id",
                    "number": "m.new_number",
                    "search_text": "CASE WHEN starts_with(t.search_text, m.old_prefix)"
                    " THEN m.new_prefix || substr(t.search_text, length(m.old_prefix) + 1)"
                    " ELSE m.new_prefix || ltrim(t.search_text) END",
                    "duplicate_of_id": "coalesce(d.new_id, t.duplicate_of_id)",
                },
                "LEFT JOIN replicate_map d ON d.old_id = t.duplicate_of_id AND d.copy = m.copy",
            ),
            (CustomerVerdict, {}, ""),
            (
                ComplaintEvent,
                {
                    "changes": _RECEIVED_CHANGE,
                    "data": "CASE WHEN jsonb_typeof(t.data) <> 'object' THEN t.data ELSE t.data"
                    f" || CASE WHEN jsonb_typeof(t.data -> 'verdict') = 'number' THEN jsonb_build_object("
                    f"'verdict', (t.data ->> 'verdict')::bigint + {verdict_shift}) ELSE '{{}}' END"
                    " || CASE WHEN o.new_number IS NOT NULL"
                    " THEN jsonb_build_object('original', o.new_number) ELSE '{}' END"
                    " || CASE WHEN u.new_number IS NOT NULL"
                    " THEN jsonb_build_object('duplicate', u.new_number) ELSE '{}' END"
                    " || CASE WHEN jsonb_typeof(t.data -> 'paused_since') = 'string' THEN jsonb_build_object("
                    "'paused_since', to_jsonb((t.data ->> 'paused_since')::timestamptz - m.shift))"
                    " ELSE '{}' END"
                    " END",
                },
                "LEFT JOIN replicate_map o ON o.copy = m.copy AND o.old_number = t.data ->> 'original'"
                " LEFT JOIN replicate_map u ON u.copy = m.copy AND u.old_number = t.data ->> 'duplicate'",
            ),
            (Deadline, {}, ""),
            (ClockPause, {}, ""),
        ]
        for model, special, joins in plan:
            if model is not Complaint:
                special["id"] = f"t.id + m.copy::bigint * {strides[model]}"
            started = time.monotonic()
            rows[model._meta.db_table] = _copy(cur, model, special, joins)
            step(model._meta.db_table, started)
        started = time.monotonic()
        cur.execute("SELECT set_config('maintenance_work_mem', '1GB', true)")
        for _name, definition in indexes:
            cur.execute(definition)
        step("build indexes", started)
        for model in COPIED:
            _setval(cur, model)
        cur.execute(
            "SELECT set_config('session_replication_role', %s, true), set_config('TimeZone', %s, true)",
            [role, tz],
        )
        cur.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's constraints are initially deferred
    started = time.monotonic()
    with connection.cursor() as cur:
        for model in COPIED:
            cur.execute(f"ANALYZE {_table(model)}")
    step("analyze", started)
    return Copied(complaints=n * copies, rows=rows, seconds=seconds)
