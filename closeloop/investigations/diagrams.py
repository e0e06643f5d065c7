"""The fishbone (鱼骨图) as an SVG picture, drawn from the D4 causes. Pure: text in, escaped SVG out.

Six bones (人 机 料 法 环 测), three above the spine and three below; each cause is a label on its
bone. Verified causes are bold and dark, refuted ones struck through and grey, candidates plain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BONES = ["man", "machine", "material", "method", "environment", "measurement"]
WIDTH, HEIGHT = 900, 440
SPINE_Y = HEIGHT // 2
HEAD_X = WIDTH - 190
STYLE = {
    "verified": 'font-weight="700" fill="#1d5f2c"',
    "refuted": 'fill="#8a8f98" text-decoration="line-through"',
    "candidate": 'fill="#28405f"',
}
MAX_PER_BONE = 5


def _clip(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fishbone_svg(
    *,
    causes: Sequence[Mapping[str, Any]],
    head: str,
    labels: Mapping[str, Any],
    title: str = "",
) -> SafeString:
    """An accessible SVG: ``causes`` are D4 cause dicts (category, text, status, id); ``labels`` give each
    bone's translated name; ``head`` is the problem. Every text is escaped."""
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="fishbone-title" class="fishbone" style="width:100%;height:auto;max-height:26rem">',
        f'<title id="fishbone-title">{escape(title or head)}</title>',
        f'<line x1="30" y1="{SPINE_Y}" x2="{HEAD_X}" y2="{SPINE_Y}" stroke="#28405f" stroke-width="4"/>',
        f'<polygon points="{HEAD_X},{SPINE_Y - 40} {WIDTH - 10},{SPINE_Y} {HEAD_X},{SPINE_Y + 40}" '
        'fill="#e7ecf5" stroke="#28405f" stroke-width="2"/>',
        f'<text x="{HEAD_X + 12}" y="{SPINE_Y + 5}" font-size="16" font-weight="700" fill="#1d273b">'
        f"{escape(_clip(head, 12))}</text>",
    ]
    by_bone: dict[str, list[Mapping[str, Any]]] = {b: [] for b in BONES}
    for cause in causes:
        if cause.get("category") in by_bone:
            by_bone[str(cause["category"])].append(cause)
    span = (HEAD_X - 80) // 3
    for i, bone in enumerate(BONES):
        above = i < 3
        x_spine = 80 + (i % 3) * span + span - 40
        x_tip = x_spine - 110
        y_tip = 40 if above else HEIGHT - 40
        parts.append(
            f'<line x1="{x_tip}" y1="{y_tip}" x2="{x_spine}" y2="{SPINE_Y}" '
            'stroke="#28405f" stroke-width="2"/>'
        )
        label_y = y_tip - 12 if above else y_tip + 22
        parts.append(
            f'<text x="{x_tip - 10}" y="{label_y}" font-size="20" font-weight="700" fill="#1d273b" '
            f'data-bone="{bone}">{escape(str(labels.get(bone, bone)))}</text>'
        )
        items = by_bone[bone][:MAX_PER_BONE]
        for j, cause in enumerate(items):
            t = (j + 1) / (MAX_PER_BONE + 1)
            x = x_tip + (x_spine - x_tip) * t
            y = y_tip + (SPINE_Y - y_tip) * t
            status = str(cause.get("status", "candidate"))
            style = STYLE.get(status, STYLE["candidate"])
            text = escape(_clip(str(cause.get("text", ""))))
            parts.append(
                f'<line x1="{x - 6:.0f}" y1="{y:.0f}" x2="{x + 4:.0f}" y2="{y:.0f}" stroke="#8a8f98"/>'
            )
            parts.append(
                f'<text x="{x + 8:.0f}" y="{y + 4:.0f}" font-size="15" {style} '
                f'data-status="{escape(status)}">{text}</text>'
            )
            if status == "refuted":  # drawn too, since not every renderer honours text-decoration
                width = min(len(str(cause.get("text", ""))), 12) * 15
                parts.append(
                    f'<line x1="{x + 8:.0f}" y1="{y:.0f}" x2="{x + 8 + width:.0f}" y2="{y:.0f}" '
                    'stroke="#8a8f98" stroke-width="1"/>'
                )
        hidden = len(by_bone[bone]) - len(items)
        if hidden > 0:
            y_more = SPINE_Y + (-10 if above else 20)
            parts.append(
                f'<text x="{x_spine - 30}" y="{y_more}" font-size="11" fill="#8a8f98">+{hidden}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every interpolated text above is escaped
