"""``make bench``: measured timings of the paths users wait on, beside the raw database limit.

Timings are measured here and printed (and written to var/bench/results.json); tests never assert
them. Requests go through Django's full stack in-process (middleware, views, templates, API), so the
numbers are server-side time without network. The export step (``reports.bench``) writes the
complaint ledger at 10,000 and 100,000 rows and records wall time and memory peaks under ``exports``.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client

from closeloop.accounts.models import User
from closeloop.accounts.services import api_token_create
from closeloop.complaints.models import Complaint
from closeloop.core.generator import complaints_generate
from closeloop.reports.bench import bench_exports


def _timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, math.ceil(len(samples) * 0.95) - 1)], 2),
        "runs": runs,
    }


def _ok(resp: Any) -> Any:
    if resp.status_code >= 400:
        raise RuntimeError(f"bench request failed: {resp.status_code} {resp.content[:200]!r}")
    return resp


def bench_run(*, size: int, runs: int = 30, out: Callable[[str], None] = print) -> dict[str, Any]:
    """Top the database up to ``size`` complaints, then time each path ``runs`` times."""
    settings.DEBUG = False  # no query logging while measuring
    have = Complaint.objects.count()
    if have < size:
        out(f"generating {size - have:,} complaints …")
        t = time.perf_counter()
        made = complaints_generate(size - have, seed=have + 1)
        out(f"  {made:,} in {time.perf_counter() - t:.1f} s ({made / (time.perf_counter() - t):,.0f}/s)")
    user = User.objects.filter(groups__name="quality_manager", is_active=True).first()
    if user is None:
        raise RuntimeError("no quality manager user; run `manage.py demo_load` first")
    hosts = list(settings.ALLOWED_HOSTS) or ["127.0.0.1"]
    host = "127.0.0.1" if ("*" in hosts or "127.0.0.1" in hosts) else hosts[0].lstrip(".")
    web = Client(HTTP_HOST=host)
    web.force_login(user)
    _token, raw = api_token_create(user=user, name="bench")
    api = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")
    number = Complaint.objects.order_by("-received_at").values_list("number", flat=True)[size // 2]
    customer = Complaint.objects.values_list("customer__code", flat=True).first()

    def deep_pages() -> None:
        url = "/complaints/?sort=-received_at"
        for _ in range(10):
            resp = _ok(web.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="complaint-table"))
            marker = 'rel="next" href="'
            body = resp.content.decode()
            if marker not in body:
                break
            url = "/complaints/" + body.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&")

    def raw_list() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, number, title FROM complaints_complaint "
                "ORDER BY received_at DESC, id DESC LIMIT 26"
            )
            cur.fetchall()

    results: dict[str, Any] = {}
    # The cockpit reads daily rollups: build them as the worker would, and time it.
    from closeloop.dashboards.rollups import rollups_rebuild, rollups_refresh

    t = time.perf_counter()
    days = rollups_rebuild()
    rollups = {"full_rebuild_seconds": round(time.perf_counter() - t, 2), "days": days}
    out(f"  {'rollups: full rebuild':<32} {rollups['full_rebuild_seconds']:>8.2f} s ({days} days)")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("list: first page", lambda: _ok(web.get("/complaints/"))),
        (
            "list: status+severity filter",
            lambda: _ok(web.get("/complaints/?status=triaged&severity=serious")),
        ),
        ("list: 10 keyset pages", deep_pages),
        ("search: 3+ chars (变速箱)", lambda: _ok(web.get("/complaints/?q=变速箱"))),
        ("search: 2-char word (漏油)", lambda: _ok(web.get("/complaints/?q=漏油"))),
        ("detail page", lambda: _ok(web.get(f"/complaints/{number}/"))),
        ("API list (20)", lambda: _ok(api.get("/api/v1/complaints"))),
        (
            "API create",
            lambda: _ok(
                api.post(
                    "/api/v1/complaints",
                    json.dumps({"customer": customer, "title": "基准测试", "description": "bench"}),
                    content_type="application/json",
                )
            ),
        ),
        ("cockpit page (last 90 days)", lambda: _ok(web.get("/dashboard/?period=last_90"))),
        ("API dashboard KPIs", lambda: _ok(api.get("/api/v1/dashboard/kpis"))),
        ("rollups: refresh, nothing new", rollups_refresh),
        ("raw SQL: first list page", raw_list),
    ]
    for name, fn in cases:
        results[name] = _timed(fn, runs)
        out(f"  {name:<32} p50 {results[name]['p50_ms']:>8.2f} ms   p95 {results[name]['p95_ms']:>8.2f} ms")
    exports = bench_exports(user=user, size=size, out=out)
    report = {
        "size": Complaint.objects.count(),
        "database": connection.vendor,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
        "exports": exports,
        "rollups": rollups,
    }
    path = Path(settings.BASE_DIR) / "var" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    out(f"written {path / 'results.json'}")
    return report
