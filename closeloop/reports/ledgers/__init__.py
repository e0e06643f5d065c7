"""The ledgers (台账) exported as XLSX: the complaint ledger, one customer's complaint status and the
preventive-action report. Each is a selector (scoped, filtered rows) plus the shared streaming writer."""

from __future__ import annotations

from closeloop.reports.ledgers import complaint_ledger, customer_status, preventive
from closeloop.reports.ledgers.common import LedgerSpec
from closeloop.reports.models import ExportKind

LEDGERS: dict[str, LedgerSpec] = {
    ExportKind.LEDGER.value: LedgerSpec(
        kind=ExportKind.LEDGER.value,
        title=complaint_ledger.title,
        file_stem=complaint_ledger.file_stem,
        columns=complaint_ledger.columns,
        count=complaint_ledger.count,
        rows=complaint_ledger.rows,
        describe=complaint_ledger.describe,
    ),
    ExportKind.CUSTOMER_STATUS.value: LedgerSpec(
        kind=ExportKind.CUSTOMER_STATUS.value,
        title=customer_status.title,
        file_stem=customer_status.file_stem,
        columns=customer_status.columns,
        count=customer_status.count,
        rows=customer_status.rows,
        describe=customer_status.describe,
    ),
    ExportKind.PREVENTIVE.value: LedgerSpec(
        kind=ExportKind.PREVENTIVE.value,
        title=preventive.title,
        file_stem=preventive.file_stem,
        columns=preventive.columns,
        count=preventive.count,
        rows=preventive.rows,
        describe=preventive.describe,
    ),
}
