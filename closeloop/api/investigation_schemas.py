"""Request and response shapes of the 8D API (they also document the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from closeloop.investigations.content import CONTENT_MODELS


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


def _shape(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A one-line picture of a JSON schema (``{name: type, ...}``) for people reading the API docs."""
    if "$ref" in schema:
        return _shape(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "properties" in schema:
        return "{" + ", ".join(f"{k}: {_shape(v, defs)}" for k, v in schema["properties"].items()) + "}"
    if "anyOf" in schema:
        return " | ".join(dict.fromkeys(_shape(s, defs) for s in schema["anyOf"]))
    if "enum" in schema:
        return "|".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"[{_shape(schema.get('items', {}), defs)}]"
    return str(schema.get("format") or schema.get("type") or "any")


def _content_doc() -> str:
    lines = []
    for step, model in CONTENT_MODELS.items():
        schema = model.model_json_schema()
        lines.append(f"- **D{step}** (`{model.__name__}`): `{_shape(schema, schema.get('$defs', {}))}`")
    return "\n".join(lines)


CONTENT_DOC = _content_doc()


class StepSaveIn(_In):
    version: int = Field(..., description="The step version the content was edited from (409 if stale).")
    content: dict[str, Any] = Field(
        ...,
        description="The step's content, checked against the step's model (unknown keys refused); "
        "D0Content … D8Content as listed on this operation, full JSON schemas at "
        "GET /api/v1/8d/content-schema.",
    )


class SubmitIn(_In):
    version: int | None = Field(None, description="The step version the caller saw (409 if stale).")


class ApproveIn(_In):
    note: str = Field("", max_length=5000)


class SendBackIn(_In):
    reason: str = Field("", max_length=5000, description="Why the step goes back (required).")


class TeamIn(_In):
    role: Literal["leader", "champion", "member"] = "member"
    responsibility: str = Field("", max_length=200)
    department: str = Field("", max_length=40, description="Department code; the person's own by default.")


class NoteIn(_In):
    note: str = Field("", max_length=5000)


class CancelIn(_In):
    reason: str = Field("", max_length=5000)


class CaseActionIn(_In):
    title: str = Field("", max_length=200)
    kind: Literal["containment", "corrective", "preventive", "horizontal", "task"] = "task"
    step: int | None = Field(None, ge=0, le=8)
    owner: str = ""
    tracker: str = ""
    department: str = Field("", max_length=40)
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    description: str = Field("", max_length=5000)


class SignOffOut(Schema):
    by: str | None
    at: dt.datetime | None
    valid: bool


class TeamOut(Schema):
    user: str
    name: str
    role: str
    department: str | None
    responsibility: str


class StepOut(Schema):
    step: int
    label: str
    status: str
    version: int
    content: dict[str, Any]
    missing: list[str]
    blocked_by: list[int]
    return_reason: str
    submitted_by: str | None
    submitted_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None


class CaseSummaryOut(Schema):
    number: str
    title: str
    status: str
    current_step: int
    owner: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class CaseOut(CaseSummaryOut):
    reopen_count: int
    version: int
    complaints: list[str]
    cost_total: Decimal
    cost_recovered: Decimal
    root_cause_category: str
    cost_verified: SignOffOut
    summary_reviewed: SignOffOut
    team: list[TeamOut]
    steps: list[StepOut]


class EventOut(Schema):
    verb: str
    step: int | None
    actor: str | None
    created_at: dt.datetime
    note: str
    data: dict[str, Any]
