"""The complaint import's batches: rows read ``BATCH_ROWS`` at a time, validated and built together
(``intake.bulk``), then written together in one transaction while the next batch is validated; the
people the new complaints concern told once for the whole import (``notifications.imports``)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.complaints.search import Tokenizer
from closeloop.core.db import gin_pending_merge
from closeloop.core.errors import ApplicationError
from closeloop.customers.models import Contact
from closeloop.intake.bulk import IntakeBatch, complaint_intake_prepare
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.importing import complaints
from closeloop.intake.importing.lease import job_held, job_hold, rows_saved
from closeloop.intake.importing.readers import Sheet
from closeloop.intake.importing.report import progress_save, report_error, row_refused
from closeloop.intake.models import ImportJob
from closeloop.intake.services import complaint_intake
from closeloop.notifications.imports import ImportDigest, import_digest_send

logger = logging.getLogger(__name__)

# Complaint rows per batch: large enough that the per-batch reads and statements cost little per row,
# small enough to hold few objects and to keep the number sequence locked only briefly. Two batches are
# in flight (one validated while the other is written): at 1,000 rows they added 12 MB more to the
# worker's peak than at 500, for no measurable gain in speed.
BATCH_ROWS = 500

# The complaints' search index (a GIN index, migration complaints 0003): see _Writer.idle.
SEARCH_INDEX = "cmp_search_tsv"
# Merged at every fourth wait: about 2,000 rows, 1.7 MB of pending entries, under the 4 MB at which the
# writing connection would merge them itself. Merging after every batch did as well in 30,000-row runs,
# but makes four times as many merges, and each walks the index for every word it holds.
MERGE_EVERY = 4


def _batches(
    rows: Iterator[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


@dataclass
class _Batch:
    """Up to ``BATCH_ROWS`` complaint rows on their way: their drafts, and the report lines found so far."""

    rows: list[tuple[int, dict[str, Any]]]
    drafts: list[tuple[int, ComplaintDraft]]
    lines: dict[int, list[dict[str, Any]]]
    prepared: IntakeBatch | None = None


class _Writer:
    """Writes prepared batches one at a time, each in its own transaction. On PostgreSQL, outside any
    transaction, the writes run in one worker thread on a connection of its own, so the next batch is
    validated and built while the database stores this one (two cores: Python on one, PostgreSQL on the
    other). A write the database refuses gives its DatabaseError back (the batch was rolled back, and
    ``digest`` with it). The complaints' notifications are counted into ``digest``, whose state is kept
    on the job in the batch's transaction, with the job's heartbeat (``importing.lease``)."""

    def __init__(self, job: ImportJob, digest: ImportDigest) -> None:
        self._job = job
        self._digest = digest
        threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import") if threaded else None
        self._future: Future[list[Complaint | ApplicationError] | DatabaseError] | None = None
        self._done: list[Complaint | ApplicationError] | DatabaseError | None = None
        self._merge_pending = True
        self._waits = 0
        # The worker thread writes in the importer's language and time zone, as this thread would.
        self._language = translation.get_language()
        self._time_zone = timezone.get_current_timezone()

    def _write(self, prepared: IntakeBatch) -> list[Complaint | ApplicationError] | DatabaseError:
        saved = self._digest.checkpoint()
        try:
            with transaction.atomic():
                done = prepared.write(digest=self._digest)
                job_hold(self._job, digest=self._digest.state())
                return done
        except DatabaseError as exc:
            self._digest.restore(saved)
            return exc
        except BaseException:
            # Rolled back too, and the import ends: the digest it sends must hold only what committed.
            self._digest.restore(saved)
            raise

    def _write_in_thread(self, prepared: IntakeBatch) -> list[Complaint | ApplicationError] | DatabaseError:
        with translation.override(self._language), timezone.override(self._time_zone):
            return self._write(prepared)

    def submit(self, prepared: IntakeBatch) -> None:
        """Start writing ``prepared``; the previous write must have been collected with :meth:`result`."""
        if self._pool is None:
            self._done = self._write(prepared)
        else:
            self._future = self._pool.submit(self._write_in_thread, prepared)

    def idle(self) -> None:
        """Called by the validating thread before it waits for a write (see :meth:`result`). With the
        writes in the worker thread, every ``MERGE_EVERY`` calls, merge the search index's pending
        entries into the index on this thread's connection, so that the writing connection, which the
        whole import waits on, finds the list short and does not merge it itself. The work moves to the
        core the validating thread leaves idle while it waits: in alternated 30,000-row imports on a
        million complaints both cores were busy 72-74% of the time instead of 70%, at the same CPU per
        row. Stops trying when the database refuses (a database user that does not own the index)."""
        self._waits += 1
        if self._pool is not None and self._merge_pending and self._waits % MERGE_EVERY == 0:
            self._merge_pending = gin_pending_merge(SEARCH_INDEX) is not None

    def result(self) -> list[Complaint | ApplicationError] | DatabaseError:
        """Wait for the write submitted last; raise what it raised other than a DatabaseError."""
        if self._future is not None:
            self._done, self._future = self._future.result(), None
        done, self._done = self._done, None
        assert done is not None
        return done

    def close(self) -> None:
        """Wait for a write still running and close the worker's connection."""
        if self._pool is not None:
            if self._future is not None:
                self._future.exception()
            # Resolved in the worker: ``connection`` is per thread.
            self._pool.submit(lambda: connection.close()).result()
            self._pool.shutdown()


def complaints_run(
    job: ImportJob, user: User, sheet: Sheet, mapping: dict[str, str], report: list[dict[str, Any]]
) -> tuple[int, int, int]:
    """Complaints, ``BATCH_ROWS`` at a time: drafts from the rows, validated and built together, then
    written together while the next batch is validated (see :class:`_Writer`). When the database refuses
    a batch (a value no rule caught), its rows are run again one by one, each in its own transaction,
    so only the row at fault is reported and the others are saved. The people the complaints concern
    are told once for the whole import (``notifications.imports``), when it ends or stops. A resumed
    run (``importing.lease``) skips the rows an earlier run saved, counting them as created, and goes
    on with the digest as that run committed it. Returns (created, 0, errors)."""
    digest = ImportDigest.from_state(job.digest, job_id=job.pk, file=job.original_name, actor=user)
    try:
        return _complaints_batches(job, user, sheet, mapping, report, digest)
    finally:
        _digest_send(job, digest)


def _digest_send(job: ImportJob, digest: ImportDigest) -> None:
    """Send the digest once, in the transaction that records it sent, unless a later run owns the job
    (that run sends it)."""
    with transaction.atomic():
        if job_held(job):
            import_digest_send(digest)
            job_hold(job, digest=digest.state())


def complaints_give_up(job: ImportJob, user: User) -> str:
    """For a complaint import given up after its worker stopped too often: send the digest of the
    complaints its runs saved (if not sent yet), record their number as created, and return the
    sentence that tells the user how many were saved."""
    digest = ImportDigest.from_state(job.digest, job_id=job.pk, file=job.original_name, actor=user)
    _digest_send(job, digest)
    saved = Complaint.objects.filter(import_job_id=job.pk).count()
    job_hold(job, created_count=saved)
    job.created_count = saved
    if not saved:
        return _("No complaint was saved; import the file again.")
    return ngettext(
        "%(n)s complaint was saved; import again only the rows not in the list of its complaints.",
        "%(n)s complaints were saved; import again only the rows not in the list of its complaints.",
        saved,
    ) % {"n": saved}


def _complaints_batches(
    job: ImportJob,
    user: User,
    sheet: Sheet,
    mapping: dict[str, str],
    report: list[dict[str, Any]],
    digest: ImportDigest,
) -> tuple[int, int, int]:
    categories = complaints.CategoryNames()
    tz = timezone.get_current_timezone()
    tokenizer = Tokenizer()
    counts = [0, 0, 0]  # processed, created, errors
    saved = rows_saved(job)  # by an earlier run of the job, which stopped

    def prepare(batch: _Batch, pending: Sequence[Contact]) -> None:
        batch.prepared = complaint_intake_prepare(
            drafts=[draft for _row_no, draft in batch.drafts],
            actor=user,
            tokenizer=tokenizer,
            pending_contacts=pending,
            digest_routed=True,
        )

    def finish(batch: _Batch, done: list[Complaint | ApplicationError] | DatabaseError) -> bool:
        """Report the written batch; False when the database refused it and it was redone row by row."""
        outcomes: Sequence[Complaint | ApplicationError | dict[str, Any]]
        if isinstance(done, DatabaseError):
            logger.warning("import job %s: the database refused a batch; retrying it row by row", job.pk)
            outcomes = [_complaint_one(job, user, row_no, draft, digest) for row_no, draft in batch.drafts]
        else:
            outcomes = done
        for (row_no, _draft), outcome in zip(batch.drafts, outcomes, strict=True):
            if isinstance(outcome, ApplicationError):
                report_error(batch.lines.setdefault(row_no, []), job.kind, mapping, row_no, outcome)
            elif isinstance(outcome, dict):
                batch.lines.setdefault(row_no, []).append(outcome)
            else:
                counts[1] += 1
        counts[2] += len(batch.lines)
        for row_no, _raw in batch.rows:
            report.extend(batch.lines.get(row_no, []))
        counts[0] += len(batch.rows)
        progress_save(job, counts[0], counts[1], 0, counts[2])
        return not isinstance(done, DatabaseError)

    writer = _Writer(job, digest)
    writing: _Batch | None = None
    try:
        for rows in _batches(sheet.rows(), BATCH_ROWS):
            batch = _Batch(rows=rows, drafts=[], lines={})
            for row_no, raw in rows:
                if row_no in saved:
                    counts[1] += 1
                    continue
                row = {key: raw.get(header, "") for key, header in mapping.items()}
                try:
                    draft = complaints.complaint_draft(
                        row, source={"import_job": job.pk, "row": row_no}, categories=categories, tz=tz
                    )
                except ApplicationError as exc:
                    report_error(batch.lines.setdefault(row_no, []), job.kind, mapping, row_no, exc)
                else:
                    batch.drafts.append((row_no, draft))
            # Validated while the previous batch is written: its new contacts count as found.
            prepare(batch, writing.prepared.new_contacts if writing and writing.prepared else ())
            if writing is not None:
                writer.idle()
                if not finish(writing, writer.result()):
                    prepare(batch, ())  # the contacts it counted on were rolled back, then made row by row
            assert batch.prepared is not None
            writer.submit(batch.prepared)
            writing = batch
        if writing is not None:
            writer.idle()
            finish(writing, writer.result())
    finally:
        writer.close()
    return counts[1], 0, counts[2]


def _complaint_one(
    job: ImportJob, user: User, row_no: int, draft: ComplaintDraft, digest: ImportDigest
) -> Complaint | ApplicationError | dict[str, Any]:
    """One draft through ``complaint_intake`` in its own transaction, its people counted into
    ``digest``: the complaint, the error it raised, or the report line of a row the database refused
    (the digest then as it was)."""
    saved = digest.checkpoint()
    try:
        with transaction.atomic():
            complaint = complaint_intake(draft=draft, actor=user, digest=digest)
            job_hold(job, digest=digest.state())
        return complaint
    except ApplicationError as exc:
        digest.restore(saved)
        return exc
    except DatabaseError:
        digest.restore(saved)
        return row_refused(job, row_no)
    except BaseException:
        digest.restore(saved)
        raise
