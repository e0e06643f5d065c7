"""Read spreadsheet rows as dicts keyed by the header the user wrote. Format is decided by content."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import ValidationFailed


def sniff_format(data: bytes, *, field: str = "file") -> str:
    """'xlsx' for a real workbook, 'csv' for UTF-8/GB18030 text; anything else is refused."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if "xl/workbook.xml" in zf.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
    elif data and b"\x00" not in data[:8192] and _decode(data) is not None:
        return "csv"
    raise ValidationFailed(fields={field: [_("This is not an Excel workbook (.xlsx) or a CSV text file.")]})


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def read_rows(data: bytes, fmt: str) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """Return the headers and an iterator of ``(excel_row_number, {header: value})``; blank rows skipped."""
    if fmt == "xlsx":
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows: Iterator[list[Any]] = iter(sheet.to_python(skip_empty_area=False))
    else:
        text = _decode(data) or ""
        rows = iter(list(r) for r in csv.reader(io.StringIO(text)))
    try:
        headers = [str(h).strip() for h in next(rows)]
    except StopIteration:
        return [], iter(())

    def gen() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, row in enumerate(rows, start=2):
            values = [_cell(v) for v in row]
            if not any(v not in ("", None) for v in values):
                continue
            yield n, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers) if h}

    return headers, gen()


def parse_datetime_cell(value: Any) -> dt.datetime | None:
    """Accept Excel datetimes, ISO 8601, 'YYYY-MM-DD HH:MM' and 'YYYY/MM/DD HH:MM'; None if unparseable."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(9, 0))
    text = str(value or "").strip().replace("/", "-")
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date_cell(value: Any) -> dt.date | None:
    parsed = parse_datetime_cell(value)
    return parsed.date() if parsed else None
