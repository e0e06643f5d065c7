"""The garbage collector and the long-lived heap.

A web process holds ~140,000 container objects once Django and the app are loaded (modules, classes,
the URLconf, settings, translations), and none of them ever becomes garbage. CPython's full collections
walk all of them: measured in-process on API create, one full pass cost ~170 ms, every ~500 requests,
and ~0.35 ms a request on average (a tenth of its CPU), landing on whichever request happened to trigger
it. ``gc.freeze`` moves the objects alive now into a permanent generation that the collector skips; the
objects a request creates are still collected as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from typing import Any


def freeze_loaded() -> None:
    """Collect what is garbage now, then leave every object still alive out of the collector's passes
    for the rest of the process's life. Call once the application is loaded (``config/wsgi.py``), never
    per request: objects frozen are never freed, even once unreferenced."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Leave the objects that exist now out of the collector's passes while the block runs, and hand them
    back after: for a long job in a process that is not frozen already (an import allocates so much that
    full passes over the whole heap came every ~1,700 rows and cost ~60 µs of CPU a row). Nothing is done
    when the heap holds frozen objects already (a frozen web process): unfreezing would hand those back
    too."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_LIBC: Any = None


def _libc() -> Any:
    """The C library's handle if it has glibc's ``malloc_trim``, else False (looked up once)."""
    global _LIBC
    if _LIBC is None:
        _LIBC = False
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            libc.malloc_trim.restype = ctypes.c_int
            _LIBC = libc
    return _LIBC


def free_memory_release() -> bool:
    """Hand the C allocator's free memory back to the system (glibc's ``malloc_trim(0)``); True if it
    released any. Elsewhere (musl, macOS) it does nothing and returns False.

    For a worker between jobs: memory a finished job freed stays in the process's heap, so the next job
    starts from the last one's high-water mark and adds its own growth on top."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))
