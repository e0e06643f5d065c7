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


def test_a_new_complaint_is_searchable_by_its_number_and_every_text(agent, customer, frozen_now):
    # complaint_create cuts the texts before it takes the number and joins the number's words in front
    # after; the stored text is the whole document's all the same, a word the texts repeat once.
    from closeloop.complaints.services import ComplaintData, complaint_create, complaint_search_parts

    data = ComplaintData(
        channel="phone",
        received_at=frozen_now,
        customer=customer,
        title="批次 2026 变速箱漏油",
        description="KS 客户复检，齿轮泵漏油",
        lot="ks-2026-000001",
    )
    c = complaint_create(data=data, actor=agent)
    c.refresh_from_db()
    assert c.number == "KS-2026-000001"
    assert c.search_text == search_document(complaint_search_parts(c))
    words = c.search_text.split()
    assert words[:3] == ["ks", "2026", "000001"]
    assert len(words) == len(set(words)) and {"变速箱", "漏油", "齿轮泵", customer.code.lower()} <= set(words)
