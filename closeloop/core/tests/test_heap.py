"""The long-lived heap is left out of the garbage collector's passes: for good in a web process, for the
length of a job elsewhere."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from closeloop.core import heap
from config import env as E


def test_a_web_process_loads_its_urlconf_and_tokenizer_and_freezes_what_it_loaded():
    # In a process of its own: what it freezes stays frozen for the process's life.
    script = (
        "import gc\n"
        "import config.wsgi\n"
        "from django.urls import get_resolver\n"
        "from closeloop.complaints import search\n"
        "print(gc.get_freeze_count(), 'url_patterns' in vars(get_resolver()),"
        " search._jieba.cache_info().currsize)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=E.BASE_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, urlconf_loaded, tokenizer_loaded = int(out[0]), out[1], out[2]
    assert urlconf_loaded == "True" and tokenizer_loaded == "1"
    # Django, the app and its URLconf: far more than a bare interpreter's few thousand objects.
    assert frozen > 50_000


def test_a_job_freezes_the_heap_while_it_runs_and_hands_it_back_after():
    assert gc.get_freeze_count() == 0
    with heap.frozen():
        during = gc.get_freeze_count()
        # Nested: already frozen, so it neither freezes more nor hands back. (Frozen objects can still
        # be freed by reference counting, so the count may only fall.)
        with heap.frozen():
            assert 0 < gc.get_freeze_count() <= during
        assert 0 < gc.get_freeze_count() <= during
    assert gc.get_freeze_count() == 0


def test_a_job_that_fails_still_hands_the_heap_back():
    try:
        with heap.frozen():
            raise RuntimeError("the job failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not heap._libc(), reason="the C library has no malloc_trim (not glibc)")
def test_the_heap_s_free_memory_goes_back_to_the_system():
    # 40 MB in pieces too large for Python's own allocator (glibc's heap), all freed but the last, which
    # keeps the heap's top in use: free() alone then returns none of it.
    pieces = [bytes(1000) + bytes([i % 256]) for i in range(40_000)]
    last = pieces[-1]
    del pieces
    before = _rss_kb()
    assert heap.free_memory_release() is True
    assert before - _rss_kb() > 20_000
    assert last[-1] == 39_999 % 256


def test_a_worker_releases_the_heap_after_each_task(monkeypatch):
    from celery.signals import task_postrun

    import config.celery  # noqa: F401 - connects the worker's receivers

    calls = []
    monkeypatch.setattr(heap, "free_memory_release", lambda: calls.append(1) or True)
    task_postrun.send(sender=None, task_id="t", task=None, args=(), kwargs={}, retval=None, state="SUCCESS")
    assert calls == [1]
