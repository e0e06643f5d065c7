"""Fixtures shared by every app's tests. Data is built through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from closeloop.accounts import roles
from closeloop.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen_now() -> Iterator[dt.datetime]:
    """Freeze clock.now() at 2026-06-15 10:00 Asia/Shanghai."""
    instant = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
    clock.freeze(instant)
    yield instant
    clock.freeze(None)


@pytest.fixture
def quality_dept(db):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import department_make

    return department_make()


@pytest.fixture
def agent(db):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import department_make, user_make

    return user_make(
        "agent",
        roles.AGENT,
        display_name="客服小李",
        department=department_make("service", "客服部", "Customer service"),
    )


@pytest.fixture
def qm(db, quality_dept):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import user_make

    return user_make("qm", roles.QUALITY_MANAGER, display_name="质量部张经理", department=quality_dept)


@pytest.fixture
def qe(db, quality_dept):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import user_make

    return user_make("qe", roles.QUALITY_ENGINEER, display_name="质量工程师陈工", department=quality_dept)


@pytest.fixture
def sales(db):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import department_make, user_make

    return user_make(
        "sales",
        roles.SALESPERSON,
        display_name="销售刘",
        department=department_make("sales", "销售部", "Sales"),
    )


@pytest.fixture
def finance(db):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import department_make, user_make

    return user_make(
        "finance",
        roles.FINANCE,
        display_name="财务王",
        department=department_make("finance", "财务部", "Finance"),
    )


@pytest.fixture
def salesmgr(db):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import department_make, user_make

    return user_make(
        "salesmgr",
        roles.SALES_MANAGER,
        display_name="销售赵经理",
        department=department_make("sales", "销售部", "Sales"),
    )


@pytest.fixture
def gm(db):  # type: ignore[no-untyped-def]
    from closeloop.accounts.tests.factories import user_make

    return user_make("gm", roles.GENERAL_MANAGER, display_name="总经理")


@pytest.fixture
def worker(db):  # type: ignore[no-untyped-def]
    """A production supervisor on the team (another department)."""
    from closeloop.accounts.tests.factories import department_make, user_make

    return user_make(
        "prod",
        roles.QUALITY_ENGINEER,
        display_name="生产主管",
        department=department_make("production", "生产部", "Production"),
    )


@pytest.fixture
def team(qm, qe, worker):  # type: ignore[no-untyped-def]
    return [(qe, "leader"), (qm, "champion"), (worker, "member")]


@pytest.fixture
def customer(db):  # type: ignore[no-untyped-def]
    from closeloop.customers.tests.factories import customer_make

    return customer_make("C001", "华东机电有限公司", tier="key", annual_value=5_000_000)


@pytest.fixture
def product(db):  # type: ignore[no-untyped-def]
    from closeloop.customers.tests.factories import product_make

    return product_make("P001", "十字螺丝刀", family="hand-tools", warranty_months=12)


@pytest.fixture
def order(db, customer, product):  # type: ignore[no-untyped-def]
    """Sales order SO-2026-0001: one line of P001, lot L2605, shipped 2026-05-10 as SH-0001."""
    from closeloop.customers.tests.factories import contact_make, order_make

    contact = contact_make(customer)
    return order_make(
        "SO-2026-0001", customer, [(product, 500, "L2605")], contact=contact, shipment_number="SH-0001"
    )


@pytest.fixture
def complaint(db, agent, order, frozen_now):  # type: ignore[no-untyped-def]
    """A phone complaint created from order SO-2026-0001 by the agent."""
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    return complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            order_number="SO-2026-0001",
            title="螺丝刀杆生锈",
            description="客户收货后发现螺丝刀杆表面生锈，约50支。",
            category="quality-corrosion",
            severity="serious",
            quantity_affected=50,
            customer_requirement="更换并提供8D报告",
        ),
        actor=agent,
    )
