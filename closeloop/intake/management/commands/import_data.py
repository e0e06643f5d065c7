"""``import_data <kind> <file>``: the import page's service, run in this process (admins, benchmarks)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.accounts.models import User
from closeloop.core.errors import ApplicationError
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportKind


class Command(BaseCommand):
    help = (
        "Import complaints or master data from a CSV/XLSX file, exactly as the import page does, in this "
        "process. If this process is stopped mid-import, the job stays on the import page; a running "
        "worker resumes it after CLOSELOOP_JOB_STALL_SECONDS without progress (rows already saved are "
        "kept and not saved twice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument("--user", default="admin", help="Username the rows are recorded as.")

    def handle(self, *args: object, **opts: Any) -> None:
        user = User.objects.filter(username=str(opts["user"]), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {opts['user']}")
        path = Path(str(opts["file"]))
        if not path.is_file():
            raise CommandError(f"No file {path}")
        try:
            # Not queued: this process runs the job itself and reports when it is done.
            job = import_job_create(
                user=user, kind=str(opts["kind"]), name=path.name, data=path.read_bytes(), queue=False
            )
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items())
            raise CommandError(details or str(exc.message)) from exc
        job = import_job_run(job_id=job.pk)
        self.stdout.write(
            f"job {job.pk} {job.status}: rows {job.total_rows}, created {job.created_count}, "
            f"updated {job.updated_count}, errors {job.error_count}"
        )
        if job.failure:
            self.stderr.write(job.failure)
        for r in job.report[:50]:
            self.stdout.write(f"  row {r['row']} [{r['column']}]: {r['reason']}")
        if len(job.report) > 50:
            self.stdout.write(f"  … {len(job.report) - 50} more in the job's report")
