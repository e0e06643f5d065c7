"""The streaming workbook reader (``intake.importing.xlsx``): the values it reads equal those of
python-calamine, which it replaced, on workbooks written by openpyxl and on hand-written XML parts
(shared and inline strings, rich text, escapes, errors, formulas, every date format, both date
systems, sparse rows and cells); rows are freed as they are read; damage and external entities are
refused or ignored, never followed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from closeloop.core.errors import ValidationFailed
from closeloop.intake.importing import xlsx
from closeloop.intake.importing.readers import read_sheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _calamine(data: bytes) -> list[list[Any]]:
    """calamine's rows, shifted back to start at column A (it drops leading blank columns)."""
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    lead = sheet.start[1] if sheet.start else 0
    return [[""] * lead + list(row) for row in sheet.iter_rows()]


def _ours(data: bytes) -> list[list[Any]]:
    return list(xlsx.open_rows(lambda: io.BytesIO(data)))


def _same(data: bytes) -> None:
    """Row for row, cell for cell, equal to calamine's, blank padding aside. Text is compared
    stripped: calamine trims inline strings without xml:space="preserve", and the importer strips
    every cell anyway."""

    def norm(rows: list[list[Any]]) -> list[list[Any]]:
        out = [[v.strip() if isinstance(v, str) else v for v in row] for row in rows]
        for row in out:
            while row and row[-1] == "":
                row.pop()
        while out and not out[-1]:
            out.pop()
        return out

    ours, theirs = norm(_ours(data)), norm(_calamine(data))
    assert ours == theirs
    for a, b in zip(ours, theirs, strict=True):
        assert [type(v) for v in a] == [type(v) for v in b]


def _openpyxl(cells: dict[str, tuple[Any, str | None]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for ref, (value, fmt) in cells.items():
        ws[ref] = value
        if fmt:
            ws[ref].number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_values_written_by_openpyxl_read_as_calamine_reads_them():
    data = _openpyxl(
        {
            "C3": ("客户编码", None),
            "D3": ("数量", None),
            "E3": ("  前后空格  ", None),
            "C4": (1, None),
            "D4": (2.5, None),
            "E4": (True, None),
            "F4": (False, None),
            "C5": (dt.datetime(2026, 5, 1, 8, 30), None),
            "D5": (dt.date(2026, 5, 2), None),
            "E5": (dt.time(8, 30), None),
            "F5": (dt.timedelta(hours=30), None),
            "C6": ("=1+1", None),  # a formula openpyxl saves without a result
            "D6": (0.25, "0.00%"),
            "E6": (45000, "yyyy年m月d日"),
            "F6": (45000.5, "[$-409]d-mmm-yy;@"),
            "G6": (45000.75, "h:mm AM/PM"),
            "H6": (1.5, "[h]:mm:ss"),
            "I6": (3, "0"),
            "J6": (45000, '"Y"0'),  # a quoted y is text, not a year
            "K6": (45000, "#,##0.00_);[Red](#,##0.00)"),
            "AB12": ("far", None),
        }
    )
    _same(data)


def _workbook(
    sheet_rows: str,
    *,
    shared: str = "",
    styles: str = "",
    workbook_pr: str = "",
    sheet_target: str = "/xl/worksheets/data.xml",
) -> bytes:
    """A workbook from hand-written parts, as other programs than openpyxl write them: the sheet at a
    relationship target of its own, shared strings, styles."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr {workbook_pr}/>'
            '<sheets><sheet name="投诉" sheetId="1" r:id="rId7"/><sheet name="其他" sheetId="2" r:id="rId6"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId6" Type="{REL}/worksheet" Target="worksheets/other.xml"/>'
            f'<Relationship Id="rId7" Type="{REL}/worksheet" Target="{sheet_target}"/>'
            f'<Relationship Id="rId8" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId9" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
        )
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN}">{shared}</sst>')
        z.writestr("xl/styles.xml", f'<?xml version="1.0"?><styleSheet xmlns="{MAIN}">{styles}</styleSheet>')
        other = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c t="inlineStr"><is><t>not this one</t>'
        z.writestr("xl/worksheets/other.xml", f"{other}</is></c></row></sheetData></worksheet>")
        z.writestr(
            sheet_target.lstrip("/") if sheet_target.startswith("/") else f"xl/{sheet_target}",
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{sheet_rows}</sheetData></worksheet>',
        )
    return buf.getvalue()


SHARED = (
    "<si><t>plain</t></si>"
    '<si><r><t>ri</t></r><r><rPr><b/></rPr><t xml:space="preserve">ch </t></r>'
    '<rPh sb="0" eb="1"><t>PH</t></rPh></si>'
    "<si><t>a_x000D_b_x0041_</t></si>"
    "<si><t/></si>"
    "<si><t>&lt;&amp;&gt; 客户</t></si>"
)
STYLES = (
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/>'
    '<numFmt numFmtId="14" formatCode="0.00"/>'
    '<numFmt numFmtId="165" formatCode="[mm]:ss"/></numFmts>'
    '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="46"/>'
    '<xf numFmtId="31"/><xf numFmtId="57"/><xf numFmtId="165"/><xf numFmtId="10"/></cellXfs>'
)
ROWS = (
    '<row r="2"><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>2</v></c>'
    '<c r="E2" t="inlineStr"><is><t> in </t></is></c><c r="F2" t="s"><v>4</v></c>'
    '<c r="G2" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c></row>'
    '<row><c t="e"><v>#N/A</v></c><c t="b"><v>1</v></c><c t="str"><f>A1</f><v>fs</v></c>'
    '<c s="1"><v>45000.25</v></c><c s="2"><v>45000</v></c><c t="b"><v>0</v></c></row>'
    '<row r="5" spans="1:12"><c r="A5" s="3"><v>0.5</v></c><c r="B5" s="3"><v>45000</v></c>'
    '<c r="C5" s="4"><v>1.25</v></c><c r="D5" s="5"><v>45000</v></c>'
    '<c r="E5" t="d"><v>2026-05-01T08:00:00</v></c>'
    '<c r="F5" s="3"><v>60</v></c><c r="G5" s="3"><v>0</v></c><c r="H5" s="3"><v>1</v></c>'
    '<c r="I5" t="s"><v>3</v></c><c r="J5"><v>1E3</v></c><c r="K5" s="6"><v>45000.123</v></c>'
    '<c r="L5" s="7"><v>0.0125</v></c><c r="M5" s="8"><v>0.5</v></c><c r="N5" s="3"><v>59.5</v></c></row>'
    '<row r="8"><c r="C8" s="1"/><c r="E8"><f>SUM(A1)</f></c><c r="F8"><v>-0.5</v></c></row>'
)


@pytest.mark.parametrize("system", ["", 'date1904="1"'])
def test_hand_written_parts_read_as_calamine_reads_them(system):
    # Rich text without its phonetic guide, _xHHHH_ escapes, entities, errors as blank, a formula's
    # text, a workbook's own code for a built-in format id, the East Asian date formats, elapsed time,
    # Excel's phantom 1900-02-29, both date systems, rows and cells the sheet leaves out.
    _same(_workbook(ROWS, shared=SHARED, styles=STYLES, workbook_pr=system))


def test_the_first_sheet_is_found_through_the_workbook_relationships():
    row = '<row r="1"><c r="A1" t="inlineStr"><is><t>这张</t></is></c></row>'
    data = _workbook(row, sheet_target="sheets/s.xml")
    assert _ours(data) == [["这张"]]
    _same(data)


def test_what_each_cell_reads_as():
    rows = _ours(_workbook(ROWS, shared=SHARED, styles=STYLES))
    assert rows[0] == []  # row 1 is not in the sheet: blank
    assert rows[1] == ["", "plain", "rich ", "a\rbA", " in ", "<&> 客户", "富文本"]
    assert rows[2] == ["", True, "fs", dt.datetime(2023, 3, 15, 6, 0), 45000.0, False]
    assert rows[3] == []
    assert rows[4][:8] == [
        dt.time(12, 0),
        dt.date(2023, 3, 15),
        dt.timedelta(days=1, hours=6),
        dt.date(2023, 3, 15),
        dt.datetime(2026, 5, 1, 8, 0),
        dt.date(1900, 2, 28),  # serial 60, Excel's 1900-02-29
        dt.time(0, 0),
        dt.date(1900, 1, 1),
    ]
    assert rows[4][13] == dt.datetime(1900, 2, 28, 12, 0)  # 59.5
    assert rows[7] == ["", "", "", "", "", -0.5]  # an empty styled cell and a formula without result: blank


def test_a_negative_number_in_a_date_format_stays_a_number():
    # Excel shows ##### for it; calamine made it a time of day, which no complaint was received at.
    data = _workbook('<row r="1"><c r="A1" s="1"><v>-0.5</v></c></row>', styles=STYLES)
    assert _ours(data) == [[-0.5]]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("General", None),
        ("0.00", None),
        ("yyyy-mm-dd", xlsx.DATE),
        ("yyyy年m月d日", xlsx.DATE),
        ("[$-804]aaaa;@", None),  # 'a' alone is not a date code
        ("h:mm AM/PM", xlsx.DATE),
        ("[h]:mm:ss", xlsx.DURATION),
        ("[ss].000", xlsx.DURATION),
        ("[Red][h]:mm", xlsx.DURATION),
        ('"Y: "0.00"m"', None),
        ("\\Y000000", None),
        ("#,##0*y", None),  # * fills with the next character
        ("#,##0.00_);[Red](#,##0.00)", None),
        ("0;yyyy", None),  # only the first section counts
        ("[>=100][Magenta].00", None),
        ("dd/mm/yy", xlsx.DATE),
    ],
)
def test_which_number_formats_show_dates(code, kind):
    assert xlsx.number_format_kind(code) == kind


def _big(rows: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("c")
    ws.append(["客户编码", "标题", "问题描述", "数量"])
    for i in range(rows):
        ws.append([f"C{i % 300:03d}", "杆部生锈", f"客户反映产品表面出现锈迹，第{i + 1}行" * 3, i])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_rows_are_freed_as_they_are_read(monkeypatch):
    # The parser builds a tree as it goes; each row must be cut from it once read, or a large sheet
    # is held whole. When each row is handed over, at most the row before it is left in the tree,
    # emptied (the parser builds a few rows ahead, a chunk of input at a time).
    from lxml import etree

    real = etree.iterparse
    before: list[int] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        for event, el in real(*args, **kwargs):
            earlier = list(el.itersiblings(preceding=True))
            before.append(len(earlier) + sum(len(e) for e in earlier))
            yield event, el

    monkeypatch.setattr(xlsx.etree, "iterparse", watched)
    rows = _ours(_big(2000))
    assert len(rows) == 2001
    assert rows[2000][3] == 1999
    assert len(before) == 2001
    assert max(before) == 1


def test_a_sheet_is_parsed_once_and_read_again_from_its_spill(monkeypatch):
    calls: list[int] = []
    real = xlsx.open_rows

    def counted(opener: Any) -> Any:
        calls.append(1)
        return real(opener)

    monkeypatch.setattr(xlsx, "open_rows", counted)
    sheet = read_sheet(_big(300), "xlsx")
    assert sheet.headers == ["客户编码", "标题", "问题描述", "数量"]
    assert len(calls) == 1  # the headers: the first row only
    assert sheet.count() == 300
    first = list(sheet.rows())
    assert list(sheet.rows()) == first
    assert len(calls) == 2  # one full parse; the readings after it replay the spill
    description = "客户反映产品表面出现锈迹，第1行" * 3
    assert first[0] == (2, {"客户编码": "C000", "标题": "杆部生锈", "问题描述": description, "数量": 0})


def test_a_reading_stopped_early_leaves_no_spill_and_the_next_parses_again(monkeypatch):
    calls: list[int] = []
    real = xlsx.open_rows
    monkeypatch.setattr(xlsx, "open_rows", lambda opener: (calls.append(1), real(opener))[1])
    sheet = read_sheet(_big(50), "xlsx")
    rows = sheet.rows()
    next(rows)
    rows.close()
    assert sheet.count() == 50
    assert len(calls) == 3  # headers, the abandoned reading, the full one


def test_a_workbook_damaged_past_its_headers_is_refused_when_counted():
    data = _big(500)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet_xml[: len(sheet_xml) // 2]  # cut off mid-row
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)
    sheet = read_sheet(buf.getvalue(), "xlsx")
    assert sheet.headers[0] == "客户编码"
    with pytest.raises(ValidationFailed) as exc:
        sheet.count()
    assert list(exc.value.fields) == ["file"]


def test_a_zip_without_a_workbook_part_is_refused_naming_the_field():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}"><sheets/></workbook>')
    with pytest.raises(ValidationFailed) as exc:
        read_sheet(buf.getvalue(), "xlsx", field="upload")
    assert list(exc.value.fields) == ["upload"]


def test_external_entities_are_never_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    data = _workbook('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>')
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    body = parts["xl/worksheets/data.xml"].decode()
    body = body.replace('<?xml version="1.0"?>', f'<?xml version="1.0"?>{doctype}')
    parts["xl/worksheets/data.xml"] = body.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body_bytes in parts.items():
            z.writestr(name, body_bytes)
    try:
        rows = _ours(buf.getvalue())
    except xlsx.Unreadable:
        return  # refused outright: also safe
    assert "TOP-SECRET" not in repr(rows)
