import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from closeloop.core.generator import complaints_generate


class Command(BaseCommand):
    help = "Create N realistic complaints with their events, fast (for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("n", type=int)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: object, **opts: Any) -> None:
        started = time.monotonic()

        def progress(done: int, rate: float) -> None:
            self.stdout.write(f"  {done:>10,} complaints  {rate:>8,.0f}/s")

        n = complaints_generate(
            int(opts["n"]),
            seed=int(opts["seed"]),
            batch=int(opts["batch"]),
            progress=progress,
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"created {n:,} complaints in {elapsed:.1f} s ({n / elapsed:,.0f}/s)")
        )
