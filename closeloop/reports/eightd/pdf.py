"""The 8D report as a PDF (A4, the embedded Noto Sans SC font), drawn from the built-in layout.

Every recorded text reaches ReportLab through ``pdfkit.para``/``safe`` (escaped) or as a drawing's plain
``String``, so markup typed by a customer is printed, never interpreted, and nothing is fetched.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from closeloop.reports import pdfkit
from closeloop.reports.eightd import labels as L
from closeloop.reports.eightd.drawings import VERIFIED, fishbone_drawing, why_chain_drawing
from closeloop.reports.eightd.images import EvidenceImage
from closeloop.reports.eightd.lang import Lang, language_check
from closeloop.reports.eightd.layout import (
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
from closeloop.reports.fonts import FONT


class _Styles:
    def __init__(self) -> None:
        st = pdfkit.styles()
        self.base = st
        # A heading never ends a page alone.
        self.h1 = ParagraphStyle(
            "8d_h1", parent=st.h1, keepWithNext=1, fontSize=13, leading=18, spaceBefore=14
        )
        self.h2 = ParagraphStyle("8d_h2", parent=st.h2, keepWithNext=1, spaceAfter=2)
        self.label = ParagraphStyle("8d_label", parent=st.cell_head, keepWithNext=1, spaceBefore=4)
        self.body = ParagraphStyle("8d_body", parent=st.body, spaceAfter=2)
        self.verified = ParagraphStyle("8d_verified", parent=st.cell_head, textColor=VERIFIED)
        self.refuted = ParagraphStyle("8d_refuted", parent=st.cell, textColor=pdfkit.MUTED)


def _grid(b: Grid, st: _Styles) -> Flowable:
    rows: list[list[Any]] = [list(b.header)]
    for i, row in enumerate(b.rows):
        mark = b.marks[i] if i < len(b.marks) else ""
        if mark == "refuted":
            rows.append([Paragraph(f"<strike>{pdfkit.safe(c)}</strike>", st.refuted) for c in row])
        elif mark == "verified":
            rows.append([pdfkit.para(c, st.verified) for c in row])
        elif mark == "total":
            rows.append(
                [pdfkit.para(c, st.base.cell_head) if c else Paragraph("", st.base.cell) for c in row]
            )
        else:
            rows.append(list(row))
    return pdfkit.table(rows, widths=[w * pdfkit.WIDTH for w in b.widths], st=st.base)


def _pictures(images: tuple[EvidenceImage, ...], st: _Styles) -> Flowable:
    cells: list[Any] = []
    for img in images:
        caption = " · ".join(x for x in (img.caption, img.name) if x)
        cells.append(
            [
                Image(io.BytesIO(img.data), width=img.width_mm * mm, height=img.height_mm * mm),
                pdfkit.para(caption, st.base.small),
            ]
        )
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append("")
    t = Table(rows, colWidths=[pdfkit.WIDTH / 2] * 2)
    # FONTNAME: an empty cell would otherwise be "drawn" in Helvetica, a font the PDF would then name.
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "LEFT"),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
            ]
        )
    )
    return t


def _flow(b: Block, st: _Styles) -> list[Flowable]:
    if isinstance(b, Title):
        return [
            Paragraph(pdfkit.safe(b.title), st.base.title),
            pdfkit.para(b.subtitle, st.base.small),
            Spacer(1, 3 * mm),
            Paragraph(f"{pdfkit.safe(b.number)}　{pdfkit.safe(b.subject)}", st.h1),
            HRFlowable(width="100%", thickness=1.2, color=pdfkit.ACCENT, spaceBefore=1, spaceAfter=4),
        ]
    if isinstance(b, Heading):
        return [pdfkit.label(b.text, st.h1 if b.level == 1 else st.h2)]
    if isinstance(b, Note):
        return [pdfkit.label(b.text, st.base.small)]
    if isinstance(b, Field):
        return [pdfkit.label(b.label, st.label), pdfkit.para(b.value, st.body)]
    if isinstance(b, KeyValues):
        return [pdfkit.key_values(b.pairs, st=st.base, columns=2)]
    if isinstance(b, Grid):
        return [_grid(b, st), Spacer(1, 2 * mm)]
    if isinstance(b, Fishbone):
        drawing = fishbone_drawing(
            problem=b.problem, causes=b.causes, bone_labels=b.bone_labels, width=pdfkit.WIDTH
        )
        return [KeepTogether([drawing])]
    if isinstance(b, WhyChains):
        out: list[Flowable] = []
        for kind, problem, whys in b.chains:
            drawing = why_chain_drawing(
                kind=kind,
                problem=problem,
                whys=whys,
                problem_label=b.problem_label,
                why_label=b.why_label,
                width=pdfkit.WIDTH,
            )
            out += [drawing, Spacer(1, 3 * mm)]
        return out
    if isinstance(b, Pictures):
        return [_pictures(b.images, st)]
    raise TypeError(b)


def eightd_pdf(data: EightDReport, *, language: str) -> bytes:
    """The report in ``language`` (zh-hans, en or bilingual) as PDF bytes. Raises ValidationFailed
    naming ``lang`` for another language, FontMissing when the font package is not installed."""
    lang = Lang(language_check(language))
    with translation.override(lang.active):
        st = _Styles()
        story = [f for block in eightd_blocks(data, lang) for f in _flow(block, st)]
        title = lang.t(L.TITLE)
        h = data.header
        return pdfkit.render(
            story,
            title=f"{h.number} {title}",
            header_left=f"{h.number} · {title}",
            header_right="、".join(h.customers),
            footer=lambda n: lang.t(L.PAGE, n=n),
        )
