"""The fishbone and the 5-Why chains as ReportLab vector drawings for the PDF.

The layout follows ``investigations/diagrams.py`` (the page's SVG): six bones, 人 机 料 法 环 测, three
above the spine and three below, each cause a label on its bone; verified causes bold and dark green,
refuted ones grey and struck through, candidates plain. A 5-Why chain is a row of boxes joined by
arrows, problem first. Text goes in as plain strings (ReportLab's ``String`` parses no markup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from closeloop.reports.eightd.records import CauseRow
from closeloop.reports.fonts import FONT, FONT_BOLD
from closeloop.reports.pdfkit import ACCENT, HEAD_FILL, INK, MUTED, RULE

BONES = ("man", "machine", "material", "method", "environment", "measurement")
MAX_PER_BONE = 5
VERIFIED = colors.HexColor("#1d5f2c")
SPINE = colors.HexColor("#28405f")


def clip(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def wrap(text: str, font: str, size: float, width: float, max_lines: int = 8) -> list[str]:
    """Lines of at most ``width`` points. Chinese breaks between any two characters; a Latin word moves
    whole to the next line when it can."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if stringWidth(line + ch, font, size) <= width:
                line += ch
                continue
            cut = line.rfind(" ")
            if ch != " " and cut > 0 and line[-1:].isascii() and ch.isascii():
                lines.append(line[:cut])
                line = line[cut + 1 :] + ch
            else:
                lines.append(line)
                line = "" if ch == " " else ch
        lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], clip(lines[max_lines - 1] + "…", font, size, width)]
    return lines


def _cause_label(d: Drawing, cause: CauseRow, x: float, y: float, width: float) -> None:
    size = 7.0
    if cause.status == "verified":
        font, color = FONT_BOLD, VERIFIED
    elif cause.status == "refuted":
        font, color = FONT, MUTED
    else:
        font, color = FONT, INK
    text = clip(cause.text, font, size, width)
    d.add(String(x, y - 2.5, text, fontName=font, fontSize=size, fillColor=color))
    if cause.status == "refuted":
        d.add(Line(x, y, x + stringWidth(text, font, size), y, strokeColor=MUTED, strokeWidth=0.7))


def fishbone_drawing(
    *, problem: str, causes: Sequence[CauseRow], bone_labels: Mapping[str, str], width: float
) -> Drawing:
    """The D4 fishbone, ``width`` points wide."""
    height = 250.0
    d = Drawing(width, height, initialFontName=FONT)  # no stray Helvetica reference
    spine_y = height / 2
    head_x = width - 112
    d.add(Line(8, spine_y, head_x, spine_y, strokeColor=SPINE, strokeWidth=2.5))
    d.add(
        Polygon(
            [head_x, spine_y - 42, width - 2, spine_y - 42, width - 2, spine_y + 42, head_x, spine_y + 42],
            fillColor=HEAD_FILL,
            strokeColor=SPINE,
            strokeWidth=1,
        )
    )
    lines = wrap(problem, FONT_BOLD, 8.5, width - head_x - 12, max_lines=6)
    top = spine_y + len(lines) * 11 / 2 - 8
    for i, line in enumerate(lines):
        d.add(String(head_x + 6, top - i * 11, line, fontName=FONT_BOLD, fontSize=8.5, fillColor=INK))

    by_bone: dict[str, list[CauseRow]] = {b: [] for b in BONES}
    for cause in causes:
        if cause.category in by_bone:
            by_bone[cause.category].append(cause)
    span = (head_x - 20) / 3
    for i, bone in enumerate(BONES):
        above = i < 3
        x_spine = 20 + (i % 3) * span + span - 8
        x_tip = x_spine - 58
        y_tip = height - 20 if above else 20
        d.add(Line(x_tip, y_tip, x_spine, spine_y, strokeColor=SPINE, strokeWidth=1.5))
        label = clip(bone_labels.get(bone, bone), FONT_BOLD, 9, span - 10)
        d.add(
            String(
                x_tip - 6,
                y_tip + 6 if above else y_tip - 13,
                label,
                fontName=FONT_BOLD,
                fontSize=9,
                fillColor=ACCENT,
            )
        )
        shown = by_bone[bone][:MAX_PER_BONE]
        for j, cause in enumerate(shown):
            t = (j + 1) / (MAX_PER_BONE + 1)
            x = x_tip + (x_spine - x_tip) * t
            y = y_tip + (spine_y - y_tip) * t
            d.add(Line(x - 4, y, x + 3, y, strokeColor=MUTED, strokeWidth=0.6))
            _cause_label(d, cause, x + 5, y, span - (x - x_tip) - 4)
        hidden = len(by_bone[bone]) - len(shown)
        if hidden > 0:
            d.add(
                String(
                    x_spine - 22,
                    spine_y + (6 if above else -12),
                    f"+{hidden}",
                    fontName=FONT,
                    fontSize=7,
                    fillColor=MUTED,
                )
            )
    return d


def _arrow(d: Drawing, x1: float, x2: float, y: float) -> None:
    d.add(Line(x1, y, x2 - 4, y, strokeColor=SPINE, strokeWidth=1))
    d.add(Polygon([x2 - 5, y + 3, x2, y, x2 - 5, y - 3], fillColor=SPINE, strokeColor=SPINE, strokeWidth=0.5))


def why_chain_drawing(
    *, kind: str, problem: str, whys: Sequence[str], problem_label: str, why_label: str, width: float
) -> Drawing:
    """One 5-Why chain: the kind on top, then problem → why 1 → … → why n as boxes joined by arrows.
    ``why_label`` is the caption with a ``%(n)s`` placeholder ("Why %(n)s")."""
    texts = [problem, *whys]
    captions = [problem_label, *[why_label % {"n": n} for n in range(1, len(whys) + 1)]]
    gap = 14.0
    n = len(texts)
    box_w = (width - (n - 1) * gap) / n
    size, leading = 7.5, 9.5
    wrapped = [wrap(x or "—", FONT, size, box_w - 8) for x in texts]
    box_h = max(len(w) for w in wrapped) * leading + 18
    height = box_h + 16
    d = Drawing(width, height, initialFontName=FONT)  # no stray Helvetica reference
    d.add(String(0, height - 9, kind, fontName=FONT_BOLD, fontSize=8.5, fillColor=ACCENT))
    for i, (lines, caption) in enumerate(zip(wrapped, captions, strict=True)):
        x = i * (box_w + gap)
        fill = HEAD_FILL if i == 0 else colors.white
        d.add(Rect(x, 0, box_w, box_h, fillColor=fill, strokeColor=RULE, strokeWidth=0.8, rx=3, ry=3))
        d.add(
            String(
                x + 4,
                box_h - 10,
                clip(caption, FONT, 6.5, box_w - 8),
                fontName=FONT,
                fontSize=6.5,
                fillColor=MUTED,
            )
        )
        for k, line in enumerate(lines):
            d.add(String(x + 4, box_h - 20 - k * leading, line, fontName=FONT, fontSize=size, fillColor=INK))
        if i < n - 1:
            _arrow(d, x + box_w + 1, x + box_w + gap - 1, box_h / 2)
    return d
