"""Complaints for the list tests, created through intake at fixed instants (no randomness)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict

from closeloop.accounts.models import User
from closeloop.complaints import listing
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake


def complaint_received(actor: User, day: int, title: str, description: str, **kw: Any) -> Complaint:
    """A complaint received on 2026-06-``day`` 10:00 UTC, through the intake service."""
    clock.freeze(dt.datetime(2026, 6, day, 10, 0, tzinfo=dt.UTC))
    try:
        return complaint_intake(
            draft=ComplaintDraft(
                channel="phone",
                customer=kw.pop("customer", "C001"),
                title=title,
                description=description,
                **kw,
            ),
            actor=actor,
        )
    finally:
        clock.freeze(None)


def listing_data(agent: User) -> list[Complaint]:
    """Four complaints over two customers (C001 must exist; C002 is created here), oldest first:
    KS-2026-000001 变速箱漏油 (serious), 000002 螺丝刀杆生锈 (general), 000003 Late delivery (C002,
    minor), 000004 包装破损 (C002, general, urgent)."""
    from closeloop.customers.tests.factories import customer_make

    customer_make("C002", "广州南方汽配", tier="normal")
    return [
        complaint_received(
            agent,
            1,
            "变速箱漏油",
            "变速箱漏油严重，客户要求更换",
            severity="serious",
            category="quality-leakage",
        ),
        complaint_received(
            agent, 2, "螺丝刀杆生锈", "表面生锈", severity="general", category="quality-corrosion"
        ),
        complaint_received(
            agent,
            3,
            "Late delivery",
            "Shipment arrived LATE by a week",
            customer="C002",
            category="delivery-late",
            severity="minor",
        ),
        complaint_received(
            agent, 4, "包装破损", "纸箱破损", customer="C002", category="logistics-damage", urgency="urgent"
        ),
    ]


def page_of(user: User, page_size: int = listing.PAGE_SIZE, **params: str) -> listing.ComplaintPage:
    qd = QueryDict(mutable=True)
    for k, v in params.items():
        qd[k] = v
    return listing.complaint_list(user=user, f=listing.filters_parse(qd), page_size=page_size)


def titles(page: listing.ComplaintPage) -> list[str]:
    return [c.title for c in page.rows]


def walk(user: User, page_size: int, **params: str) -> list[Complaint]:
    """Every row of every page, following next_cursor to the end."""
    qd = QueryDict(mutable=True)
    for k, v in params.items():
        qd[k] = v
    f = listing.filters_parse(qd)
    seen: list[Complaint] = []
    for _ in range(100):
        page = listing.complaint_list(user=user, f=f, page_size=page_size)
        seen += page.rows
        if not page.next_cursor:
            return seen
        f.cursor = page.next_cursor
    raise AssertionError("the cursor never ended")


def analyzed_words(agent: User) -> None:
    """40 complaints, every other one about 变速箱漏油 (the others about 包装破损), of all three
    severities, then ANALYZE (PostgreSQL), so that the planner knows how often each word occurs."""
    from django.db import connection

    for i in range(40):
        complaint_received(
            agent,
            1 + i % 28,
            "变速箱漏油" if i % 2 else "包装破损",
            f"第{i}件",
            severity=("serious", "general", "minor")[i % 3],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
