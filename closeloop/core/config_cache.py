"""Per-process caches of small configuration tables, checked against the database at every use.

Configuration a hot path reads on every request (assignment rules, priority weights, notification
rules) is read once per process and kept, with the *token* of its scope. Every change to a scope's
tables stores a new random token for the scope in :class:`~closeloop.core.models.ConfigVersion`, in the
transaction of the change (:func:`config_changed`: called by the owning app's signal receivers and by
:class:`VersionedQuerySet` for bulk writes). A reader compares the token it cached with the stored one
(one statement of fixed SQL reads every scope's token) and reloads on any difference. So every process
— each gunicorn worker, each Celery worker — sees a change from the moment it is committed, and never
an older one:

* tokens are random, not counters: a value loaded inside a transaction that changed the configuration
  and was then rolled back carries a token that no committed row will ever hold again;
* the token is read *before* the rows: a change committed between the two reads gives new rows under
  the old token, which the next check reloads (the reverse order could keep old rows under a new token);
* a scope without a stored token (a table emptied by a test flush) is never cached.

Writes that bypass the ORM (raw SQL, ``manage.py dbshell``) must call :func:`config_changed` themselves.

Within :func:`config_pinned` the tokens are read once for the whole block: a service that reads several
caches (``complaint_create``: rules, weights, notification rules) pays one statement for all of them,
and sees the configuration as of the start of the block, as a transaction that read it all at once
would.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import connection, models

T = TypeVar("T")

_pinned: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "closeloop_config_tokens", default=None
)
# How many changes this process has made to each scope: a load during which the count moved (the
# loader itself created a row, say) may hold rows of a transaction still open, so it is not kept
# under the token read before it.
_changes: dict[str, int] = {}


def _table() -> str:
    from closeloop.core.models import ConfigVersion

    return connection.ops.quote_name(ConfigVersion._meta.db_table)


def config_tokens() -> dict[str, str]:
    """Every scope's stored token (one statement; the pinned ones inside :func:`config_pinned`)."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT scope, token FROM {_table()}")  # noqa: S608 — the table's name only
        return dict(cursor.fetchall())


def config_changed(scope: str) -> None:
    """Record that ``scope``'s configuration changed: every process reloads it once this commits.

    Call it in the transaction of the change (one upsert; the row stays locked until commit, so two
    concurrent changes serialise on it). A pinned block of this thread stops pinning the old token."""
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, token) VALUES (%s, %s) "  # noqa: S608 — the table's name only
            "ON CONFLICT (scope) DO UPDATE SET token = excluded.token",
            [scope, uuid.uuid4().hex],
        )
    _changes[scope] = _changes.get(scope, 0) + 1
    pinned = _pinned.get()
    if pinned is not None:
        pinned.pop(scope, None)


@contextmanager
def config_pinned() -> Iterator[None]:
    """Read the tokens once for the block (nested blocks share the outermost one's)."""
    if _pinned.get() is not None:
        yield
        return
    reset = _pinned.set(dict(config_tokens()))
    try:
        yield
    finally:
        _pinned.reset(reset)


class ConfigCache(Generic[T]):
    """One scope's value, loaded by ``load`` and kept while the scope's token is unchanged.

    ``load`` must read only the scope's tables (whatever else it returns may be stale) and return a
    value nobody mutates: it is shared by every later caller in the process."""

    def __init__(self, scope: str, load: Callable[[], T]) -> None:
        self.scope = scope
        self._load = load
        self._token: str | None = None
        self._value: T | None = None

    def get(self) -> T:
        token = config_tokens().get(self.scope)
        if token is not None and token == self._token:
            return self._value  # type: ignore[return-value]
        changes = _changes.get(self.scope, 0)
        value = self._load()
        if changes == _changes.get(self.scope, 0):
            self._token, self._value = token, value
        else:
            self.clear()
        return value

    def clear(self) -> None:
        """Forget the value (tests use it to act as a process that has not loaded it yet)."""
        self._token, self._value = None, None


class VersionedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """A configuration model's queryset: bulk writes, which send no model signals, change the token of
    the model's ``config_scope`` too. (Saves and deletes, cascades included, go through the signal
    receivers the owning app connects.)"""

    def _changed(self) -> None:
        config_changed(self.model.config_scope)  # type: ignore[attr-defined]

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        self._changed()
        return rows

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(*args, **kwargs)
        self._changed()
        return created

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        rows = super().bulk_update(*args, **kwargs)
        self._changed()
        return rows


def config_changed_receiver(scope: str) -> Callable[..., None]:
    """A ``post_save`` / ``post_delete`` receiver calling :func:`config_changed` for ``scope``."""

    def receiver(sender: Any, **kwargs: Any) -> None:
        config_changed(scope)

    return receiver
