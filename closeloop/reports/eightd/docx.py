"""The 8D report as an editable Word document (python-docx), drawn from the built-in layout.

Text goes into runs as plain text (python-docx escapes it), so markup typed by a customer stays text and
Word fetches nothing. Every style names an East-Asian font (``w:eastAsia``) besides the Latin one, so
Word shows the Chinese in a Chinese face rather than a fallback.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from django.utils import translation
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from closeloop.reports.eightd import labels as L
from closeloop.reports.eightd.lang import Lang, language_check
from closeloop.reports.eightd.layout import (
    BONES,
    Block,
    Field,
    Fishbone,
    Grid,
    Heading,
    KeyValues,
    Note,
    Pictures,
    Title,
    WhyChains,
    eightd_blocks,
)
from closeloop.reports.eightd.records import EightDReport

EAST_ASIA_FONT = "Microsoft YaHei"
LATIN_FONT = "Arial"
TEXT_WIDTH_MM = 170.0
ACCENT = RGBColor(0x20, 0x6B, 0xC4)
MUTED = RGBColor(0x6B, 0x72, 0x80)
VERIFIED = RGBColor(0x1D, 0x5F, 0x2C)
# Characters XML 1.0 cannot carry (python-docx would refuse the whole document over one of them).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """Recorded text as something a Word document can hold."""
    return _XML_ILLEGAL.sub("", "" if value is None else str(value))


def set_fonts(element: Any, *, latin: str = LATIN_FONT, east_asia: str = EAST_ASIA_FONT) -> None:
    """Name the Latin and East-Asian fonts on a style's or run's ``w:rPr``, dropping theme fonts (which
    would win over the names)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _document() -> DocumentObject:
    doc = Document()
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Caption"):
        set_fonts(doc.styles[name].element)
    doc.styles["Normal"].font.size = Pt(10)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.color.rgb = ACCENT
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(18)
    return doc


def _lines(p: Paragraph, text: str, **style: Any) -> None:
    """``text`` into ``p`` as runs, line breaks kept; "—" when empty."""
    lines = xml_text(text).split("\n") if text else ["—"]
    for i, line in enumerate(lines):
        run = p.add_run(line)
        run.bold = style.get("bold")
        run.font.strike = style.get("strike")
        if style.get("color") is not None:
            run.font.color.rgb = style["color"]
        if style.get("size"):
            run.font.size = style["size"]
        if i < len(lines) - 1:
            run.add_break(WD_BREAK.LINE)


def _shade(cell: Any, fill: str = "EEF2F7") -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _repeat_header(table: Table) -> None:
    trpr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _table(doc: DocumentObject, rows: Sequence[tuple[str, ...]], widths: list[float]) -> Table:
    table = doc.add_table(rows=len(rows), cols=len(widths))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.width = Mm(widths[c])
            cell.paragraphs[0].text = ""
            _lines(cell.paragraphs[0], value, size=Pt(9))
    return table


def _grid(doc: DocumentObject, b: Grid) -> None:
    widths = [w * TEXT_WIDTH_MM for w in b.widths]
    table = _table(doc, [b.header, *b.rows], widths)
    _repeat_header(table)
    for c in range(len(b.header)):
        cell = table.cell(0, c)
        _shade(cell)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for i, mark in enumerate(b.marks):
        for c, cell in enumerate(table.rows[i + 1].cells):
            if mark == "total" and not b.rows[i][c]:
                cell.paragraphs[0].text = ""  # a total row leaves what is not summed blank, not "—"
            for run in cell.paragraphs[0].runs:
                if mark in ("verified", "total"):
                    run.bold = True
                if mark == "verified":
                    run.font.color.rgb = VERIFIED
                if mark == "refuted":
                    run.font.strike = True
                    run.font.color.rgb = MUTED
    doc.add_paragraph()


def _fishbone(doc: DocumentObject, b: Fishbone) -> None:
    """The fishbone as a table, one column per bone, so it stays editable in Word."""
    p = doc.add_paragraph()
    _lines(p, f"→ {b.problem}", bold=True)
    table = doc.add_table(rows=2, cols=len(BONES))
    table.style = doc.styles["Table Grid"]
    for c, bone in enumerate(BONES):
        head = table.cell(0, c)
        _shade(head)
        _lines(head.paragraphs[0], b.bone_labels.get(bone, bone), bold=True, color=ACCENT, size=Pt(9))
        cell = table.cell(1, c)
        causes = [k for k in b.causes if k.category == bone]
        for i, k in enumerate(causes):
            para = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            _lines(
                para,
                k.text,
                size=Pt(9),
                bold=k.status == "verified",
                strike=k.status == "refuted",
                color=VERIFIED if k.status == "verified" else MUTED if k.status == "refuted" else None,
            )
    doc.add_paragraph()


def _why_chains(doc: DocumentObject, b: WhyChains) -> None:
    for kind, problem, whys in b.chains:
        p = doc.add_paragraph()
        _lines(p, kind, bold=True, color=ACCENT)
        p = doc.add_paragraph()
        steps = [f"{b.problem_label}: {problem}"]
        steps += [f"{b.why_label % {'n': n}}: {why}" for n, why in enumerate(whys, start=1)]
        _lines(p, "  →  ".join(steps))


def _block(doc: DocumentObject, b: Block) -> None:
    if isinstance(b, Title):
        doc.add_heading(xml_text(b.title), 0)
        _lines(doc.add_paragraph(), b.subtitle, color=MUTED, size=Pt(9))
        doc.add_heading(xml_text(f"{b.number}　{b.subject}"), 1)
    elif isinstance(b, Heading):
        doc.add_heading(xml_text(b.text), 1 if b.level == 1 else 2)
    elif isinstance(b, Note):
        _lines(doc.add_paragraph(), b.text, color=MUTED, size=Pt(8.5))
    elif isinstance(b, Field):
        label = doc.add_paragraph()
        label.paragraph_format.keep_with_next = True
        label.paragraph_format.space_after = Pt(0)
        _lines(label, b.label, bold=True, size=Pt(9))
        _lines(doc.add_paragraph(), b.value)
    elif isinstance(b, KeyValues):
        pairs = list(b.pairs)
        rows = [
            (*pairs[i], *(pairs[i + 1] if i + 1 < len(pairs) else ("", ""))) for i in range(0, len(pairs), 2)
        ]
        table = _table(doc, rows, [28.0, 57.0, 28.0, 57.0])
        for row in table.rows:
            for c in (0, 2):
                _shade(row.cells[c])
                for run in row.cells[c].paragraphs[0].runs:
                    run.bold = True
        doc.add_paragraph()
    elif isinstance(b, Grid):
        _grid(doc, b)
    elif isinstance(b, Fishbone):
        _fishbone(doc, b)
    elif isinstance(b, WhyChains):
        _why_chains(doc, b)
    elif isinstance(b, Pictures):
        for img in b.images:
            doc.add_picture(io.BytesIO(img.data), width=Mm(img.width_mm))
            caption = " · ".join(x for x in (img.caption, img.name) if x)
            _lines(doc.add_paragraph(style="Caption"), caption)
    else:
        raise TypeError(b)


def _page_furniture(doc: DocumentObject, left: str, page_label: str) -> None:
    """Header with the 8D number; footer "Page n" with Word's own PAGE field."""
    section = doc.sections[0]
    _lines(section.header.paragraphs[0], left, color=MUTED, size=Pt(8))
    footer = section.footer.paragraphs[0]
    footer.alignment = 1  # centre
    before, _sep, after = page_label.partition("%(n)s")
    if before:
        _lines(footer, before, size=Pt(8))
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    if after:
        _lines(footer, after, size=Pt(8))


def eightd_docx(data: EightDReport, *, language: str) -> bytes:
    """The report in ``language`` (zh-hans, en or bilingual) as DOCX bytes. Raises ValidationFailed
    naming ``lang`` for another language."""
    lang = Lang(language_check(language))
    with translation.override(lang.active):
        doc = _document()
        title = lang.t(L.TITLE)
        doc.core_properties.title = xml_text(f"{data.header.number} {title}")
        doc.core_properties.author = "Closeloop"
        _page_furniture(doc, f"{data.header.number} · {title}", lang.t(L.PAGE, n="%(n)s"))
        for block in eightd_blocks(data, lang):
            _block(doc, block)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
