"""``manage.py rollups_rebuild [--since YYYY-MM-DD]``: recompute the cockpit's rollups from the records.

For a first install on existing data, after a restore, or after master-data edits that the events do
not carry (a product moved to another family, a category under another parent): the worker's refresh
follows complaint events only, so such edits reach the rollups through a rebuild.
"""

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Recompute the cockpit's daily rollups, duration blocks and snapshots from the records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            default="",
            help="First day to recompute (YYYY-MM-DD); by default every day from the first complaint.",
        )

    def handle(self, *args: object, **opts: Any) -> None:
        from closeloop.dashboards.rollups import rollups_rebuild_exclusive

        since: dt.date | None = None
        if opts["since"]:
            try:
                since = dt.date.fromisoformat(opts["since"])
            except ValueError as exc:
                raise CommandError(f"--since: not a date (YYYY-MM-DD): {opts['since']!r}") from exc
        started = time.monotonic()
        days = rollups_rebuild_exclusive(since=since)
        self.stdout.write(
            self.style.SUCCESS(f"rolled up {days:,} days in {time.monotonic() - started:.1f} s")
        )
