"""Read spreadsheet rows as dicts keyed by the header the user wrote. The format is decided by the
bytes, never by the file name: a real XLSX workbook, or UTF-8 / GB18030 text read as CSV."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import pickle
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import ValidationFailed

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29
# Serial numbers between these bounds (1990..2100) are read as dates; others are plainly not dates.
EXCEL_SERIAL_RANGE = (32874, 73051)
DECODE_CHUNK = 1 << 20
# Excel's last row. A text file may have more lines, but no spreadsheet user can have written them, and
# counting a file of millions of empty lines would hold a worker for nothing.
MAX_SHEET_ROW = 1_048_576

Rows = Iterator[tuple[int, dict[str, Any]]]
# Opens the file anew for reading: a binary file object (read(n), a context manager), such as a stored
# upload's storage.open(name, "rb").
Opener = Callable[[], Any]


def _refuse(message: Any, field: str) -> ValidationFailed:
    return ValidationFailed(fields={field: [message]})


def sniff_format(data: bytes, *, field: str = "file") -> str:
    """'xlsx' for a real workbook, 'csv' for UTF-8/GB18030 text; anything else raises ValidationFailed."""
    if data[:8] == OLE2_MAGIC:
        raise _refuse(
            _(
                "This is an old .xls or a password-protected workbook. "
                "Open it in Excel and save it as .xlsx without a password."
            ),
            field,
        )
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if "xl/workbook.xml" in zf.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
    elif _is_text(data):
        return "csv"
    raise _refuse(_("This is not an Excel workbook (.xlsx) or a CSV text file."), field)


def _is_text(data: bytes) -> bool:
    """Decodable as UTF-8 or GB18030, and free of the control characters binary files are full of."""
    if not data or b"\x00" in data[:8192]:
        return False
    text = decode(data)
    if text is None:
        return False
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f" for ch in text[:8192])


def decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _text_encoding(opener: Opener) -> str | None:
    """The encoding :func:`decode` would read the file ``opener`` opens with, checked piece by piece (no
    whole string, nor the whole file)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with opener() as fh:
                while piece := fh.read(DECODE_CHUNK):
                    decoder.decode(piece)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


class Sheet:
    """The first sheet of an upload: its header row, and its data rows, which can be read more than
    once (a count first, then the rows) without holding them all as Python objects."""

    def __init__(
        self,
        headers: list[str],
        source: Callable[[], Iterator[list[Any]]],
        *,
        max_rows: int | None = None,
        field: str = "file",
    ) -> None:
        self.headers = headers
        self._source = source  # a fresh iterator over the data rows (after the header) per call
        self.max_rows = max_rows
        self.field = field

    def rows(self) -> Rows:
        """``(excel_row_number, {header: value})`` for each non-blank row, streamed in file order."""
        headers = self.headers
        for n, row in enumerate(self._source(), start=2):
            # A CSV's cells are all text: stripped here without a call per cell.
            values = [v.strip() if type(v) is str else _cell(v) for v in row]
            if not any(v not in ("", None) for v in values):
                continue
            yield n, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers) if h}

    def count(self) -> int:
        """The number of rows :meth:`rows` yields. Raises ValidationFailed naming the field as soon as
        it meets a row past Excel's last, or (with ``max_rows``) one data row more than that: an import
        calls it before it writes anything, so a file too long is refused whole, and quickly."""
        limit = self.max_rows
        count = 0
        for n, row in enumerate(self._source(), start=2):
            if n > MAX_SHEET_ROW:
                raise self._too_long(MAX_SHEET_ROW - 1)
            if any(v not in ("", None) for v in map(_cell, row)):
                count += 1
                if limit is not None and count > limit:
                    raise self._too_long(limit)
        return count

    def _too_long(self, limit: int) -> ValidationFailed:
        return _refuse(
            _("The file has more than %(limit)s rows; split it into files of at most %(limit)s rows.")
            % {"limit": f"{limit:,}"},
            self.field,
        )


class _Spill:
    """The data rows of a sheet that is slow to parse, parsed once: the first complete reading writes
    each row to a temporary file as it passes, and later readings replay that file. A reading stopped
    early leaves nothing, and the next one parses again. Readings are one at a time."""

    def __init__(self, parse: Callable[[], Iterator[list[Any]]]) -> None:
        self._parse = parse  # every row, the header included
        self._file: IO[bytes] | None = None

    def __call__(self) -> Iterator[list[Any]]:
        return self._replay(self._file) if self._file is not None else self._record()

    def _record(self) -> Iterator[list[Any]]:
        fh = tempfile.TemporaryFile()  # noqa: SIM115 — kept open by the Sheet; deleted when closed
        rows = self._parse()
        next(rows, None)  # the header
        try:
            for row in rows:
                fh.write(pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL))
                yield row
        except BaseException:
            fh.close()
            raise
        self._file = fh

    @staticmethod
    def _replay(fh: IO[bytes]) -> Iterator[list[Any]]:
        fh.seek(0)
        while True:
            try:
                # Our own file, written above from parsed cell values: safe to unpickle.
                yield pickle.load(fh)  # noqa: S301
            except EOFError:
                return


def read_sheet(data: bytes | Opener, fmt: str, *, field: str = "file", max_rows: int | None = None) -> Sheet:
    """Open ``data`` as ``fmt`` ('xlsx' or 'csv'): the file's bytes, or a function that opens it anew
    for reading (a stored upload). Either format is parsed as it is read and never held whole: a CSV
    each time its rows are read, a workbook (:mod:`.xlsx`) once, its rows kept in a temporary file for
    the next reading (:class:`_Spill`). Row numbers are the ones Excel shows (the header is row 1);
    blank rows are skipped but counted. Only the first sheet is read; its count is bounded by
    ``max_rows`` data rows and by Excel's last row (see :meth:`Sheet.count`).

    An unreadable workbook, or one that unpacks to more than the reader's limits (:mod:`.xlsx`), raises
    ValidationFailed naming ``field``: when its headers are read or, for damage further on, when its
    rows are."""
    source: Callable[[], Iterator[list[Any]]]
    opener: Opener = (lambda: io.BytesIO(data)) if isinstance(data, bytes) else data
    if fmt == "xlsx":
        # Imported here: lxml stays out of a worker until a job reads a workbook (test_worker_footprint).
        from closeloop.intake.importing import xlsx

        def parsed() -> Generator[list[Any], None, None]:
            try:
                yield from xlsx.open_rows(opener)
            except xlsx.Unreadable as exc:
                raise _refuse(_("The workbook could not be read; it may be damaged."), field) from exc
            except xlsx.TooLarge as exc:
                raise _refuse(
                    _("The workbook unpacks to more than an import may read; split it into smaller files."),
                    field,
                ) from exc

        head = parsed()
        first = next(head, None)
        head.close()
        source = _Spill(parsed)

    else:
        encoding = _text_encoding(opener)

        def every_row() -> Iterator[list[Any]]:
            if encoding is None:  # not text: no rows, as an empty file
                return
            # Decoded as it is read: the file's text is never held whole (nor, when opened from
            # storage, its bytes).
            with opener() as fh:
                yield from csv.reader(io.TextIOWrapper(fh, encoding=encoding, newline=""))

        first = next(every_row(), None)

        def source() -> Iterator[list[Any]]:
            rows = every_row()
            next(rows, None)
            return rows

    if first is None:
        return Sheet([], lambda: iter(()), max_rows=max_rows, field=field)
    headers = [str(h if h is not None else "").strip() for h in first]
    return Sheet(headers, source, max_rows=max_rows, field=field)


def read_rows(data: bytes, fmt: str, *, field: str = "file") -> tuple[list[str], Rows]:
    """The headers and an iterator of ``(excel_row_number, {header: value})``: see :func:`read_sheet`."""
    sheet = read_sheet(data, fmt, field=field)
    return sheet.headers, sheet.rows()


def parse_datetime_cell(value: Any) -> dt.datetime | None:
    """Excel datetimes (typed cells or serial numbers), ISO 8601, 'YYYY-MM-DD HH:MM[:SS]',
    'YYYY/MM/DD HH:MM' and bare dates (00:00, never "in the future" on the day itself).
    Naive results are wall-clock time in the importer's time zone; None if unparseable."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if EXCEL_SERIAL_RANGE[0] <= value <= EXCEL_SERIAL_RANGE[1]:
            return EXCEL_EPOCH + dt.timedelta(seconds=round(float(value) * 86400))
        return None
    text = str(value or "").strip().replace("/", "-")
    if not text:
        return None
    # ISO 8601 first: it covers the common 'YYYY-MM-DD HH:MM[:SS]' many times faster than strptime,
    # and where both read a text they read the same fields. The formats then take what it refuses
    # (single-digit months, days, hours ...).
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_date_cell(value: Any) -> dt.date | None:
    parsed = parse_datetime_cell(value)
    return parsed.date() if parsed else None
