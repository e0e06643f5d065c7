"""Running calls at the same moment from several threads, each on its own database connection — for
the PostgreSQL tests that show row locks (FOR UPDATE, SKIP LOCKED) letting exactly one caller win."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def race(*calls: Callable[[], Any], timeout: float = 60) -> tuple[list[Any], list[BaseException]]:
    """Start one thread per call, release them together with a barrier, and wait for all (at most
    ``timeout`` seconds each). Returns the results and the exceptions raised, in the order they came.
    Each thread closes its own connection when done."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            out = call()
            with lock:
                results.append(out)
        except BaseException as exc:  # noqa: BLE001 — inspected by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results, errors
