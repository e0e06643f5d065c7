"""The language an 8D document is written in: Chinese, English, or both side by side.

Our own labels are translated (gettext); the recorded content is never machine-translated and is shown
once. In bilingual mode each label reads "中文 / English" (once only when both are the same, e.g. "5W2H").
Labels must be lazy (``gettext_lazy``) so that each language can be asked for in turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import ValidationFailed
from closeloop.reports.models import ReportLanguage

BILINGUAL = ReportLanguage.BILINGUAL.value
LANGUAGES: tuple[str, ...] = tuple(ReportLanguage.values)


def language_check(value: str | None, *, default: str = ReportLanguage.ZH.value) -> str:
    """``value`` as a report language (``default`` when empty). Raises ValidationFailed naming ``lang``."""
    value = (value or "").strip().lower() or default
    if value not in LANGUAGES:
        raise ValidationFailed(
            fields={
                "lang": [
                    _("Choose the report language: %(choices)s.") % {"choices": ", ".join(LANGUAGES)},
                ]
            }
        )
    return value


def _in(language: str, message: Any, kwargs: dict[str, Any]) -> str:
    with translation.override(language):
        text = str(message)
        return text % kwargs if kwargs else text


@dataclass(frozen=True)
class Lang:
    """How labels, dates and amounts read in one document."""

    code: str

    @property
    def bilingual(self) -> bool:
        return self.code == BILINGUAL

    @property
    def active(self) -> str:
        """The language to activate while rendering (Chinese leads in bilingual documents)."""
        return ReportLanguage.ZH.value if self.bilingual else self.code

    def t(self, message: Any, **kwargs: Any) -> str:
        """A label (lazy translatable string, ``%(name)s`` placeholders filled from ``kwargs``)."""
        if not self.bilingual:
            return _in(self.code, message, kwargs)
        zh = _in(ReportLanguage.ZH.value, message, kwargs)
        en = _in(ReportLanguage.EN.value, message, kwargs)
        return zh if zh == en else f"{zh} / {en}"

    def pair(self, zh: str, en: str) -> str:
        """A recorded name kept in both languages (a department's name and English name)."""
        if self.bilingual:
            return f"{zh} / {en}" if en and en != zh else zh
        if self.code == ReportLanguage.EN.value and en:
            return en
        return zh

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return "—"
        return self.t(_("Yes") if value else _("No"))


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d")
    return value.isoformat()


def fmt_datetime(value: dt.datetime | None) -> str:
    """2026-11-22 14:05 in the site's time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def fmt_money(value: Decimal) -> str:
    return f"{value:,.2f}"
