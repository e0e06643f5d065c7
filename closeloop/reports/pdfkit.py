"""The building blocks every Closeloop PDF shares: the embedded Chinese font, paragraph styles, safe
text, tables, and pages with a header and page numbers.

Safety: every piece of recorded text goes through :func:`para` (or :func:`cell`), which escapes it, so
markup typed by a customer (``<img src="http://…">``, ``<link>``, ``<font>``) is printed as text and the
renderer never fetches anything. Images come only from files already stored with the complaint.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from closeloop.reports.fonts import FONT, FONT_BOLD, fonts_register

INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#d1d5db")
HEAD_FILL = colors.HexColor("#eef2f7")
ACCENT = colors.HexColor("#206bc4")

PAGE = A4
MARGIN = 16 * mm
WIDTH = PAGE[0] - 2 * MARGIN


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle


def styles() -> Styles:
    """Paragraph styles on the embedded font (registers it on first use)."""
    fonts_register()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, textColor=INK, alignment=TA_LEFT)
    # CJK text has no spaces to break at: wordWrap="CJK" breaks between any two characters.
    base.wordWrap = "CJK"
    return Styles(
        title=ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=17, leading=22, spaceAfter=4),
        h1=ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=ACCENT,
        ),
        h2=ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=10, leading=14, spaceBefore=6),
        body=base,
        small=ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=MUTED),
        cell=ParagraphStyle("cell", parent=base, fontSize=8.5, leading=12),
        cell_head=ParagraphStyle("cell_head", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=12),
    )


def safe(value: Any) -> str:
    """Recorded text as paragraph markup: escaped, line breaks kept. None and "" read as an em dash."""
    if value is None or value == "":
        return "—"
    return escape(str(value)).replace("\n", "<br/>")


def para(value: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of recorded (untrusted) text."""
    return Paragraph(safe(value), style)


def label(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of our own (translated) text, escaped too: translations are data as well."""
    return Paragraph(escape(str(text)), style)


def table(
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[float] | None = None,
    header: bool = True,
    st: Styles | None = None,
) -> Table:
    """A ruled table; str cells become escaped paragraphs (so long text wraps), flowables pass through."""
    st = st or styles()
    data = []
    for r, row in enumerate(rows):
        style = st.cell_head if header and r == 0 else st.cell
        data.append([c if isinstance(c, Flowable) else para(c, style) for c in row])
    t = Table(data, colWidths=list(widths) if widths else None, repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        # Every cell "sets" its font even when it holds a paragraph: without this the PDF names an
        # unembedded Helvetica.
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL))
    t.setStyle(TableStyle(commands))
    return t


def key_values(
    pairs: Sequence[tuple[Any, Any]],
    *,
    st: Styles | None = None,
    columns: int = 2,
    label_width: float = 24 * mm,
) -> Table:
    """Label/value pairs laid out in ``columns`` column pairs (a document header); bilingual labels want
    a wider ``label_width``."""
    st = st or styles()
    cells = [(label(k, st.cell_head), para(v, st.cell)) for k, v in pairs]
    rows = []
    for i in range(0, len(cells), columns):
        chunk = cells[i : i + columns]
        row: list[Any] = []
        for k, v in chunk:
            row += [k, v]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    label_w = label_width
    value_w = (WIDTH - columns * label_w) / columns
    t = Table(rows, colWidths=[label_w, value_w] * columns)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *[("BACKGROUND", (2 * c, 0), (2 * c, -1), HEAD_FILL) for c in range(columns)],
            ]
        )
    )
    return t


def render(
    story: list[Flowable],
    *,
    title: str,
    header_left: str,
    header_right: str = "",
    footer: Callable[[int], str] | None = None,
) -> bytes:
    """Lay ``story`` out on A4 pages with a header line and "page n" footer; return the PDF bytes."""
    fonts_register()
    buf = io.BytesIO()

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        top = PAGE[1] - MARGIN + 6 * mm
        canvas.drawString(MARGIN, top, header_left)
        if header_right:
            canvas.drawRightString(PAGE[0] - MARGIN, top, header_right)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, top - 2, PAGE[0] - MARGIN, top - 2)
        text = footer(doc.page) if footer else str(doc.page)
        canvas.drawCentredString(PAGE[0] / 2, MARGIN - 8 * mm, text)
        canvas.restoreState()

    doc = BaseDocTemplate(
        buf,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Closeloop",
        creator="Closeloop",
        # The canvas otherwise starts every page in Helvetica, a font reference no PDF of ours needs
        # and that is never embedded.
        initialFontName=FONT,
    )
    frame = Frame(MARGIN, MARGIN, WIDTH, PAGE[1] - 2 * MARGIN, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    doc.build(story)
    return buf.getvalue()
