"""The spreadsheets around an import: templates to fill in (XLSX, CSV) and the error report (XLSX)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from closeloop.complaints.models import Category
from closeloop.core.exports import neutralise
from closeloop.customers.models import Site
from closeloop.intake.importing.columns import CHOICES, COLUMNS, VALUE_ALIASES, Column, header_label
from closeloop.intake.models import ImportJob


def _allowed(col: Column) -> str:
    """'minor (Minor / 轻微), …' for choice columns; empty for free text."""
    choices = CHOICES.get(col.key)
    if choices is None:
        return ""
    zh_by_code: dict[str, list[str]] = {}
    for zh, code in VALUE_ALIASES.get(col.key, {}).items():
        if not zh.isascii():
            zh_by_code.setdefault(code, []).append(zh)
    parts = []
    for code, label in choices.choices:
        names = [str(label), *zh_by_code.get(code, [])]
        parts.append(f"{code} ({' / '.join(dict.fromkeys(names))})")
    return ", ".join(parts)


def template_xlsx(kind: str) -> bytes:
    """Sheet 1: the header row in the active language and one example row. Sheet 2: each column,
    whether it is required, what it takes and its allowed values (category codes for complaints, site codes
    for complaints and products)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = _("Data")[:31]
    cols = COLUMNS[kind]
    ws.append([header_label(c) for c in cols])
    ws.append([c.example for c in cols])
    for i, c in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="B42318" if c.required else "1D2939")
        cell.fill = PatternFill("solid", fgColor="DDE7F5")
        ws.column_dimensions[cell.column_letter].width = max(12, len(header_label(c)) * 2 + 4)
    ws.freeze_panes = "A2"

    notes = wb.create_sheet(_("Notes")[:31])
    notes.append([_("Column"), _("Also accepted as"), _("Required"), _("What it takes"), _("Allowed values")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for c in cols:
        other = c.en if header_label(c) == c.zh else c.zh
        notes.append([header_label(c), other, _("Yes") if c.required else _("No"), str(c.help), _allowed(c)])
    notes.append([])
    notes.append(
        [_("The first row holds the headers. Each row is saved on its own; rows with errors are reported.")]
    )
    if kind == "orders":
        notes.append([_("One row per order line; repeat the order number for each line.")])
    if kind != "complaints":
        notes.append([_("An empty cell keeps the value already stored.")])
    if kind == "complaints":
        notes.append([])
        notes.append([_("Category code"), _("Category")])
        notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
        notes.cell(row=notes.max_row, column=2).font = Font(bold=True)
        for cat in Category.objects.filter(is_active=True).select_related("parent"):
            label = f"{cat.parent.label} / {cat.label}" if cat.parent else cat.label
            notes.append([cat.code, label])
    if kind in ("complaints", "products"):
        notes.append([])
        notes.append([_("Site code"), _("Site")])
        notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
        notes.cell(row=notes.max_row, column=2).font = Font(bold=True)
        for site in Site.objects.filter(is_active=True):
            notes.append([site.code, site.label])
    for letter, width in zip("ABCDE", (18, 22, 10, 44, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2, max_col=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv(kind: str) -> bytes:
    """Header row (active language) and the example row, UTF-8 with a BOM so Excel reads it as UTF-8."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([header_label(c) for c in COLUMNS[kind]])
    writer.writerow([c.example for c in COLUMNS[kind]])
    return buf.getvalue().encode("utf-8-sig")


def report_xlsx(job: ImportJob) -> bytes:
    """The (row, column, reason) report. Text is neutralised: a header or value the uploader wrote,
    echoed back, never runs as a formula when the report is opened."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Report")[:31])
    ws.append([_("Row"), _("Column"), _("Reason")])
    for r in job.report:
        ws.append([r["row"], neutralise(r["column"]), neutralise(r["reason"])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
