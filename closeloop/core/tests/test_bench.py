"""`make bench` runs end to end on a small size (its timings are printed, never asserted)."""

import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_measures_every_path_and_writes_results(settings, tmp_path, qm):
    settings.BASE_DIR = tmp_path
    out = []
    call_command(
        "bench", "--size", "200", "--runs", "2", stdout=type("W", (), {"write": lambda s, x: out.append(x)})()
    )
    report = json.loads((tmp_path / "var" / "bench" / "results.json").read_text())
    assert report["size"] >= 200
    assert set(report["results"]) >= {
        "list: first page",
        "search: 2-char word (漏油)",
        "detail page",
        "API create",
        "cockpit page (last 90 days)",
        "API dashboard KPIs",
    }
    assert report["rollups"]["days"] > 0
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in report["results"].values())
