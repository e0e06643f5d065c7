"""The 8D report's facts as frozen dataclasses: what :func:`~closeloop.reports.eightd.data.eightd_report_data`
reads and every renderer (PDF, Word, customer templates) draws from. Codes stay codes (cause
categories, locations, roles, statuses); each renderer labels them in its own language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from closeloop.reports.eightd.images import EvidenceImage


@dataclass(frozen=True)
class Person:
    name: str
    department: str = ""
    department_en: str = ""


@dataclass(frozen=True)
class ComplaintRef:
    number: str
    title: str
    customer: str
    customer_code: str
    received_at: dt.datetime
    description: str
    requirement: str
    product: str
    lot: str
    quantity_affected: int | None


@dataclass(frozen=True)
class TeamRow:
    name: str
    role: str
    department: str
    department_en: str
    responsibility: str


@dataclass(frozen=True)
class Header:
    number: str
    title: str
    status: str
    customers: tuple[str, ...]
    products: tuple[str, ...]
    lots: tuple[str, ...]
    complaints: tuple[ComplaintRef, ...]
    received_at: dt.datetime | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    owner: Person
    team: tuple[TeamRow, ...]


@dataclass(frozen=True)
class Approval:
    step: int
    status: str
    submitted_by: str
    submitted_at: dt.datetime | None
    approved_by: str
    approved_at: dt.datetime | None


@dataclass(frozen=True)
class Signoff:
    """A D8 sign-off (finance's cost verification, the sales manager's review); ``current`` is False when
    the figures or text changed after it was given."""

    by: str
    at: dt.datetime | None
    current: bool


@dataclass(frozen=True)
class ActionRow:
    kind: str
    step: int | None
    title: str
    description: str
    owner: str
    department: str
    department_en: str
    start_date: dt.date | None
    due_date: dt.date
    tracker: str
    status: str
    done_at: dt.datetime | None
    done_note: str
    verified_by: str
    verified_at: dt.datetime | None
    verification_note: str


@dataclass(frozen=True)
class D0:
    needs_8d: bool | None
    reason: str
    emergency_actions: str


@dataclass(frozen=True)
class IsIsNot:
    dimension: str
    is_text: str
    is_not_text: str


@dataclass(frozen=True)
class D2:
    w5h2: tuple[tuple[str, str], ...]  # (key of content.W5H2, text)
    is_is_not: tuple[IsIsNot, ...]


@dataclass(frozen=True)
class ContainmentRow:
    location: str
    action: str
    qty_checked: int
    qty_bad: int
    effective: bool | None


@dataclass(frozen=True)
class D3:
    rows: tuple[ContainmentRow, ...]
    suspect_lots: tuple[str, ...]
    effectiveness: str

    @property
    def qty_checked(self) -> int:
        return sum(r.qty_checked for r in self.rows)

    @property
    def qty_bad(self) -> int:
        return sum(r.qty_bad for r in self.rows)


@dataclass(frozen=True)
class CauseRow:
    id: str
    category: str
    text: str
    status: str  # candidate | verified | refuted
    evidence: str


@dataclass(frozen=True)
class WhyChain:
    kind: str  # occurrence | escape
    problem: str
    whys: tuple[str, ...]


@dataclass(frozen=True)
class D4:
    causes: tuple[CauseRow, ...]
    why_chains: tuple[WhyChain, ...]
    occurrence_root_cause: str
    occurrence_cause: CauseRow | None
    escape_root_cause: str
    escape_cause: CauseRow | None
    problem: str  # the fishbone's head: D2 "what", else the case title


@dataclass(frozen=True)
class CorrectiveRow:
    root_cause: str
    action: str
    verification: str


@dataclass(frozen=True)
class D6:
    actions: tuple[ActionRow, ...]  # the tracked corrective actions and their verification
    validation_results: str
    containment_removed: bool
    containment_removed_on: dt.date | None


@dataclass(frozen=True)
class DocumentChange:
    doc_type: str
    document: str
    old_revision: str
    new_revision: str


@dataclass(frozen=True)
class D7:
    changes: tuple[DocumentChange, ...]
    horizontal: tuple[ActionRow, ...]
    horizontal_not_applicable: str
    lessons_learned: str


@dataclass(frozen=True)
class Money:
    code: str  # a cost item or a recovery source
    amount: Decimal
    note: str


@dataclass(frozen=True)
class D8:
    costs: tuple[Money, ...]
    recoveries: tuple[Money, ...]
    recognition: str
    customer_summary: str
    cost_verified: Signoff
    summary_reviewed: Signoff

    @property
    def cost_total(self) -> Decimal:
        return sum((m.amount for m in self.costs), Decimal("0"))

    @property
    def recovered_total(self) -> Decimal:
        return sum((m.amount for m in self.recoveries), Decimal("0"))

    @property
    def net_cost(self) -> Decimal:
        return self.cost_total - self.recovered_total


@dataclass(frozen=True)
class EightDReport:
    header: Header
    d0: D0
    goal: str
    d2: D2
    d3: D3
    d4: D4
    d5: tuple[CorrectiveRow, ...]
    d6: D6
    d7: D7
    d8: D8
    actions: tuple[ActionRow, ...]  # every tracked action of the case, in step order
    approvals: tuple[Approval, ...]
    images: tuple[EvidenceImage, ...]

    def images_for(self, step: int) -> tuple[EvidenceImage, ...]:
        return tuple(i for i in self.images if i.step == step)
