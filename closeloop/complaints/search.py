"""Chinese-aware search text. Documents and queries are cut into words in jieba's search mode, so a
two-character word such as 漏油 is a token that an index can serve; Latin words are lower-cased.

The cutting is rjieba's (jieba-rs, in Rust): the same dictionary and the same cuts as the jieba Python
package the search text was first made with, in under half its memory (36 MB against 83 MB in
every web and worker process that cuts text) and about seven times its speed. Its cuts are held to
jieba's by a test (``test_search_tokens``), so documents stored by either match queries cut by the
other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)
# The blocks of a chunk that jieba's Python version cuts (its ``re_han_default``, among the word
# characters a chunk can hold: CJK to U+9FD5, Latin letters, digits and "_"), and any other character,
# which it yields on its own. rjieba also counts the rarer CJK (Extension A, U+9FD6-U+9FFF, the
# compatibility ideographs) as part of a block; splitting at them first keeps its blocks jieba's.
_BLOCK = re.compile(r"([\u4e00-\u9fd5a-z0-9_]+)|.", re.DOTALL)
_UNDERSCORE_RUNS = re.compile(r"_+|[^_]+")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    # The module's own instance, made when it is imported (a Jieba() of ours would be a second copy of
    # the dictionary).
    import rjieba

    return rjieba


def tokenizer_load() -> None:
    """Load the dictionary now (0.1 s, 36 MB) rather than for the first text cut: a web process does it
    when it starts, so no request pays for it (a create would pay it while holding the year's number
    counter)."""
    _jieba()


def _for_search(jieba: Any, block: str) -> list[str]:
    """jieba's search mode over a block holding a "_": its words (rjieba keeps letters and digits
    joined by "_" as one word, where jieba splits them at the "_"), each preceded by the dictionary
    words of two and then three characters inside it when it is longer than that."""
    out: list[str] = []
    for word in jieba.cut(block, True):
        for w in _UNDERSCORE_RUNS.findall(word) if "_" in word else (word,):
            for n in (2, 3):
                if len(w) > n:
                    out += [g for g in (w[i : i + n] for i in range(len(w) - n + 1)) if jieba.has_word(g)]
            out.append(w)
    return out


def _cut(chunk: str) -> list[str]:
    """jieba's search-mode words of one lower-cased chunk of text, blanks dropped."""
    jieba = _jieba()
    out: list[str] = []
    for m in _BLOCK.finditer(chunk):
        block = m.group(1)
        if not block:
            out.append(m.group())
            continue
        words = _for_search(jieba, block) if "_" in block else jieba.cut_for_search(block, True)
        out += [t for t in (token.strip() for token in words) if t]
    return out


def _tokens(text: str, cut: Callable[[str], Iterable[str]]) -> list[str]:
    if not text:
        return []
    seen: dict[str, None] = {}
    for chunk in _WORD.findall(text.lower()):
        if chunk.isascii():
            seen.setdefault(chunk, None)
            continue
        for token in cut(chunk):
            seen.setdefault(token, None)
    return list(seen)


def tokenize(text: str) -> list[str]:
    """Return the distinct search tokens of ``text`` in first-seen order."""
    return _tokens(text, _cut)


def _implied(token: str, tokens: list[str]) -> bool:
    """Whether every document holding one of ``tokens`` also holds ``token``: jieba's search mode emits,
    with each word longer than two characters, the dictionary words of two characters inside it, and with
    each word longer than three those of three characters (so 变速箱 always comes with 变速)."""
    if token.isascii() or not 2 <= len(token) <= 3 or not _jieba().has_word(token):
        return False
    return any(len(other) > len(token) and token in other and not other.isascii() for other in tokens)


def query_tokens(text: str) -> list[str]:
    """The tokens a search for ``text`` requires: :func:`tokenize`'s without those another of them
    implies (变速箱 for 变速箱, not 变速 and 变速箱). A stored document holds all of ``tokenize(text)``
    exactly when it holds all of these, so the matches are the same; but PostgreSQL estimates a match by
    multiplying its words' frequencies as if they were independent, and the implied words made it guess
    2,500 rows for 变速箱 where 50,000 match, and plan the list's query for the wrong case."""
    tokens = tokenize(text)
    return [t for t in tokens if not _implied(t, tokens)]


def _parts_tokens(parts: Iterable[str | None], tokens_of: Callable[[str], list[str]]) -> list[str]:
    tokens: dict[str, None] = {}
    for part in parts:
        for token in tokens_of(part or ""):
            tokens.setdefault(token, None)
    return list(tokens)


def document_join(tokens: Iterable[str]) -> str:
    """The stored ``search_text`` for ``tokens`` (the first of repeated ones kept, in order)."""
    return " " + " ".join(dict.fromkeys(tokens)) + " "


def tokenize_parts(parts: Iterable[str | None]) -> list[str]:
    """The distinct tokens of ``parts`` in first-seen order: ``document_join(tokenize_parts(parts))`` is
    ``search_document(parts)``, and so is ``document_join([*tokenize_parts(head), *tokenize_parts(tail)])``
    for ``parts == head + tail``."""
    return _parts_tokens(parts, tokenize)


def search_document(parts: Iterable[str | None]) -> str:
    """Build the stored ``search_text`` from the searchable fields (space-separated tokens)."""
    return document_join(tokenize_parts(parts))


class Tokenizer:
    """:func:`tokenize` and :func:`search_document` for bulk work (an import): jieba's cut of each chunk
    of text (a run between punctuation) is remembered, because customer and product names and stock
    phrases repeat from row to row, and jieba costs far more than the lookup. The output is exactly the
    module functions' (a chunk's cut does not depend on its neighbours). At most ``limit`` chunks are
    kept; the memory is dropped whole when it is full, so it stays bounded on any input. Each row's
    description is mostly chunks of its own, so the memory mostly holds those: at 20,000 it added 9 MB
    to an import's peak, while the chunks that do repeat are few and found again at once."""

    def __init__(self, limit: int = 5_000) -> None:
        self._limit = limit
        self._cuts: dict[str, tuple[str, ...]] = {}

    def _cut(self, chunk: str) -> tuple[str, ...]:
        cut = self._cuts.get(chunk)
        if cut is None:
            if len(self._cuts) >= self._limit:
                self._cuts.clear()
            cut = self._cuts[chunk] = tuple(_cut(chunk))
        return cut

    def tokenize(self, text: str) -> list[str]:
        return _tokens(text, self._cut)

    def tokens(self, parts: Iterable[str | None]) -> list[str]:
        """The distinct tokens of ``parts`` in first-seen order. ``document_join(self.tokens(parts))`` is
        ``search_document(parts)``, and so is ``document_join([*self.tokens(head), *self.tokens(tail)])``
        for ``parts == head + tail``."""
        return _parts_tokens(parts, self.tokenize)
