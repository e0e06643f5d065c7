"""Two people acting on the same 8D step at the same moment, on PostgreSQL with real row locks.

Each thread has its own connection; a barrier releases them together. Exactly one wins; the other
gets a clear refusal (a conflict with the current content, or a refused transition), never a silent
overwrite or a double approval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from closeloop.core.errors import ApplicationError, Conflict, TransitionNotAllowed
from closeloop.investigations import services
from closeloop.investigations.models import Discipline, InvestigationEvent
from closeloop.investigations.tests.factories import SEED_CONTENT, case_open, save, step_version
from closeloop.testing.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_saves_of_one_step_one_wins_the_other_sees_the_winner(complaint, qm, qe):
    inv = case_open(complaint, qm)
    v = step_version(inv, 2)

    def saver(user: Any, what: str) -> Callable[[], Any]:
        return lambda: services.discipline_save(
            investigation=inv, step=2, actor=user, content={"what": what}, expected_version=v
        )

    results, errors = race(saver(qm, "生锈 (张)"), saver(qm, "锈蚀 (陈)"))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], Conflict)
    saved = Discipline.objects.get(investigation=inv, step=2)
    assert saved.version == v + 1
    assert errors[0].extra["current_content"]["what"] == saved.content["what"] == results[0].content["what"]


@pytest.mark.parametrize("move", ["submit", "approve"])
def test_two_simultaneous_advances_of_the_same_step_exactly_one_wins(complaint, qm, move):
    inv = case_open(complaint, qm)
    save(inv, 0, qm, SEED_CONTENT[0])
    if move == "approve":
        services.discipline_submit(investigation=inv, step=0, actor=qm)
    fn = services.discipline_submit if move == "submit" else services.discipline_approve

    results, errors = race(
        lambda: fn(investigation=inv, step=0, actor=qm), lambda: fn(investigation=inv, step=0, actor=qm)
    )
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], TransitionNotAllowed)
    assert isinstance(errors[0], ApplicationError)
    verb = "step_submitted" if move == "submit" else "step_approved"
    assert InvestigationEvent.objects.filter(investigation=inv, verb=verb, step=0).count() == 1
    assert Discipline.objects.get(investigation=inv, step=0).status == (
        "submitted" if move == "submit" else "approved"
    )
