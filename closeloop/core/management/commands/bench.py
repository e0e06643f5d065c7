from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from closeloop.core.bench import bench_run


class Command(BaseCommand):
    help = "Benchmark list, search, detail and API on SIZE complaints; writes var/bench/results.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=30)

    def handle(self, *args: Any, **opts: Any) -> None:
        bench_run(size=int(opts["size"]), runs=int(opts["runs"]), out=self.stdout.write)
