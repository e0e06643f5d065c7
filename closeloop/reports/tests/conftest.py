"""Shared fixtures of the reports tests, built through the real services."""

from __future__ import annotations

import pytest

from closeloop.api.tests.conftest import api, bearer  # noqa: F401  (the API client fixtures)


@pytest.fixture
def closed_case(complaint, qm, qe, team, finance, salesmgr):  # type: ignore[no-untyped-def]
    """The seed case (rust on screwdriver shafts) through D8: its complaint waits for the customer."""
    from closeloop.investigations.tests.factories import case_open, case_through

    case_through(
        case_open(complaint, qm), upto=8, qm=qm, team=team, owner=qe, finance=finance, sales_manager=salesmgr
    )
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_customer"
    return complaint
