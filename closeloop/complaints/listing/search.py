"""The complaint list's search: every token of the query against the stored ``search_text`` (the GIN
index on PostgreSQL, ``LIKE`` on SQLite), a number-like query also against the complaint number, and
PostgreSQL's estimate of a search that matches many rows (shown rounded instead of a count)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.db.models.sql.compiler import SQLCompiler

from closeloop.complaints.listing.filters import COUNT_CAP
from closeloop.complaints.models import Complaint
from closeloop.complaints.search import query_tokens

# A search PostgreSQL expects to match at least ESTIMATE_FROM rows, and at least ESTIMATE_SHARE of the
# table, is shown as "about N" rather than counted (see _search_estimate).
ESTIMATE_FROM = 10 * COUNT_CAP
ESTIMATE_SHARE = 0.01


# A query that could be (part of) a complaint number, e.g. "KS-2026-000123" or "2026-0001".
_NUMBER_LIKE = re.compile(r"[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*")


class _AllTokensMatch(Func):
    """``to_tsvector('simple', search_text) @@ (plainto_tsquery('simple', %s) && ...)``, one bound
    parameter per token. The left side is exactly the expression of the GIN index ``cmp_search_tsv``
    (migration 0003), so PostgreSQL can serve it from the index."""

    output_field = BooleanField()

    def __init__(self, column: str, tokens: list[str]) -> None:
        super().__init__(F(column), *[Value(t) for t in tokens])

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        column, *tokens = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        params: list[Any] = list(column_params)
        queries = []
        for token in tokens:
            token_sql, token_params = compiler.compile(token)
            queries.append(f"plainto_tsquery('simple', {token_sql})")
            params.extend(token_params)
        return f"to_tsvector('simple', {column_sql}) @@ ({' && '.join(queries)})", params


def search_filter(qs: QuerySet[Complaint], q: str) -> QuerySet[Complaint]:
    """Complaints whose search text holds every token of ``q``.

    ``q`` is cut with the same jieba tokenizer as the stored ``search_text`` (search.query_tokens: the
    words of search.tokenize that another does not imply), so the two-character words of Chinese (漏油)
    match, and Latin words match case-insensitively.
    PostgreSQL matches through the GIN index on ``to_tsvector('simple', search_text)``; SQLite
    matches the space-delimited tokens with ``LIKE '% token %'``. A query that looks like a complaint
    number also matches the number itself: as a substring on SQLite (a scan there anyway), as a
    prefix on PostgreSQL (served by the number's pattern index; a substring would force a scan of
    the whole table). User input only ever reaches the database as bound parameters.
    """
    tokens = query_tokens(q)
    if not tokens:
        return qs
    number_like = _NUMBER_LIKE.fullmatch(q) is not None
    if connection.vendor == "postgresql":
        match = Q(_AllTokensMatch("search_text", tokens))
        if number_like:
            match |= Q(number__startswith=q.upper())
        return qs.filter(match)
    match = Q()
    for token in tokens:
        match &= Q(search_text__contains=f" {token} ")
    if number_like:
        match |= Q(number__icontains=q)
    return qs.filter(match)


def _search_estimate(qs: QuerySet[Complaint]) -> int | None:
    """PostgreSQL's estimate of the number of rows of ``qs`` (a search) when it says the search matches
    many: at least ESTIMATE_FROM rows and ESTIMATE_SHARE of the table; None otherwise. One EXPLAIN (no
    rows are read), and the table's size when the estimate is large. PostgreSQL only.

    Even a capped count of a common word reads all its matches: the GIN bitmap of 50,000 rows, or a scan
    computing to_tsvector row after row (40 ms and 190 ms for 变速箱 and 漏油 at a million complaints).
    The planner estimates a word from the frequencies ANALYZE sampled for the most common words
    (pg_stats.most_common_elems), which are close; a word it has no statistics for it puts at 0.5 % of
    the rows at most (DEFAULT_TS_MATCH_SEL), even a word that matches nothing. ESTIMATE_SHARE stays
    above that guess, so only a set the statistics say is large goes uncounted. The frequencies of
    several words are multiplied as if the words were independent: words that mostly come together are
    underestimated (such a search is counted, as before), and words that seldom do are overestimated;
    only the latter can send a search with few matches to the sort index, whose walk then takes as
    long as it needs to meet a page of them.
    """
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # ``sql`` is Django's own compiled SQL; every user value stays in ``params``.
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        rows = int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
        if rows < ESTIMATE_FROM:
            return None
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Complaint._meta.db_table])
        (table_rows,) = cursor.fetchone()
    # reltuples is -1 before the table's first ANALYZE: then nothing is trusted.
    return rows if rows >= ESTIMATE_SHARE * table_rows > 0 else None


def _rounded(n: int) -> int:
    """``n`` to two significant digits (133,584 -> 130,000): an estimate shown with no false precision."""
    return round(n, 2 - len(str(n))) if n >= 100 else n
