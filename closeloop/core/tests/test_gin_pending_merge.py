"""core.db.gin_pending_merge: the search index's pending entries merged into it on request, the matches
unchanged; None where it cannot (not PostgreSQL, or a database user that does not own the index), the
enclosing transaction still usable."""

from __future__ import annotations

import pytest
from django.db import connection

from closeloop.complaints import listing
from closeloop.complaints.models import Complaint
from closeloop.core.db import gin_pending_merge
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.importing.batches import SEARCH_INDEX
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


def _found(word: str) -> list[str]:
    return sorted(listing.search_filter(Complaint.objects.all(), word).values_list("title", flat=True))


@pytest.mark.postgres
def test_pending_entries_are_merged_and_searches_find_the_same(agent, customer):
    for title in ("变速箱漏油", "螺丝刀杆生锈"):
        complaint_intake(
            draft=ComplaintDraft(channel="api", customer="C001", title=title, description="d"), actor=agent
        )
    before = _found("漏油")
    assert before == ["变速箱漏油"]
    # The new rows' entries wait in the pending list until something merges it.
    assert (gin_pending_merge(SEARCH_INDEX) or 0) >= 1
    assert gin_pending_merge(SEARCH_INDEX) == 0
    assert _found("漏油") == before and _found("生锈") == ["螺丝刀杆生锈"]


@pytest.mark.postgres
def test_a_user_who_does_not_own_the_index_gets_none_and_the_transaction_goes_on(agent, customer):
    complaint_intake(
        draft=ComplaintDraft(channel="api", customer="C001", title="漏油", description="d"), actor=agent
    )
    with connection.cursor() as cursor:
        # Both undone with the test's transaction.
        cursor.execute("CREATE ROLE closeloop_not_owner")
        cursor.execute("SET LOCAL ROLE closeloop_not_owner")
    assert gin_pending_merge(SEARCH_INDEX) is None
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert Complaint.objects.filter(title="漏油").count() == 1  # the transaction is still usable


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite answer")
def test_sqlite_has_no_gin_index():
    assert gin_pending_merge(SEARCH_INDEX) is None
