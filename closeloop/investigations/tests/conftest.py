import pytest
from django.utils import translation

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import department_make, user_make


@pytest.fixture
def finance(db):  # type: ignore[no-untyped-def]
    return user_make(
        "finance",
        roles.FINANCE,
        display_name="财务王",
        department=department_make("finance", "财务部", "Finance"),
    )


@pytest.fixture
def salesmgr(db):  # type: ignore[no-untyped-def]
    return user_make(
        "salesmgr",
        roles.SALES_MANAGER,
        display_name="销售赵经理",
        department=department_make("sales", "销售部", "Sales"),
    )


@pytest.fixture
def gm(db):  # type: ignore[no-untyped-def]
    return user_make("gm", roles.GENERAL_MANAGER, display_name="总经理")


@pytest.fixture
def worker(db):  # type: ignore[no-untyped-def]
    """A production supervisor on the team (another department)."""
    return user_make(
        "prod",
        roles.QUALITY_ENGINEER,
        display_name="生产主管",
        department=department_make("production", "生产部", "Production"),
    )


@pytest.fixture
def team(qm, qe, worker):  # type: ignore[no-untyped-def]
    return [(qe, "leader"), (qm, "champion"), (worker, "member")]


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Service tests read the gates' messages in English; page tests set their own language."""
    with translation.override("en"):
        yield
