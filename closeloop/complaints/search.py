"""Chinese-aware search text. Documents and queries are cut into words with jieba (search mode),
so a two-character word such as 漏油 is a token that an index can serve; Latin words are lower-cased.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Return the distinct search tokens of ``text`` in first-seen order."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for chunk in _WORD.findall(text.lower()):
        if chunk.isascii():
            seen.setdefault(chunk, None)
            continue
        for token in _jieba().cut_for_search(chunk):
            token = token.strip()
            if token:
                seen.setdefault(token, None)
    return list(seen)


def search_document(parts: Iterable[str | None]) -> str:
    """Build the stored ``search_text`` from the searchable fields (space-separated tokens)."""
    tokens: dict[str, None] = {}
    for part in parts:
        for token in tokenize(part or ""):
            tokens.setdefault(token, None)
    return " " + " ".join(tokens) + " "
