"""Stream the first sheet of an XLSX workbook a row at a time, without holding its rows.

A workbook is a zip of XML parts. This reads the parts that give cells their meaning (the workbook,
its relationships, the shared strings and the cell styles) whole, then parses the sheet's XML as it
is decompressed, dropping each row once it has been turned into values. Memory is the shared strings
plus one row, however many rows the sheet has: a 100,000-row sheet read whole took about 150 MB.

Cells read as a spreadsheet user expects, as python-calamine read them before:

- text (shared, inline, or a formula's text result) as ``str``; booleans as ``bool``;
- numbers as ``float``; with a date or time number format, ``datetime`` (``date`` when the time is
  midnight, ``time`` before day 1), and ``timedelta`` with an elapsed-time format such as ``[h]:mm``;
- empty cells, error cells (``#N/A``) and formulas without a saved result as ``""``.

Serial dates follow the workbook's date system (1900 or 1904); Excel's phantom 1900-02-29 (serial 60)
reads as 1900-02-28.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

# Cell styles are found by index; what matters of each is whether its number format shows a date.
DATE, DURATION = "date", "duration"
# Built-in number formats (ECMA-376 18.8.30, with the East Asian ones Excel adds) that show a date or
# a time, and the one that shows elapsed time.
BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)])
BUILTIN_DURATION_FORMATS = frozenset([46])
EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 61 and later; earlier serials are a day off
EPOCH_1904 = dt.datetime(1904, 1, 1)
DIGITS = "0123456789"
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")

# Excel's own limits. No sheet Excel writes goes past them; a reference beyond them is a crafted file,
# whose short row number could make the reader yield billions of blank rows, or whose cell reference
# could ask for a row of billions of cells.
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384  # XFD
# The most each part may unpack to. The zip's directory declares every part's size and zipfile never
# decompresses past it (a part whose bytes disagree is refused), so checking the declared sizes before
# reading bounds the time and the memory of a small upload that unpacks to gigabytes. A 100,000-row
# import sheet unpacks to about 120 MB, twelve times its zipped size; the shared strings and the
# parts read whole are held in memory.
SHEET_MAX_BYTES = 1 << 30
STRINGS_MAX_BYTES = 64 << 20
PART_MAX_BYTES = 16 << 20

Opener = Callable[[], Any]
CellValue = str | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta


class Unreadable(Exception):
    """The file is not a workbook this reader can read (a part is missing or is not valid XML, or a
    reference lies beyond Excel's last row or column)."""


class TooLarge(Exception):
    """A part of the workbook unpacks to more than its limit (``SHEET_MAX_BYTES`` and the others)."""


def number_format_kind(code: str) -> str | None:
    """DATE when the number format ``code`` shows a date or a time of day, DURATION when it shows
    elapsed time (``[h]:mm``, ``[ss]``), None otherwise. Only the first section (before ``;``)
    counts; quoted text, escaped characters (``\\y``), the character after ``_`` (a space as wide as
    it) or ``*`` (fill with it), and bracketed parts (``[Red]``, ``[$-409]``) are not date codes."""
    escaped = quoted = am_pm = False
    brackets = 0
    elapsed = False  # inside "[h", "[m" or "[s" (and its repeats, "[hh")
    prev = " "
    for ch in code:
        lower = ch.lower()
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return None
        elif ch == "[":
            brackets += 1
        elif ch == "]":
            if brackets == 1 and elapsed:
                return DURATION
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not am_pm and lower == "a":
            am_pm = True
        elif brackets == 0 and lower in ("pm/" if am_pm else "dmhys"):  # after "a": "a/p", "am/pm"
            return DATE
        elif not (elapsed and lower == prev.lower()):
            elapsed = prev == "[" and lower in "hms"
        prev = ch
    return None


def serial_to_date(serial: float, *, date1904: bool = False) -> dt.datetime | dt.date | dt.time:
    """The date a serial number shows: a ``time`` below 1, a ``date`` at midnight, else a ``datetime``
    (to the millisecond, as Excel keeps it)."""
    if serial < 1:
        return (dt.datetime.min + dt.timedelta(milliseconds=round(serial * 86_400_000))).time()
    if date1904:
        epoch, days = EPOCH_1904, serial
    else:
        # Excel counts a 1900-02-29 that never was: serials before 60 are a day later than the epoch
        # gives, and 60 itself reads as the 28th.
        epoch, days = EPOCH_1900, serial + 1 if serial < 60 else serial
    moment = epoch + dt.timedelta(milliseconds=round(days * 86_400_000))
    return moment.date() if moment.time() == dt.time(0) else moment


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(el: Any, local: str) -> str | None:
    """The attribute named ``local`` in any namespace: strict OOXML and transitional name them
    differently (r:id)."""
    for key, value in el.attrib.items():
        if _local(key) == local:
            return str(value)
    return None


def _open(zf: zipfile.ZipFile, name: str, limit: int) -> Any:
    """The part ``name``, opened for reading; TooLarge when it declares more than ``limit`` bytes."""
    if zf.getinfo(name).file_size > limit:
        raise TooLarge(name)
    return zf.open(name)


def _parse(zf: zipfile.ZipFile, name: str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    with _open(zf, name, PART_MAX_BYTES) as fh:
        return etree.parse(fh, parser).getroot()


def _unescape(text: str) -> str:
    # Excel writes characters XML cannot hold (a carriage return, say) as _xHHHH_.
    return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _rich_text(el: Any) -> str:
    """The text of a shared or inline string: its runs' ``t`` parts joined, leaving out phonetic
    guides (``rPh``), which Excel shows above the text, not in it."""
    parts: list[str] = []
    for child in el:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return _unescape("".join(parts))


class Workbook:
    """The parts of an open workbook needed to read its first sheet's cells."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            raise Unreadable("no xl/workbook.xml")
        book = _parse(zf, "xl/workbook.xml")
        self.date1904 = any(
            _local(el.tag) == "workbookPr" and (el.get("date1904") or "").lower() in ("1", "true")
            for el in book
        )
        sheets = [el for sheets in book if _local(sheets.tag) == "sheets" for el in sheets]
        rel_id = _attr(sheets[0], "id") if sheets else None
        targets: dict[str, str] = {}
        types: dict[str, str] = {}
        if "xl/_rels/workbook.xml.rels" in names:
            for rel in _parse(zf, "xl/_rels/workbook.xml.rels"):
                target = rel.get("Target") or ""
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                targets[rel.get("Id") or ""] = path
                types[(rel.get("Type") or "").rsplit("/", 1)[-1]] = path
        self.sheet = targets.get(rel_id or "", "xl/worksheets/sheet1.xml")
        if self.sheet not in names:
            raise Unreadable(f"no first sheet at {self.sheet}")
        strings = types.get("sharedStrings", "xl/sharedStrings.xml")
        styles = types.get("styles", "xl/styles.xml")
        self.strings = self._strings(zf, strings) if strings in names else []
        self.styles = self._styles(zf, styles) if styles in names else []

    @staticmethod
    def _strings(zf: zipfile.ZipFile, name: str) -> list[str]:
        out: list[str] = []
        with _open(zf, name, STRINGS_MAX_BYTES) as fh:
            for _event, si in etree.iterparse(
                fh, events=("end",), tag="{*}si", resolve_entities=False, no_network=True, load_dtd=False
            ):
                out.append(_rich_text(si))
                si.clear()
        return out

    @staticmethod
    def _styles(zf: zipfile.ZipFile, name: str) -> list[str | None]:
        """Per cell style (``s``), DATE, DURATION or None."""
        root = _parse(zf, name)
        custom: dict[int, str] = {}
        kinds: list[str | None] = []
        for part in root:
            if _local(part.tag) == "numFmts":
                for fmt in part:
                    try:
                        custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode") or ""
                    except ValueError:
                        continue
        for part in root:
            if _local(part.tag) != "cellXfs":
                continue
            for xf in part:
                try:
                    fmt_id = int(xf.get("numFmtId") or 0)
                except ValueError:
                    fmt_id = 0
                if fmt_id in custom:  # a workbook may redefine a built-in id; its own code wins
                    kinds.append(number_format_kind(custom[fmt_id]))
                elif fmt_id in BUILTIN_DATE_FORMATS:
                    kinds.append(DATE)
                else:
                    kinds.append(DURATION if fmt_id in BUILTIN_DURATION_FORMATS else None)
        return kinds

    def rows(self, zf: zipfile.ZipFile) -> Iterator[list[CellValue]]:
        """Every row from row 1 to the last the sheet holds, as a list of values by column from A
        (``""`` where a cell is empty; a missing row is an empty list). Parsed as it is read: each
        row's XML is freed once converted."""
        cells = _Cells(self)
        row_no = 0
        with _open(zf, self.sheet, SHEET_MAX_BYTES) as fh:
            for _event, row in etree.iterparse(
                fh, events=("end",), tag="{*}row", resolve_entities=False, no_network=True, load_dtd=False
            ):
                ref = row.get("r")
                number = int(ref) if ref and ref.isdigit() else row_no + 1
                if number > MAX_ROW:
                    raise Unreadable(f"row {number} is beyond Excel's last")
                while row_no + 1 < number:  # rows the sheet leaves out are blank
                    row_no += 1
                    yield []
                row_no = max(row_no, number)
                yield cells.values(row)
                # Free the row and what came before it: the parser otherwise keeps the whole tree.
                row.clear()
                parent = row.getparent()
                if parent is not None:
                    while row.getprevious() is not None:
                        del parent[0]


class _Cells:
    """Turns a ``row`` element's cells into values, in the sheet's own namespace (transitional or
    strict OOXML), which the first row tells."""

    def __init__(self, book: Workbook) -> None:
        self.strings, self.styles, self.date1904 = book.strings, book.styles, book.date1904
        self.columns: dict[str, int] = {}  # column letters -> 0-based index
        self.row_tag: str | None = None

    def _tags(self, row_tag: str) -> None:
        ns = row_tag[: row_tag.index("}") + 1] if row_tag.startswith("{") else ""
        self.c, self.v, self.inline, self.t = (f"{ns}{n}" for n in ("c", "v", "is", "t"))
        self.row_tag = row_tag

    def values(self, row: Any) -> list[CellValue]:
        if row.tag != self.row_tag:
            self._tags(row.tag)
        values: list[CellValue] = []
        c, v = self.c, self.v
        for cell in row:
            if cell.tag != c:
                continue
            kind = cell.get("t")
            if kind == "inlineStr":
                value: CellValue = self._inline(cell)
            else:
                # Its saved value; a formula (f) comes before it. ElementPath's find is far slower.
                text = None
                for child in cell:
                    if child.tag == v:
                        text = child.text
                        break
                value = "" if text is None else self._value(cell, kind, text)
            ref = cell.get("r")
            if ref is None:
                values.append(value)
                continue
            letters = ref.rstrip(DIGITS)
            col = self.columns.get(letters)
            if col is None:
                col = _column(letters) if len(letters) <= 3 else MAX_COLUMN
                if col >= MAX_COLUMN:
                    raise Unreadable(f"cell {ref} is beyond Excel's last column")
                self.columns[letters] = col
            n = len(values)
            if col == n:
                values.append(value)
            elif col > n:
                values.extend([""] * (col - n))
                values.append(value)
            else:  # a repeated or out-of-order reference: the later cell wins
                values[col] = value
        return values

    def _inline(self, cell: Any) -> str:
        for box in cell:
            if box.tag != self.inline:
                continue
            parts = list(box)
            if len(parts) == 1 and parts[0].tag == self.t:  # the usual shape: <is><t>text</t></is>
                text = parts[0].text or ""
                return _unescape(text)
            return _rich_text(box)
        return ""

    def _value(self, cell: Any, kind: str | None, text: str) -> CellValue:
        try:
            if kind is None or kind == "n":
                number = float(text)
            elif kind == "s":
                return self.strings[int(text)]
            elif kind == "str":
                return _unescape(text)
            elif kind == "b":
                return text.strip() in ("1", "true")
            elif kind == "d":
                return dt.datetime.fromisoformat(text.strip().rstrip("Z"))
            else:  # "e", an error such as #N/A, or a type no spreadsheet writes
                return ""
        except (ValueError, IndexError):
            return ""
        style = cell.get("s")
        if style is None or style == "0":
            return number
        styles = self.styles
        fmt = styles[int(style)] if style.isdigit() and int(style) < len(styles) else None
        if fmt == DATE and number >= 0:
            return serial_to_date(number, date1904=self.date1904)
        if fmt == DURATION:
            return dt.timedelta(milliseconds=round(number * 86_400_000))
        return number


def _column(letters: str) -> int:
    """The 0-based column of a reference's letters ("A" is 0, "AB" is 27)."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def open_rows(opener: Opener) -> Iterator[list[CellValue]]:
    """The first sheet's rows, read from the file ``opener`` opens (see :meth:`Workbook.rows`).
    Raises :class:`Unreadable` for a file that is not a readable workbook, on opening or while rows
    are read, and :class:`TooLarge` for one that unpacks to more than the limits, before reading the
    part that would."""
    with opener() as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError) as exc:
            raise Unreadable(str(exc)) from exc
        with zf:
            try:
                book = Workbook(zf)
                yield from book.rows(zf)
            except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise Unreadable(str(exc)) from exc
