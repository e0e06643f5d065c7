"""Shared by the 8D writers: the row locks (case first, then step), the permission and state checks,
and the gate."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from closeloop.investigations.content import content_parse
from closeloop.investigations.gates import missing
from closeloop.investigations.models import Discipline, Investigation
from closeloop.investigations.selectors import gate_facts, investigation_can_edit
from closeloop.investigations.workflow import (
    APPROVE_PERMISSION,
    STEPS,
    CaseStatus,
    Step,
    current_step,
    step_blockers,
)


class StepIncomplete(ValidationFailed):
    """The gate refused: ``missing`` lists what the step still lacks."""

    code = "step_incomplete"


def _step_label(step: int) -> str:
    return str(Step(step).label)


def _lock_case(investigation: Investigation) -> Investigation:
    return Investigation.objects.select_for_update(of=("self",)).get(pk=investigation.pk)


def _lock_step(investigation: Investigation, step: int) -> Discipline:
    if step not in STEPS:
        raise NotFound()
    return Discipline.objects.select_for_update().get(investigation_id=investigation.pk, step=step)


def _require_edit(actor: User, inv: Investigation) -> None:
    if not investigation_can_edit(user=actor, investigation=inv):
        raise PermissionDenied(_("Only the 8D's owner, its team and quality managers may change it."))


def _require_open(inv: Investigation) -> None:
    if inv.status != CaseStatus.OPEN:
        raise ValidationFailed(_("This 8D is closed; it changes only when it is reopened."))


def _refresh_current(inv: Investigation) -> None:
    statuses = dict(Discipline.objects.filter(investigation=inv).values_list("step", "status"))
    inv.current_step = current_step(statuses)


def _bump(inv: Investigation) -> None:
    _refresh_current(inv)
    inv.version += 1
    inv.save()


def _gate(inv: Investigation, d: Discipline) -> None:
    statuses = dict(Discipline.objects.filter(investigation=inv).values_list("step", "status"))
    blockers = step_blockers(d.step, statuses)
    lacking: list[str] = []
    if blockers:
        lacking.append(
            str(_("Approve the earlier steps first: %(steps)s."))
            % {"steps": ", ".join(f"D{s}" for s in blockers)}
        )
    lacking += missing(d.step, content_parse(d.step, d.content), gate_facts(investigation=inv))
    if lacking:
        raise StepIncomplete(
            _("%(step)s is not complete.") % {"step": _step_label(d.step)},
            fields={"content": list(lacking)},
            extra={"missing": lacking, "step": d.step},
        )


def _require_approver(actor: User) -> None:
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("Only a quality manager approves 8D steps."))


def _d8(inv: Investigation) -> Discipline:
    return _lock_step(inv, Step.D8)
