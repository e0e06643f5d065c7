"""Request and response shapes of API v1 (they also document the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

Severity = Literal["minor", "general", "serious"]
UrgencyT = Literal["urgent", "normal"]
Scope = Literal["single", "multiple", "systemic"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ContactIn(Strict):
    name: str = Field("", max_length=100)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)


class AttachmentIn(Strict):
    name: str = Field(..., max_length=200)
    content_base64: str


class ComplaintIn(Strict):
    """A new complaint. With ``order_number`` the customer, product, lot and ship date it implies may be
    left out; ``site`` (a plant's code) defaults to the product's site. Fields the server owns (number,
    status, created_by, priority) are refused."""

    customer: str = ""
    contact: int | ContactIn | None = None
    channel: str = "api"
    title: str = ""
    description: str = ""
    customer_requirement: str = ""
    product: str = ""
    site: str = ""
    order_number: str = ""
    shipment_number: str = ""
    order_line: int | None = None
    lot: str = ""
    quantity_affected: int | None = None
    category: str = ""
    severity: Severity | None = None
    urgency: UrgencyT | None = None
    impact_scope: Scope | None = None
    safety_risk: bool = False
    received_at: dt.datetime | None = None
    owner: str | None = None
    attachments: list[AttachmentIn] = []


class ComplaintPatch(Strict):
    """Triage fields. ``version`` (from the last read) makes a stale write a 409 instead of an overwrite."""

    version: int | None = None
    category: str | None = None
    severity: Severity | None = None
    urgency: UrgencyT | None = None
    impact_scope: Scope | None = None
    safety_risk: bool | None = None
    owner: str | None = None
    department: str | None = None
    handling_path: Literal["quick", "8d"] | None = None
    site: str | None = Field(None, description="A site (plant) code; null or empty clears it")


class StartIn(Strict):
    """``path`` defaults to the one chosen at triage (else quick); on ``8d`` the complaint joins the open
    case ``investigation`` (an 8D number) or opens a new one."""

    version: int | None = None
    path: Literal["quick", "8d"] | None = None
    investigation: str | None = Field(None, max_length=40)


class EscalateIn(Strict):
    """Escalate a quick resolution in progress to a full 8D: a new case, or the open ``investigation``."""

    version: int | None = None
    reason: str = Field("", max_length=5000)
    investigation: str | None = Field(None, max_length=40)


class ResolveIn(Strict):
    version: int | None = None
    resolution: str = Field("", max_length=5000)


class VerdictIn(Strict):
    """The customer's answer: satisfied closes (score 1–5 required); not satisfied reopens (with reason)."""

    version: int | None = None
    satisfied: bool
    score: int | None = None
    comment: str = Field("", max_length=5000)
    reopen_reason: str = Field("", max_length=5000)
    reopen_step: int | None = Field(None, ge=0, le=8, description="8D complaints: where the case restarts")


class ClockPauseIn(Strict):
    """The complaint waits on the customer: ``reason`` is ``awaiting_confirmation``,
    ``awaiting_information``, ``awaiting_samples`` or ``other`` (say what in ``note``)."""

    reason: str = Field("", max_length=40)
    note: str = Field("", max_length=5000)


class TokenIn(Strict):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=200)


class TokenOut(Schema):
    token: str


class DeadlineOut(Schema):
    target: str
    due_at: dt.datetime
    met: bool | None = Field(description="True: reached in time; false: late or overdue; null: running")
    breached_at: dt.datetime | None
    provisional: bool = Field(description="Counted on weekdays only: that year's holidays are not loaded")
    paused: bool = Field(
        False, description="Its clock stands still while the complaint waits on the customer; it moves later"
    )


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class Ref(Schema):
    code: str
    name: str


class PersonOut(Schema):
    username: str
    name: str


class ContactOut(Schema):
    id: int
    name: str
    phone: str
    email: str


class BreakdownRow(Schema):
    factor: str
    label: str
    value: str
    points: int


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class ComplaintOut(Schema):
    number: str
    status: str
    channel: str
    received_at: dt.datetime
    customer: Ref
    contact: ContactOut | None
    title: str
    description: str
    customer_requirement: str
    product: str | None
    site: str | None = Field(None, description="The responsible site (plant) code")
    order_number: str | None
    shipment_number: str | None
    lot: str
    ship_date: dt.date | None
    warranty_status: str
    quantity_affected: int | None
    category: Ref | None
    severity: str
    urgency: str
    impact_scope: str
    safety_risk: bool
    priority_score: int
    priority_breakdown: list[BreakdownRow]
    owner: PersonOut | None
    department: Ref | None
    duplicate_of: str | None
    invalid_reason: str
    handling_path: str
    investigation: str | None = None
    deadlines: list[DeadlineOut] = []
    resolution: str
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopen_count: int
    attachments: list[AttachmentOut]
    version: int
    created_at: dt.datetime
    created_by: PersonOut | None


class ComplaintPageOut(Schema):
    items: list[ComplaintOut]
    next_cursor: str | None
    count: int
    count_capped: bool
    # A search the database's statistics say matches many complaints is not counted: this is their
    # estimate (count is then 1000 and count_capped true). Null when the complaints were counted.
    count_estimate: int | None = None


class ProductOut(Schema):
    code: str
    name: str
    family: str
    warranty_months: int
    site: str | None = None


class CustomerOut(Schema):
    code: str
    name: str
    tier: str
    annual_value: str
    industry: str
    region: str
    contacts: list[ContactOut]


class OrderLineOut(Schema):
    line: int
    product: str
    quantity: int
    lot: str


class ShipmentOut(Schema):
    number: str
    ship_date: dt.date
    carrier: str


class OrderOut(Schema):
    number: str
    customer: str
    order_date: dt.date
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]


class PageOut(Schema):
    next_after: str | None
