"""The D8 sign-offs: finance verifies the cost (财务认证), the sales manager reviews what the
customer is told, and the team asks for both."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.core import clock
from closeloop.core.errors import PermissionDenied, ValidationFailed
from closeloop.investigations import events, notify
from closeloop.investigations.content import D8Content, content_parse
from closeloop.investigations.digests import cost_digest, summary_digest
from closeloop.investigations.models import Investigation
from closeloop.investigations.selectors import gate_facts
from closeloop.investigations.services._base import (
    _bump,
    _d8,
    _lock_case,
    _require_edit,
    _require_open,
)
from closeloop.investigations.workflow import (
    REVIEW_SUMMARY_PERMISSION,
    VERIFY_COST_PERMISSION,
    Step,
)


@transaction.atomic
def investigation_cost_verify(*, investigation: Investigation, actor: User, note: str = "") -> Investigation:
    """财务认证: finance confirms the D8 cost items and recoveries as they stand now. A later change
    to them voids the confirmation (the D8 gate compares a digest)."""
    inv = _lock_case(investigation)
    d8 = _d8(inv)
    if not actor.has_perm(VERIFY_COST_PERMISSION):
        raise PermissionDenied(_("Only finance verifies the cost of poor quality."))
    _require_open(inv)
    parsed = content_parse(Step.D8, d8.content)
    assert isinstance(parsed, D8Content)
    if not parsed.costs:
        raise ValidationFailed(fields={"costs": [_("There is no cost to verify yet.")]})
    inv.cost_verified_by, inv.cost_verified_at = actor, clock.now()
    inv.cost_verified_digest = cost_digest(d8.content)
    _bump(inv)
    events.event_record(
        investigation=inv,
        verb="cost_verified",
        actor=actor,
        step=Step.D8,
        note=(note or "").strip(),
        data={"total": str(parsed.cost_total), "recovered": str(parsed.recovered_total)},
    )
    return inv


@transaction.atomic
def investigation_summary_review(
    *, investigation: Investigation, actor: User, note: str = ""
) -> Investigation:
    """The sales manager reviews what the customer is told (D8 customer summary) before closure."""
    inv = _lock_case(investigation)
    d8 = _d8(inv)
    if not actor.has_perm(REVIEW_SUMMARY_PERMISSION):
        raise PermissionDenied(_("Only a sales manager reviews what the customer is told."))
    _require_open(inv)
    if not str(d8.content.get("customer_summary", "")).strip():
        raise ValidationFailed(fields={"customer_summary": [_("Write what the customer is told first.")]})
    inv.summary_reviewed_by, inv.summary_reviewed_at = actor, clock.now()
    inv.summary_reviewed_digest = summary_digest(d8.content)
    _bump(inv)
    events.event_record(
        investigation=inv, verb="summary_reviewed", actor=actor, step=Step.D8, note=(note or "").strip()
    )
    return inv


@transaction.atomic
def investigation_signoff_request(*, investigation: Investigation, actor: User) -> Investigation:
    """The team asks finance to verify the D8 cost and the sales manager to review what the customer is
    told. Only what is still missing (or voided by a later change) is asked for."""
    inv = _lock_case(investigation)
    d8 = _d8(inv)
    _require_edit(actor, inv)
    _require_open(inv)
    parsed = content_parse(Step.D8, d8.content)
    assert isinstance(parsed, D8Content)
    facts = gate_facts(investigation=inv)
    errors: dict[str, list[Any]] = {}
    if not parsed.costs:
        errors["costs"] = [_("Record the cost of poor quality by item.")]
    if not parsed.customer_summary:
        errors["customer_summary"] = [_("Write what the customer is told first.")]
    if errors:
        raise ValidationFailed(fields=errors)
    asked = notify.signoff_requested(
        investigation=inv, actor=actor, cost=not facts.cost_verified, summary=not facts.summary_reviewed
    )
    events.event_record(investigation=inv, verb="signoff_requested", actor=actor, step=Step.D8, data=asked)
    return inv
