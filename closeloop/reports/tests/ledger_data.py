"""Complaints for the ledger, export and analysis tests, built through the real services at fixed
instants (no randomness). Shared by test_ledgers_*, test_exports_* and test_analysis_*."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from closeloop.accounts.models import User
from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Complaint
from closeloop.complaints.services import complaint_triage
from closeloop.core import clock
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Titles a spreadsheet would run as formulas if written as they are.
HOSTILE_TITLES = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def at(day: int, hour: int = 10, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def received(actor: User, when: dt.datetime, title: str, **kw: Any) -> Complaint:
    """A phone complaint received at ``when`` through the intake service."""
    clock.freeze(when)
    try:
        return complaint_intake(
            draft=ComplaintDraft(
                channel="phone",
                customer=kw.pop("customer", "C001"),
                title=title,
                description=kw.pop("description", f"{title}（客户来电）"),
                **kw,
            ),
            actor=actor,
        )
    finally:
        clock.freeze(None)


def ledger_complaints(agent: User, owner: User) -> list[Complaint]:
    """C001 (must exist, with product P001) and C002 (made here). Oldest first:

    1. 2026-06-01 C001 变速箱漏油, serious, P001 lot L2605, 50 pieces — triaged to ``owner``, handled
       quickly, resolved 06-03 and closed 06-05 with satisfaction 4;
    2. 2026-06-02 C001 螺丝刀杆生锈, general, P001 (same customer and product again), 12 pieces;
    3. 2026-06-03 C002 Late delivery, minor, no product.
    """
    from closeloop.complaints.models import Category
    from closeloop.customers.tests.factories import customer_make

    customer_make("C002", "广州南方汽配", tier="normal")
    first = received(
        agent,
        at(1),
        "变速箱漏油",
        severity="serious",
        category="quality-leakage",
        product="P001",
        lot="L2605",
        quantity_affected=50,
    )
    second = received(
        agent,
        at(2),
        "螺丝刀杆生锈",
        severity="general",
        category="quality-corrosion",
        product="P001",
        quantity_affected=12,
    )
    third = received(
        agent, at(3), "Late delivery", customer="C002", severity="minor", category="delivery-late"
    )
    clock.freeze(at(1, 14))
    try:
        first = complaint_triage(
            complaint=first,
            actor=owner,
            category=Category.objects.get(code="quality-leakage"),
            severity="serious",
            urgency="normal",
            impact_scope="single",
            safety_risk=False,
            owner=owner,
            reassign=True,
        )
        first = complaint_start_handling(complaint=first, actor=owner, path="quick")
        clock.freeze(at(3))
        first = complaint_resolve(complaint=first, actor=owner, resolution="更换全部漏油变速箱")
        clock.freeze(at(5))
        first = complaint_record_verdict(complaint=first, actor=owner, satisfied=True, score=4)
    finally:
        clock.freeze(None)
    return [first, second, third]
