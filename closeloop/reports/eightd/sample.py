"""A complete, invented 8D report (no database): an uploaded customer template is test-filled with it
before it is accepted, so a template that cannot render is refused at upload, not at download."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from PIL import Image

from closeloop.reports.eightd.images import EvidenceImage, image_prepare
from closeloop.reports.eightd.records import (
    D0,
    D2,
    D3,
    D4,
    D6,
    D7,
    D8,
    ActionRow,
    Approval,
    CauseRow,
    ComplaintRef,
    ContainmentRow,
    CorrectiveRow,
    DocumentChange,
    EightDReport,
    Header,
    IsIsNot,
    Money,
    Person,
    Signoff,
    TeamRow,
    WhyChain,
)


def _sample_image() -> EvidenceImage:
    raw = io.BytesIO()
    Image.new("RGB", (120, 80), "#9aa5b1").save(raw, format="PNG")
    prepared = image_prepare(raw.getvalue())
    assert prepared is not None
    data, mime, w, h = prepared
    return EvidenceImage(3, "sample.png", "Sample", data, mime, w, h, 30.0, 20.0)


def sample_report() -> EightDReport:
    now = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 30))
    day = dt.date(2026, 1, 12)
    action = ActionRow(
        kind="corrective",
        step=6,
        title="Wrap each pallet in film",
        description="",
        owner="Chen",
        department="质量部",
        department_en="Quality",
        start_date=day,
        due_date=day,
        tracker="Zhang",
        status="verified",
        done_at=now,
        done_note="Done",
        verified_by="Zhang",
        verified_at=now,
        verification_note="Three lots without rust",
    )
    cause = CauseRow("C1", "environment", "Packaging got wet in transport", "verified", "Carrier record")
    complaint = ComplaintRef(
        "KS-2026-000001",
        "Rust on shafts",
        "Customer A",
        "A",
        now,
        "Rust found on receipt",
        "Replace",
        "SD-100 Screwdriver",
        "L0805",
        50,
    )
    return EightDReport(
        header=Header(
            number="8D-2026-0001",
            title="Rust on shafts",
            status="closed",
            customers=("Customer A",),
            products=("SD-100 Screwdriver",),
            lots=("L0805",),
            complaints=(complaint,),
            received_at=now,
            opened_at=now,
            closed_at=now,
            owner=Person("Chen", "质量部", "Quality"),
            team=(TeamRow("Chen", "leader", "质量部", "Quality", "Lead"),),
        ),
        d0=D0(True, "Batch rust", "On site next day"),
        goal="Find the cause in seven days",
        d2=D2(
            w5h2=tuple((k, k) for k in ("what", "where", "when", "who", "why", "how", "how_many")),
            is_is_not=(IsIsNot("Lot", "L0805", "Other lots"),),
        ),
        d3=D3((ContainmentRow("customer_stock", "Sort", 500, 50, True),), ("L0805",), "All replaced"),
        d4=D4(
            causes=(cause, CauseRow("C2", "material", "Too little oil", "refuted", "Salt spray passed")),
            why_chains=(WhyChain("occurrence", "Rust", ("Wet", "Rain", "No film")),),
            occurrence_root_cause="No waterproofing",
            occurrence_cause=cause,
            escape_root_cause="Not inspected",
            escape_cause=cause,
            problem="Rust",
        ),
        d5=(CorrectiveRow("occurrence", "Film", "Three lots"),),
        d6=D6((action,), "No rust", True, day),
        d7=D7((DocumentChange("work_instruction", "WI-PK-001", "A", "B"),), (action,), "", "Waterproof"),
        d8=D8(
            costs=(Money("travel", Decimal("800.00"), ""),),
            recoveries=(Money("carrier", Decimal("300.00"), ""),),
            recognition="Thanks",
            customer_summary="Cause and measures",
            cost_verified=Signoff("Wang", now, True),
            summary_reviewed=Signoff("Zhao", now, True),
        ),
        actions=(action,),
        approvals=(Approval(0, "approved", "Chen", now, "Zhang", now),),
        images=(_sample_image(),),
    )
