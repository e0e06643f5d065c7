"""The Chinese font every PDF embeds: Noto Sans SC (TrueType outlines), installed from npm by
`make run` / `make test` into node_modules, so a machine needs no system font packages.

ReportLab subsets and embeds it; text in any language the font covers (Chinese, English) renders the
same on every reader's machine.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "NotoSansSC"
FONT_BOLD = "NotoSansSC-Bold"
_PACKAGE = Path("@expo-google-fonts") / "noto-sans-sc"
_FILES = {FONT: "400Regular/NotoSansSC_400Regular.ttf", FONT_BOLD: "700Bold/NotoSansSC_700Bold.ttf"}


class FontMissing(RuntimeError):
    """The font package is not installed (run `make run` or `npm ci`)."""


def font_path(name: str) -> Path:
    return Path(settings.BASE_DIR) / "node_modules" / _PACKAGE / _FILES[name]


@functools.cache
def fonts_register() -> tuple[str, str]:
    """Register the regular and bold faces once per process; return their names. Raises FontMissing."""
    for name in _FILES:
        path = font_path(name)
        if not path.is_file():
            raise FontMissing(f"{path} is missing: run `npm ci` (make run and make test do).")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    # <b> in paragraphs picks the bold face.
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
    return FONT, FONT_BOLD
