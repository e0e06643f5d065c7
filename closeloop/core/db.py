"""Database helpers shared by selectors and services."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, router, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=models.Model)


def gin_pending_merge(index: str) -> int | None:
    """Merge the entries waiting in the GIN index ``index``'s pending list into the index itself, on this
    thread's connection (PostgreSQL's ``gin_clean_pending_list``); return the number of pending-list pages
    it emptied, or None where it cannot: not PostgreSQL, or the database refused (a database user who
    does not own the index may not).

    A GIN index with ``fastupdate`` (the default) appends each new row's entries to a pending list, and
    the insert that finds the list past ``gin_pending_list_limit`` merges all of it, in its own
    statement. A connection that has nothing else to do meanwhile can take that work on instead (the
    import: the validating thread, while it waits for the writing one). It runs in a savepoint (its own
    transaction outside one), so a refusal leaves an enclosing transaction usable.
    """
    if connection.vendor != "postgresql":
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            return int(cursor.fetchone()[0])
    except DatabaseError:
        return None


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


_KEPT_PLAN_CLASSES: tuple[Any, Any] | None = None


def _kept_plan_classes() -> tuple[Any, Any]:
    """Django's server-side-binding psycopg cursor with every statement prepared, and Django's query-
    logging wrapper logging each such statement with its values written in, as Django logs its own
    (its way of reading them back gives nothing for a prepared statement)."""
    global _KEPT_PLAN_CLASSES
    if _KEPT_PLAN_CLASSES is None:
        from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor

        class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
            def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
                return super().execute(query, params, **{**kwargs, "prepare": True})  # type: ignore[misc]

        class LoggingWrapper(CursorDebugWrapper):
            def execute(self, sql: Any, params: Any = None) -> Any:
                with self.debug_sql(self.db.ops.compose_sql(sql, params)):
                    return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)

        _KEPT_PLAN_CLASSES = (PreparingCursor, LoggingWrapper)
    return _KEPT_PLAN_CLASSES


@contextmanager
def plan_kept_cursor(alias: str = DEFAULT_DB_ALIAS) -> Iterator[CursorWrapper]:
    """A cursor for fixed statements that every request runs: on PostgreSQL each is prepared on the
    connection the first time it runs, so that the server parses it once and, after its first few runs,
    keeps its plan. Elsewhere the plain cursor.

    The complaint page's statements took 0.6–2.7 ms to plan and under 0.5 ms to run: Django sends
    every statement with its values written in (client-side binding), which the server plans anew each
    time. Only for statements whose best plan does not depend on their values (lookups by a unique key
    or an id); a search's plan does (a generic plan for a 2-character word took seconds). A statement
    and its plan live as long as the connection (CONN_MAX_AGE); a connection pooler in transaction
    mode must support protocol-level prepared statements (PgBouncer 1.21+ ``max_prepared_statements``).
    It is the same Django cursor otherwise: queries are logged and errors wrapped as Django's."""
    conn = connections[alias]
    if conn.vendor != "postgresql":
        with conn.cursor() as cursor:
            yield cursor
        return
    conn.ensure_connection()
    pg = conn.connection
    # Django makes its cursors from the connection's factory (with its time-zone loader, query log and
    # error wrapping); the connection belongs to this thread, so swapping the factory for the call is
    # seen by nothing else.
    preparing, logging = _kept_plan_classes()
    factory = pg.cursor_factory
    pg.cursor_factory = preparing
    try:
        cursor = conn.cursor()
    finally:
        pg.cursor_factory = factory
    if conn.queries_logged:
        cursor = logging(cursor.cursor, conn)
    with cursor:
        yield cursor


def related_known(instance: models.Model, name: str, rows: Iterable[models.Model]) -> None:
    """Make ``instance.<name>.all()`` (a reverse foreign key) answer ``rows`` without a query, as
    ``prefetch_related(name)`` would have. For a service that has just written those rows and so knows
    them: the caller guarantees ``rows`` are all of them, in the relation's ordering."""
    manager = getattr(instance, name)
    queryset = manager.get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        cache = instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    cache[manager.field.remote_field.cache_name] = queryset


class PreparedQuery(Generic[M]):
    """A model query compiled to SQL once per database and run again with other values.

    Compiling even a one-table lookup costs the ORM about 1 ms of CPU, several times what running it
    costs; the lookups every API request makes (its token, the complaint's customer) are compiled once
    per process instead, and on PostgreSQL prepared on the connection (plan_kept_cursor), so that their
    plans are kept too. Rows become instances as the ORM's own iterator makes them: the database's
    converters applied, ``select_related`` objects attached.

    ``build(*values)`` gives the queryset for ``values``. Each value must reach the SQL as one
    parameter, unchanged and in order, whatever the value — plain equality filters on text or integer
    columns — and its annotations must take no parameters; ``samples`` (distinct values of the right
    types) check this when it is compiled (ValueError otherwise). Annotations are set on the instance,
    as the ORM sets them, their output field's converters applied."""

    def __init__(self, build: Callable[..., QuerySet[M]], *, samples: tuple[Any, ...]) -> None:
        self._build = build
        self._samples = samples
        self._model: type[M] | None = None
        # By database alias: the SQL, and the compiler that made it, whose select list and converters
        # turn rows into instances (it only reads its connection's ``ops``, the same in every thread).
        self._compiled: dict[str, tuple[str, Any]] = {}

    def _compile(self, alias: str) -> tuple[str, Any]:
        compiled = self._compiled.get(alias)
        if compiled is None:
            queryset = self._build(*self._samples)
            # As QuerySet.first(): by the queryset's order, else by primary key; one row.
            queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            if tuple(params) != self._samples:
                raise ValueError(f"Not a prepared query: {sql} with {params!r}")
            compiled = self._compiled[alias] = (sql, compiler)
        return compiled

    def first(self, *values: Any) -> M | None:
        """What ``build(*values).first()`` gives, with one statement and no compiling."""
        if self._model is None:
            self._model = self._build(*self._samples).model
        alias = router.db_for_read(self._model)
        sql, compiler = self._compile(alias)
        with plan_kept_cursor(alias) as cursor:
            cursor.execute(sql, list(values))
            row = cursor.fetchone()
        if row is None:
            return None
        # As django.db.models.query.ModelIterable, for one row.
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        (row,) = compiler.results_iter([[row]])
        obj: M = klass_info["model"].from_db(
            alias, [f[0].target.attname for f in select[start:end]], row[start:end]
        )
        # Django 5.2's signature (the stubs describe a later one with a fetch mode).
        for populator in get_related_populators(klass_info, select, alias):  # type: ignore[call-arg]
            populator.populate(row, obj)
        for name, position in compiler.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj
