from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from closeloop.complaints.models import Complaint
from closeloop.core.demo import demo_load


class Command(BaseCommand):
    help = "Load the Chinese demo: master data, one user per role and 150 complaints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when complaints exist.")
        parser.add_argument("--complaints", type=int, default=150)

    def handle(self, *args: object, **options: Any) -> None:
        if options["if_empty"] and Complaint.objects.exists():
            self.stdout.write("demo data already present")
            return
        n = demo_load(complaints=int(options["complaints"]))
        self.stdout.write(self.style.SUCCESS(f"demo loaded: {n} complaints"))
