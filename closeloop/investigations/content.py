"""The structured content of each discipline, and each step's gate. Pure: no ORM.

A step's content is stored as JSON on its ``Discipline`` row. It is parsed here (well-formed or a
``ValidationFailed`` naming each field, e.g. ``rows.0.qty_bad``) whenever it is saved, so drafts may
be incomplete but never malformed. Each step's gate, what it still lacks before it can be submitted,
is in :mod:`closeloop.investigations.gates`. The API documents the same models in OpenAPI.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from closeloop.core.errors import ValidationFailed
from closeloop.investigations.workflow import Step

Text = str
SHORT = 500
LONG = 5000

CAUSE_CATEGORIES: dict[str, Any] = {
    "man": _("Man 人"),
    "machine": _("Machine 机"),
    "material": _("Material 料"),
    "method": _("Method 法"),
    "environment": _("Environment 环"),
    "measurement": _("Measurement 测"),
}
LOCATIONS: dict[str, Any] = {
    "customer_stock": _("Customer stock"),
    "in_transit": _("In transit"),
    "warehouse": _("Our warehouse"),
    "wip": _("Work in progress"),
    "supplier": _("Supplier"),
}
DOC_TYPES: dict[str, Any] = {
    "fmea": _("FMEA"),
    "control_plan": _("Control plan"),
    "work_instruction": _("Work instruction"),
    "standard": _("Standard"),
    "other": _("Other document"),
}
COST_ITEMS: dict[str, Any] = {
    "sorting": _("Sorting"),
    "scrap": _("Scrap"),
    "rework": _("Rework"),
    "freight": _("Freight"),
    "travel": _("Travel"),
    "compensation": _("Compensation"),
    "labour": _("Labour"),
    "other": _("Other"),
}
RECOVERY_SOURCES: dict[str, Any] = {
    "supplier": _("Supplier"),
    "carrier": _("Carrier"),
    "insurer": _("Insurer"),
}
W5H2: dict[str, Any] = {
    "what": _("What (何事)"),
    "where": _("Where (何地)"),
    "when": _("When (何时)"),
    "who": _("Who (何人)"),
    "why": _("Why it matters (为何)"),
    "how": _("How it was found (如何)"),
    "how_many": _("How many (多少)"),
}

CauseCategory = Literal["man", "machine", "material", "method", "environment", "measurement"]
Location = Literal["customer_stock", "in_transit", "warehouse", "wip", "supplier"]
RootKind = Literal["occurrence", "escape"]


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class D0Content(_Content):
    needs_8d: bool | None = None
    reason: Text = Field("", max_length=LONG)
    emergency_actions: Text = Field("", max_length=LONG)


class D1Content(_Content):
    goal: Text = Field("", max_length=LONG)


class IsIsNotRow(_Content):
    dimension: Text = Field("", max_length=200)
    is_text: Text = Field("", max_length=SHORT)
    is_not_text: Text = Field("", max_length=SHORT)


class D2Content(_Content):
    what: Text = Field("", max_length=LONG)
    where: Text = Field("", max_length=LONG)
    when: Text = Field("", max_length=LONG)
    who: Text = Field("", max_length=LONG)
    why: Text = Field("", max_length=LONG)
    how: Text = Field("", max_length=LONG)
    how_many: Text = Field("", max_length=LONG)
    is_is_not: list[IsIsNotRow] = Field(default_factory=list, max_length=30)


class ContainmentRow(_Content):
    location: Location
    action: Text = Field("", max_length=SHORT)
    qty_checked: int = Field(0, ge=0, le=100_000_000)
    qty_bad: int = Field(0, ge=0, le=100_000_000)
    effective: bool | None = None

    @model_validator(mode="after")
    def _bad_within_checked(self) -> ContainmentRow:
        if self.qty_bad > self.qty_checked:
            raise ValueError("qty_bad")
        return self


class D3Content(_Content):
    rows: list[ContainmentRow] = Field(default_factory=list, max_length=30)
    suspect_lots: list[Text] = Field(default_factory=list, max_length=100)
    effectiveness: Text = Field("", max_length=LONG)


class Cause(_Content):
    id: str = Field(..., min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    category: CauseCategory
    text: Text = Field(..., min_length=1, max_length=SHORT)
    status: Literal["candidate", "verified", "refuted"] = "candidate"
    evidence: Text = Field("", max_length=LONG)


class WhyChain(_Content):
    kind: RootKind
    problem: Text = Field("", max_length=SHORT)
    whys: list[Text] = Field(default_factory=list, max_length=7)


class D4Content(_Content):
    causes: list[Cause] = Field(default_factory=list, max_length=60)
    why_chains: list[WhyChain] = Field(default_factory=list, max_length=10)
    occurrence_root_cause: Text = Field("", max_length=LONG)
    occurrence_cause_id: str = Field("", max_length=20)
    escape_root_cause: Text = Field("", max_length=LONG)
    escape_cause_id: str = Field("", max_length=20)

    @model_validator(mode="after")
    def _ids(self) -> D4Content:
        ids = [c.id for c in self.causes]
        if len(ids) != len(set(ids)):
            raise ValueError("causes")
        for name in ("occurrence_cause_id", "escape_cause_id"):
            if getattr(self, name) and getattr(self, name) not in ids:
                raise ValueError(name)
        return self

    def cause(self, cause_id: str) -> Cause | None:
        return next((c for c in self.causes if c.id == cause_id), None)


class CorrectiveRow(_Content):
    root_cause: RootKind
    action: Text = Field("", max_length=SHORT)
    verification: Text = Field("", max_length=SHORT)


class D5Content(_Content):
    corrective: list[CorrectiveRow] = Field(default_factory=list, max_length=30)


class D6Content(_Content):
    validation_results: Text = Field("", max_length=LONG)
    containment_removed: bool = False
    containment_removed_on: dt.date | None = None


class SystemicChange(_Content):
    doc_type: Literal["fmea", "control_plan", "work_instruction", "standard", "other"]
    document: Text = Field("", max_length=200)
    old_revision: Text = Field("", max_length=40)
    new_revision: Text = Field("", max_length=40)


class D7Content(_Content):
    changes: list[SystemicChange] = Field(default_factory=list, max_length=30)
    horizontal_not_applicable: Text = Field("", max_length=LONG)
    lessons_learned: Text = Field("", max_length=LONG)


Money = Decimal


class CostRow(_Content):
    item: Literal["sorting", "scrap", "rework", "freight", "travel", "compensation", "labour", "other"]
    amount: Money = Field(Decimal("0"), ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)
    note: Text = Field("", max_length=SHORT)


class RecoveryRow(_Content):
    source: Literal["supplier", "carrier", "insurer"]
    amount: Money = Field(Decimal("0"), ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)
    note: Text = Field("", max_length=SHORT)


class D8Content(_Content):
    costs: list[CostRow] = Field(default_factory=list, max_length=30)
    recoveries: list[RecoveryRow] = Field(default_factory=list, max_length=30)
    recognition: Text = Field("", max_length=LONG)
    customer_summary: Text = Field("", max_length=LONG)

    @property
    def cost_total(self) -> Decimal:
        return sum((r.amount for r in self.costs), Decimal("0"))

    @property
    def recovered_total(self) -> Decimal:
        return sum((r.amount for r in self.recoveries), Decimal("0"))


CONTENT_MODELS: dict[int, type[_Content]] = {
    Step.D0: D0Content,
    Step.D1: D1Content,
    Step.D2: D2Content,
    Step.D3: D3Content,
    Step.D4: D4Content,
    Step.D5: D5Content,
    Step.D6: D6Content,
    Step.D7: D7Content,
    Step.D8: D8Content,
}

_MESSAGES: dict[str, Any] = {
    "missing": _("This field is required."),
    "string_too_long": _("This text is too long."),
    "string_too_short": _("This field is required."),
    "too_long": _("Too many rows."),
    "literal_error": _("Choose one of the offered values."),
    "greater_than_equal": _("Must not be negative."),
    "less_than_equal": _("This number is too large."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "decimal_parsing": _("Enter an amount."),
    "decimal_max_places": _("At most two decimal places."),
    "bool_parsing": _("Answer yes or no."),
    "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_parsing": _("Enter a date as YYYY-MM-DD."),
    "extra_forbidden": _("This field is not part of the step."),
    "string_pattern_mismatch": _("Use letters, digits, - and _ only."),
}
_CUSTOM: dict[str, Any] = {
    "qty_bad": _("Found bad cannot exceed the quantity checked."),
    "causes": _("Each cause needs its own id."),
    "occurrence_cause_id": _("Link the root cause to one of the causes on the fishbone."),
    "escape_cause_id": _("Link the root cause to one of the causes on the fishbone."),
}


def content_parse(step: int, data: Any) -> _Content:
    """Parse ``data`` as step ``step``'s content; ValidationFailed names each bad field by its path."""
    model = CONTENT_MODELS[step]
    if not isinstance(data, dict):
        raise ValidationFailed(fields={"content": [_("The step content must be an object.")]})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, list[Any]] = {}
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            message = _MESSAGES.get(err["type"], _("This value is not valid."))
            if err["type"] == "value_error":
                key = str(err.get("ctx", {}).get("error", ""))
                message = _CUSTOM.get(key, message)
                if key in ("occurrence_cause_id", "escape_cause_id", "causes"):
                    loc = [*loc, key]
                elif key == "qty_bad":
                    loc = [*loc, "qty_bad"]
            fields.setdefault(".".join(loc) or "content", []).append(message)
        raise ValidationFailed(fields=fields) from exc


def content_empty(step: int) -> dict[str, Any]:
    return CONTENT_MODELS[step]().model_dump(mode="json")
