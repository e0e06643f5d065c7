from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.core.bench import PARTS, BenchFailed, bench_run, parts_select
from closeloop.core.bench_data import LIVED


class Command(BaseCommand):
    help = (
        "Benchmark the app on SIZE complaints beside the raw database limits; prints a table against the "
        "targets and writes var/bench/results.json. Parts: " + ", ".join(PARTS) + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--only", default="", help="Comma-separated parts to run (default: all).")
        parser.add_argument("--skip", default="", help="Comma-separated parts not to run.")
        parser.add_argument(
            "--http-seconds", type=float, default=30, help="Measured HTTP run (after warm-up)."
        )
        parser.add_argument("--http-clients", type=int, default=8)
        parser.add_argument(
            "--http-workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)."
        )
        parser.add_argument(
            "--import-rows", type=int, default=None, help="Rows per import file (default: min(100000, SIZE))."
        )
        parser.add_argument("--raw-rows", type=int, default=100_000, help="Rows per raw insert method.")
        parser.add_argument("--worker-rounds", type=int, default=2, help="Times each periodic job runs.")
        parser.add_argument(
            "--worker-timeout", type=float, default=1800, help="Seconds to wait for the worker's jobs."
        )
        parser.add_argument(
            "--keep-rollups",
            action="store_true",
            help="Pages part: use the rollups as built (by an earlier run or rollups_rebuild) instead of "
            "rebuilding them first.",
        )
        parser.add_argument(
            "--no-day-of-changes",
            action="store_true",
            help="Do not time the rollups' recompute after a day of changes nor after single minutes of "
            "it (at ten million complaints one minute of changes took three minutes).",
        )
        parser.add_argument(
            "--lived",
            type=int,
            default=LIVED,
            help="Complaints generated through the workflow; past them the database is topped up with "
            "copies of them (PostgreSQL).",
        )
        parser.add_argument("--out", default="", help="Results file (default: var/bench/results.json).")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            parts = parts_select(only=opts["only"], skip=opts["skip"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            bench_run(
                size=int(opts["size"]),
                runs=int(opts["runs"]),
                parts=parts,
                http_seconds=float(opts["http_seconds"]),
                http_clients=int(opts["http_clients"]),
                http_workers=opts["http_workers"],
                import_rows=opts["import_rows"],
                raw_rows=int(opts["raw_rows"]),
                worker_rounds=int(opts["worker_rounds"]),
                worker_timeout=float(opts["worker_timeout"]),
                keep_rollups=bool(opts["keep_rollups"]),
                day_of_changes=not opts["no_day_of_changes"],
                lived=int(opts["lived"]),
                results_path=Path(opts["out"]) if opts["out"] else None,
                out=self.stdout.write,
            )
        except BenchFailed as exc:
            raise CommandError(str(exc)) from exc
