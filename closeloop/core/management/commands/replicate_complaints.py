from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.core.generator_replicate import complaints_replicate


class Command(BaseCommand):
    help = (
        "Write every generated complaint COPIES more times, each copy shifted back in time by under a "
        "day, with new numbers (PostgreSQL; for the benchmark's ten million complaints)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("copies", type=int)
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args: object, **opts: Any) -> None:
        def progress(step: str, seconds: float) -> None:
            self.stdout.write(f"  {step:<32} {seconds:>8.1f} s")

        try:
            done = complaints_replicate(int(opts["copies"]), seed=int(opts["seed"]), progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(done.seconds.values())
        rows = sum(done.rows.values())
        self.stdout.write(
            self.style.SUCCESS(f"copied {done.complaints:,} complaints ({rows:,} rows) in {total:.1f} s")
        )
