"""The bulk path's search text (``complaints.bulk``): the number's tokens put before the rest, whose
text was joined when the batch was built, give what ``document_join`` of all the tokens gives."""

from __future__ import annotations

import pytest

from closeloop.complaints.bulk import _search_text, _Tail
from closeloop.complaints.search import document_join, tokenize


def _tail(tokens: list[str]) -> _Tail:
    return _Tail(tokens, f" {' '.join(tokens)} " if tokens else " ")


@pytest.mark.parametrize(
    ("number", "tail"),
    [
        ("KS-2026-000123", ["轴封", "漏油", "c001", "l2401a"]),
        ("KS-2026-000123", []),
        ("KS-2026-000123", ["漏油", "2026", "ks"]),  # the number's tokens in the tail: kept first, once
        ("KS-2026-000123", ["2026x", "x2026", "000123-"]),  # near misses are other tokens
        ("", ["漏油"]),
        ("", []),
    ],
)
def test_the_search_text_is_document_join_of_the_number_and_the_tail(number: str, tail: list[str]) -> None:
    tokens = tokenize(number)
    assert _search_text(tokens, _tail(tail)) == document_join([*tokens, *tail])
