"""The audit evidence pack: one ZIP with everything an IATF 16949 / ISO 9001 auditor samples for a
complaint — its record, the 8D report, the evidence files, the approvals, the handling reports with what
was sent and answered, and the full audit trail — with a manifest of SHA-256 checksums.

Reads only. Files are copied from storage in chunks and the ZIP is written to a temporary file, so a
pack with large evidence never sits in memory. Spreadsheet-bound text (CSV) is neutralised like every
export.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.actions.models import ActionEvidence
from closeloop.complaints import presentation
from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.exports import neutralise
from closeloop.reports.handling_pdf import handling_report_pdf
from closeloop.reports.models import HandlingReport

CHUNK = 1024 * 1024


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z") if value else ""


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel opens it as UTF-8); every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow([neutralise("" if v is None else v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


class _Pack:
    """A ZIP being written, remembering each member's size and checksum for the manifest."""

    def __init__(self, fileobj: IO[bytes], progress: Callable[[int], None] | None = None) -> None:
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED)
        self.manifest: list[tuple[str, int, str]] = []
        self.progress = progress

    def _done(self, name: str, size: int, sha: str) -> None:
        self.manifest.append((name, size, sha))
        if self.progress is not None:
            self.progress(len(self.manifest))

    def add_bytes(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self._done(name, len(data), hashlib.sha256(data).hexdigest())

    def add_file(self, name: str, source: IO[bytes]) -> None:
        digest, size = hashlib.sha256(), 0
        with self.zip.open(name, "w") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self._done(name, size, digest.hexdigest())


def _record(c: Complaint) -> dict[str, Any]:
    fields = [
        "number",
        "status",
        "channel",
        "received_at",
        "title",
        "description",
        "customer_requirement",
        "quantity_affected",
        "lot",
        "ship_date",
        "warranty_status",
        "severity",
        "urgency",
        "impact_scope",
        "safety_risk",
        "priority_score",
        "handling_path",
        "resolution",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "triaged_at",
    ]
    out: dict[str, Any] = {f: getattr(c, f, None) for f in fields}
    out.update(
        {
            "customer": f"{c.customer.code} {c.customer.name}",
            "product": f"{c.product.code} {c.product.name}" if c.product is not None else None,
            "order": c.order.number if c.order is not None else None,
            "category": str(c.category) if c.category is not None else None,
            "owner": str(c.owner) if c.owner is not None else None,
            "department": str(c.department) if c.department is not None else None,
            "recorded_by": str(c.created_by) if c.created_by is not None else None,
            "investigation": c.investigation.number if c.investigation is not None else None,
            "deadlines": [
                {
                    "target": d.target,
                    "due_at": d.due_at,
                    "met_at": d.met_at,
                    "breached_at": d.breached_at,
                    "provisional": d.provisional,
                }
                for d in c.deadlines.order_by("due_at", "pk")
            ],
            "verdicts": [
                {
                    "recorded_at": v.recorded_at,
                    "satisfied": v.satisfied,
                    "score": v.score,
                    "comment": v.comment,
                    "reopen_reason": v.reopen_reason,
                    "recorded_by": str(v.recorded_by),
                }
                for v in c.verdicts.select_related("recorded_by").order_by("pk")
            ],
        }
    )
    return out


def _audit_trail(c: Complaint) -> bytes:
    rows = (
        (
            _when(e.created_at),
            str(e.actor) if e.actor is not None else _("System"),
            presentation.verb_label(e.verb),
            "; ".join(f"{ch.get('field')}: {ch.get('old')} → {ch.get('new')}" for ch in e.changes or []),
            e.note,
            json.dumps(e.data, ensure_ascii=False, cls=DjangoJSONEncoder),
        )
        for e in ComplaintEvent.objects.filter(complaint=c)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    return _csv([_("Time"), _("Who"), _("What"), _("Changes"), _("Note"), _("Data")], rows)


def _approvals(c: Complaint) -> bytes:
    rows: list[Sequence[Any]] = []
    inv = c.investigation
    if inv is not None:
        from closeloop.investigations.models import Discipline

        for d in (
            Discipline.objects.filter(investigation=inv)
            .select_related("submitted_by", "approved_by")
            .order_by("step")
        ):
            rows.append(
                (
                    f"{inv.number} D{d.step}",
                    d.get_status_display(),
                    str(d.submitted_by or ""),
                    _when(d.submitted_at),
                    str(d.approved_by or ""),
                    _when(d.approved_at),
                )
            )
        if inv.cost_verified_at:
            rows.append(
                (
                    f"{inv.number} D8",
                    _("Cost verified by finance"),
                    "",
                    "",
                    str(inv.cost_verified_by),
                    _when(inv.cost_verified_at),
                )
            )
        if inv.summary_reviewed_at:
            rows.append(
                (
                    f"{inv.number} D8",
                    _("Customer summary reviewed by the sales manager"),
                    "",
                    "",
                    str(inv.summary_reviewed_by),
                    _when(inv.summary_reviewed_at),
                )
            )
    for r in HandlingReport.objects.filter(complaint=c).select_related("reviewed_by").order_by("version"):
        if r.reviewed_at and r.status not in ("draft",):
            rows.append(
                (
                    f"{_('Handling report')} v{r.version}",
                    r.get_status_display(),
                    "",
                    _when(r.submitted_at),
                    str(r.reviewed_by or ""),
                    _when(r.reviewed_at),
                )
            )
    return _csv(
        [_("Step"), _("State"), _("Submitted by"), _("Submitted at"), _("Approved by"), _("Approved at")],
        rows,
    )


def _handling_ledger(reports: list[HandlingReport]) -> bytes:
    rows = (
        (
            f"v{r.version}",
            r.get_status_display(),
            r.get_language_display(),
            str(r.created_by),
            _when(r.created_at),
            str(r.reviewed_by or ""),
            _when(r.reviewed_at),
            _when(r.sent_at),
            r.sent_to,
            _when(r.answered_at),
            r.answer_reason,
        )
        for r in reports
    )
    header = [
        _("Version"),
        _("Status"),
        _("Language"),
        _("Drafted by"),
        _("Drafted at"),
        _("Approved by"),
        _("Approved at"),
        _("Sent at"),
        _("Sent to"),
        _("Answered at"),
        _("Reason given by the customer"),
    ]
    return _csv(header, rows)


def audit_pack_size(complaint: Complaint) -> int:
    """How many files the pack of ``complaint`` holds (for a progress bar)."""
    fixed = 5 + (1 if complaint.investigation_id else 0)  # record, trail, approvals, ledger, manifest
    return fixed + HandlingReport.objects.filter(complaint=complaint).count() + complaint.attachments.count()


def audit_pack_write(
    *,
    complaint: Complaint,
    user: User,
    language: str,
    fileobj: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> list[tuple[str, int, str]]:
    """Write the pack for ``complaint`` (already access-checked by the caller) into ``fileobj``; return
    the manifest ``(name, size, sha256)``. ``language`` is the documents' and labels' language;
    ``progress`` is told how many files are written after each one."""
    from closeloop.reports.eightd.data import eightd_report_data
    from closeloop.reports.eightd.pdf import eightd_pdf

    c = complaint
    pack = _Pack(fileobj, progress)
    with translation.override(language):
        pack.add_bytes(
            "record.json",
            json.dumps(_record(c), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder).encode(),
        )
        pack.add_bytes("audit_trail.csv", _audit_trail(c))
        pack.add_bytes("approvals.csv", _approvals(c))
        if c.investigation is not None:
            data = eightd_report_data(investigation=c.investigation)
            pack.add_bytes(f"8d/{c.investigation.number}.pdf", eightd_pdf(data, language=language))
        reports = list(
            HandlingReport.objects.filter(complaint=c)
            .select_related(
                "complaint__customer", "complaint__product", "complaint__contact", "created_by", "reviewed_by"
            )
            .order_by("version")
        )
        for r in reports:
            pack.add_bytes(f"handling_reports/{c.number}-v{r.version}.pdf", handling_report_pdf(r))
        pack.add_bytes("handling_reports/ledger.csv", _handling_ledger(reports))
        evidence_of = {
            ev.attachment_id: ev.action_id for ev in ActionEvidence.objects.filter(attachment__complaint=c)
        }
        for a in c.attachments.order_by("pk"):
            folder = f"evidence/action-{evidence_of[a.pk]}" if a.pk in evidence_of else "attachments"
            with a.file.open("rb") as source:
                pack.add_file(f"{folder}/{a.pk}-{a.original_name}", source)
        lines = [f"{sha}  {size:>12}  {name}" for name, size, sha in pack.manifest]
        header = _("Audit pack for %(number)s, made %(when)s by %(who)s. SHA-256 of each file:") % {
            "number": c.number,
            "when": _when(timezone.now()),
            "who": user,
        }
        manifest = "\n".join([header, "", *lines, ""]).encode("utf-8")
    pack.zip.writestr("MANIFEST.txt", manifest)
    pack.zip.close()
    return pack.manifest
