"""ComplaintDraft: what every intake channel produces from its own input.

Values are raw (codes, numbers, strings) as a person or a caller typed them; the intake service
resolves and validates them and names the draft's field in every error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ContactInput:
    id: int | None = None
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class AttachmentInput:
    name: str
    data: bytes


@dataclass
class ComplaintDraft:
    channel: str
    title: str = ""
    description: str = ""
    customer: str = ""  # customer code; may be implied by order_number / shipment_number
    contact: ContactInput | None = None
    customer_requirement: str = ""
    product: str = ""  # product code
    site: str = ""  # site (plant) code; empty: the product's site
    order_number: str = ""
    shipment_number: str = ""
    order_line: int | None = None  # line number when the order has several lines
    lot: str = ""
    quantity_affected: int | None = None
    category: str = ""  # category code
    severity: str = ""
    urgency: str = ""
    impact_scope: str = ""
    safety_risk: bool = False
    received_at: dt.datetime | None = None
    owner: str = ""  # username, only for users allowed to assign
    attachments: list[AttachmentInput] = field(default_factory=list)
    source_ref: dict[str, Any] = field(default_factory=dict)  # e.g. {"import_job": 3, "row": 7}
