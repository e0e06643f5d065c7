"""One reading of the rollups: within :func:`one_reading` (a cockpit page, a KPI answer) what the
rollups hold is read once and remembered — the rollup state, a slice's day totals, its Pareto
marginals — so every figure of the page rests on the same data (a refresh committing half-way cannot
mix two) and the page makes a few reads instead of dozens. Outside it nothing is remembered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

_memo: ContextVar[dict[Any, Any] | None] = ContextVar("dashboards_reading", default=None)
T = TypeVar("T")


@contextmanager
def one_reading() -> Iterator[None]:
    """Remember the rollups' reads until the block ends. Usable as a decorator."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Any, read: Callable[[], T]) -> T:
    """``read()``, once per ``key`` within :func:`one_reading`; every time outside it."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]  # type: ignore[no-any-return]


def active() -> bool:
    return _memo.get() is not None
