"""The complaint table's partial indexes (migration 0012): columns that most complaints, and every new one,
leave empty are indexed only where they hold a value, so a complaint written pays for no entry there; every
read by a value still finds its index. Plans are pinned here, never timings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet

from closeloop.complaints.models import Complaint

PARTIAL = {
    "cmp_closed": "closed_at",
    "cmp_contact": "contact_id",
    "cmp_order": "order_id",
    "cmp_shipment": "shipment_id",
    "cmp_investigation": "investigation_id",
    "cmp_duplicate_of": "duplicate_of_id",
}


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, Complaint._meta.db_table)
    return {name: c["columns"] for name, c in found.items() if c["index"] and not c["unique"]}


def _index_sql(name: str) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        return str(cur.fetchone()[0])


@pytest.mark.django_db
def test_the_mostly_empty_columns_are_indexed_only_where_they_hold_a_value() -> None:
    indexes = _indexes()
    for name, column in PARTIAL.items():
        assert indexes[name] == [column]
        assert f"{column} IS NOT NULL" in _index_sql(name).replace('"', "")
    # Each column has that one index and no full one beside it; created_at has none (nothing reads by it).
    for column in [*PARTIAL.values(), "created_at"]:
        assert [n for n, cols in indexes.items() if cols == [column]] == [
            n for n, c in PARTIAL.items() if c == column
        ]


def _plan(qs: QuerySet[Any]) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The test tables are tiny: without this the planner reads them whole, whatever the indexes.
            cur.execute("SET enable_seqscan = off")
            try:
                cur.execute("EXPLAIN " + sql, params)
                return "\n".join(r[0] for r in cur.fetchall())
            finally:
                cur.execute("RESET enable_seqscan")
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(r[-1]) for r in cur.fetchall())


@pytest.mark.django_db
def test_every_read_by_a_value_uses_the_partial_index(complaint: Complaint) -> None:
    day = dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
    reads = {
        "cmp_closed": Complaint.objects.filter(closed_at__gte=day, closed_at__lt=day + dt.timedelta(days=1)),
        "cmp_contact": Complaint.objects.filter(contact_id=complaint.contact_id),
        # The foreign keys' delete checks (PROTECT, SET_NULL) read by a list of ids.
        "cmp_order": Complaint.objects.filter(order__in=[complaint.order_id]),
        "cmp_shipment": Complaint.objects.filter(shipment_id=complaint.shipment_id),
        "cmp_investigation": Complaint.objects.filter(investigation_id=7),
        "cmp_duplicate_of": Complaint.objects.filter(duplicate_of=complaint),
    }
    for name, qs in reads.items():
        plan = _plan(qs.order_by().values("id"))
        assert name in plan, (name, plan)
    # "Has an 8D" reads the small index too.
    assert "cmp_investigation" in _plan(
        Complaint.objects.filter(investigation__isnull=False).order_by().values("id")
    )
