"""Load a year's public holidays and adjusted working days (调休) from the chinese-calendar package."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.core.errors import ValidationFailed
from closeloop.sla import services


class Command(BaseCommand):
    help = "Load YEAR's holidays and adjusted working days from the chinese-calendar package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            added = services.calendar_year_load(year=options["year"])
        except ValidationFailed as exc:
            raise CommandError(" ".join(str(m) for ms in exc.fields.values() for m in ms)) from exc
        self.stdout.write(f"{options['year']}: {added} days added; the year is complete.")
