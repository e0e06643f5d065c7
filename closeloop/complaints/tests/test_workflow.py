"""The transition table, exhaustively and without a database: every move allowed or refused."""

import itertools

import pytest

from closeloop.complaints.workflow import FINAL_STATUSES, OPEN_STATUSES, TRANSITIONS, Status, check_transition
from closeloop.core.errors import TransitionNotAllowed

ALLOWED = {
    ("new", "triaged"),
    ("triaged", "triaged"),
    ("new", "rejected"),
    ("triaged", "rejected"),
    ("new", "merged"),
    ("triaged", "merged"),
    ("triaged", "in_progress"),
    ("in_progress", "awaiting_customer"),
    ("awaiting_customer", "closed"),
    ("awaiting_customer", "in_progress"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Status.values, Status.values)))
def test_every_pair_is_allowed_or_refused_as_the_table_says(current, target):
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            check_transition(current, target)


def test_table_is_exactly_the_documented_moves():
    assert set(TRANSITIONS) == ALLOWED


def test_final_states_lead_nowhere_and_open_ones_somewhere():
    assert not [t for t in TRANSITIONS if t[0] in FINAL_STATUSES]
    assert all(any(t[0] == s for t in TRANSITIONS) for s in OPEN_STATUSES)
    assert set(Status.values) == OPEN_STATUSES | FINAL_STATUSES
