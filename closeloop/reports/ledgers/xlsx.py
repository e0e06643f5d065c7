"""Streaming XLSX output for the ledgers: openpyxl's write-only mode, so memory stays flat whatever
the number of rows (rows go to a temporary XML part as they come; nothing is kept per row).

Every text cell is neutralised (``core.exports.neutralise``): a customer's ``=HYPERLINK(...)`` is stored
as the text ``'=HYPERLINK(...)``, never as a formula. Numbers stay numbers, dates and times are real
Excel dates with a number format, so sorting and filtering in Excel work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, Literal

from django.utils import timezone

from closeloop.core.exports import neutralise

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# openpyxl is imported where a sheet is written, not here: every ledger module imports Column from this
# one, and through them the URLconf, so openpyxl (over 20 MB) would be resident in every process.

ColumnKind = Literal["text", "int", "decimal", "date", "datetime"]

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
HEADER_ROW = 2  # row 1 is the title line (report, filters, export time)
HEADER_FILL_COLOR = "EEF2F7"
# The control characters XML 1.0 cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE (which raises on them),
# restated so that this module loads without openpyxl (a test pins the two as equal).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class Column:
    """One ledger column: its (already translated) header, the type of its cells, its width in
    Excel's character units."""

    header: str
    kind: ColumnKind = "text"
    width: float = 14


def text_cell(value: Any) -> str | None:
    """Recorded text made safe for a cell: characters XML cannot hold removed, formula prefixes
    neutralised. None and "" stay empty."""
    if value is None or value == "":
        return None
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


class _CellMaker:
    """Turns a row's Python values into cells by column kind.

    Styled cells (dates, money) copy a style prepared once: setting ``number_format`` on each cell
    costs a style lookup per cell, about a quarter of the write time on a 100,000-row ledger.
    """

    def __init__(self, ws: WriteOnlyWorksheet, columns: Sequence[Column]) -> None:
        from openpyxl.cell import WriteOnlyCell

        self.ws = ws
        self.cell = WriteOnlyCell
        self.kinds = [c.kind for c in columns]
        # Excel has no time zones: times are written as wall-clock times of the export's time zone,
        # which the title line names.
        self.tz = timezone.get_current_timezone()
        self.styles = {}
        for kind, number_format in (
            ("date", DATE_FORMAT),
            ("datetime", DATETIME_FORMAT),
            ("decimal", MONEY_FORMAT),
        ):
            template = self.cell(ws)
            template.number_format = number_format
            self.styles[kind] = template._style

    def _styled(self, value: Any, kind: str) -> WriteOnlyCell:
        cell = self.cell(self.ws, value=value)
        cell._style = copy(self.styles[kind])
        return cell

    def _naive(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            value = value.astimezone(self.tz)
        return value.replace(tzinfo=None)

    def row(self, values: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for kind, value in zip(self.kinds, values, strict=True):
            if value is None or value == "":
                out.append(None)
            elif kind == "text":
                out.append(text_cell(value))
            elif kind == "int":
                out.append(int(value))
            elif kind == "datetime":
                out.append(self._styled(self._naive(value), kind))
            elif kind == "date":
                if isinstance(value, dt.datetime):
                    value = self._naive(value).date()
                out.append(self._styled(value, kind))
            else:
                out.append(self._styled(Decimal(value), kind))
        return out


def xlsx_write(
    target: str | IO[bytes],
    *,
    sheet_title: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Write one sheet — a title line (row 1), a bold header row (row 2, frozen with the title, with an
    autofilter over the data) and ``rows`` — to ``target`` (a path or a binary file). Each row holds one
    value per column, typed as its column says. Returns the number of data rows written.

    ``rows`` is consumed once, lazily: pass a generator to keep memory bounded.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_name(sheet_title))
    # Widths and panes must be set before the first row: write-only mode writes the sheet's head then.
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    head = WriteOnlyCell(ws, value=text_cell(title))
    head.font = Font(bold=True, size=12)
    ws.append([head])
    header_cells = []
    header_font, header_align = Font(bold=True), Alignment(vertical="center", wrap_text=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL_COLOR)
    for col in columns:
        cell = WriteOnlyCell(ws, value=text_cell(col.header))
        cell.font, cell.fill, cell.alignment = header_font, header_fill, header_align
        header_cells.append(cell)
    ws.append(header_cells)
    maker = _CellMaker(ws, columns)
    count = 0
    for values in rows:
        ws.append(maker.row(values))
        count += 1
    # The filter is written after the rows (write-only mode writes it with the sheet's tail).
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + max(count, 1)}"
    wb.save(target)
    return count


def _sheet_name(name: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)
    return cleaned[:31] or "Sheet1"
