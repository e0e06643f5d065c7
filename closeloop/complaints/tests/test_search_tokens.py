"""Search tokens: the words a query requires (search.query_tokens) find exactly the documents that hold
every word of search.tokenize."""

from __future__ import annotations

from closeloop.complaints.search import query_tokens, search_document, tokenize
from closeloop.core.demo import ISSUES

# Stored texts: the demo's issues (titles, descriptions, requirements) and a few longer compounds.
TEXTS = [text for _category, _severity, *texts in ISSUES for text in texts] + [
    "变速箱漏油严重，客户要求更换",
    "无级变速箱异响",
    "苏州精工电子科技有限公司",
    "螺丝刀杆表面生锈 PH2 batch KS-2026-000123",
]


def test_a_word_implied_by_a_longer_one_is_not_required_again():
    assert tokenize("变速箱") == ["变速", "变速箱"] and query_tokens("变速箱") == ["变速箱"]
    assert query_tokens("变速箱漏油") == ["变速箱", "漏油"]
    assert query_tokens("电子科技有限公司") == ["电子科技", "有限公司"]
    # A word typed on its own is implied all the same; Latin words never are (each must match whole).
    assert query_tokens("变速 变速箱") == ["变速箱"]
    assert query_tokens("ph ph2") == ["ph", "ph2"]
    assert query_tokens("漏油") == ["漏油"] and query_tokens("，。") == []


def test_query_tokens_match_exactly_the_documents_that_tokenize_matches():
    documents = [set(search_document([text]).split()) for text in TEXTS]
    # Every run of two to six characters of the stored texts, as someone might type it.
    queries = {
        text[i:j] for text in TEXTS for i in range(len(text)) for j in range(i + 2, min(i + 7, len(text)) + 1)
    }
    shortened = found = 0
    for q in sorted(queries):
        every, required = set(tokenize(q)), set(query_tokens(q))
        shortened += required != every
        for doc in documents:
            assert (every <= doc) == (required <= doc), (q, sorted(doc))
            found += required != every and every <= doc
    # The queries do exercise the dropped words, on documents that hold them.
    assert shortened > 100 and found > 50
