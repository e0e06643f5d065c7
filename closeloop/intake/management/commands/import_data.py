from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from closeloop.accounts.models import User
from closeloop.core.errors import ApplicationError
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportKind


class Command(BaseCommand):
    help = "Import complaints or master data from a CSV/XLSX file, exactly as the import page does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument("--user", default="admin", help="Username the rows are recorded as.")

    def handle(self, *args: object, **opts: Any) -> None:
        user = User.objects.filter(username=str(opts["user"])).first()
        if user is None:
            raise CommandError(f"No user {opts['user']}")
        path = Path(str(opts["file"]))
        try:
            with transaction.atomic():
                job = import_job_create(
                    user=user, kind=str(opts["kind"]), name=path.name, data=path.read_bytes()
                )
            job = import_job_run(job_id=job.pk)  # runs here; the queued task finds it done and stops
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        self.stdout.write(
            f"rows {job.total_rows}, created {job.created_count}, updated {job.updated_count}, "
            f"errors {job.error_count}"
        )
        for r in job.report[:50]:
            self.stdout.write(f"  row {r['row']} [{r['column']}]: {r['reason']}")
