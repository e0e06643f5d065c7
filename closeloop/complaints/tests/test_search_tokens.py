"""Search tokens: the words a query requires (search.query_tokens) find exactly the documents that hold
every word of search.tokenize."""

from __future__ import annotations

from closeloop.complaints.search import query_tokens, search_document, tokenize
from closeloop.core.demo_data import ISSUES

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
    from closeloop.complaints.creation import ComplaintData, complaint_create, complaint_search_parts

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


def _chunks(texts: list[str]) -> set[str]:
    from closeloop.complaints.search import _WORD

    return {c for t in texts for c in _WORD.findall(t.lower()) if not c.isascii()}


def test_the_cuts_are_those_of_the_jieba_the_search_text_was_first_made_with():
    # Stored documents were cut by the jieba Python package before rjieba replaced it: a query cut now
    # must give the same words, or those complaints would no longer be found. Chunks of every kind a
    # text can hold: the demo's and generator's texts, the whole Chinese catalogue, dictionary words run
    # together (where the cut is ambiguous), characters outside the dictionary (jieba's HMM), the rarer
    # CJK blocks, kana, hangul, full-width forms, accented Latin, and letters and digits joined by "_".
    import logging
    import random

    import jieba
    import polib
    from django.conf import settings

    from closeloop.complaints.search import _cut
    from closeloop.core import demo_data as demo
    from closeloop.core import generator

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    texts = TEXTS + [e.msgstr for e in catalogue] + [str(x) for x in (*demo.CUSTOMERS, *demo.PRODUCTS)]
    texts += generator.PLACES + demo.CONTACTS + demo.CARRIERS
    rnd = random.Random(11)
    words = [w for w in jieba.dt.FREQ if jieba.dt.FREQ[w]]
    ranges = [(0x4E00, 0x9FA5)] * 3 + [(0x3400, 0x4DBF), (0x9FD6, 0x9FFF), (0xF900, 0xFAFF), (0x3040, 0x30FF)]
    ranges += [(0xAC00, 0xD7A3), (0xFF10, 0xFF5A), (0x30, 0x39), (0x61, 0x7A), (0x5F, 0x5F), (0xE0, 0xFF)]
    for _ in range(20_000):
        pieces = [chr(rnd.randint(*rnd.choice(ranges))) for _ in range(rnd.randint(1, 10))]
        pieces += [rnd.choice(words) for _ in range(rnd.randint(0, 4))] + [rnd.choice(["_", "7", "ab_3"])]
        rnd.shuffle(pieces)
        texts.append("".join(pieces))
    chunks = _chunks(texts)
    assert len(chunks) > 20_000
    differ = [c for c in chunks if _cut(c) != [t for t in (w.strip() for w in jieba.cut_for_search(c)) if t]]
    assert differ == []
