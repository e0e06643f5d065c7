"""CRM reads: scoping to the user and the annotated open-complaint counts."""

import pytest

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import user_make
from closeloop.complaints.services import complaint_mark_invalid
from closeloop.customers import selectors
from closeloop.customers.tests.factories import customer_make, order_make
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db


def _complain(actor, customer_code, title="外壳划伤", order_number=""):
    return complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            customer="" if order_number else customer_code,
            order_number=order_number,
            title=title,
            description=f"{title}，客户要求处理。",
        ),
        actor=actor,
    )


@pytest.fixture
def two_customers(customer, sales, product):
    """C001 (not owned) and C002 owned by the salesperson, each with one order."""
    mine = customer_make(
        "C002", "苏州精密模具有限公司", tier="strategic", annual_value=12_000_000, sales_owner=sales
    )
    order_make("SO-1", customer, [(product, 10, "L1")])
    order_make("SO-2", mine, [(product, 20, "L2")])
    return customer, mine


def test_salesperson_sees_only_customers_and_orders_they_own(sales, agent, two_customers):
    _other, mine = two_customers
    assert [c.code for c in selectors.customer_list(user=sales)] == ["C002"]
    assert selectors.customer_get_for_user(user=sales, code="C001") is None
    assert selectors.customer_get_for_user(user=sales, code="C002") == mine
    assert [o.number for o in selectors.order_list(user=sales)] == ["SO-2"]
    assert selectors.order_get_for_user(user=sales, number="SO-1") is None
    assert selectors.order_get_for_user(user=sales, number="SO-2").customer == mine
    # a role that sees every complaint sees every customer
    assert [c.code for c in selectors.customer_list(user=agent)] == ["C001", "C002"]
    assert {o.number for o in selectors.order_list(user=agent)} == {"SO-1", "SO-2"}


def test_search_by_code_or_name_and_tier_filter(agent, two_customers):
    assert [c.code for c in selectors.customer_list(user=agent, q="精密")] == ["C002"]
    assert [c.code for c in selectors.customer_list(user=agent, q="c001")] == ["C001"]
    assert [c.code for c in selectors.customer_list(user=agent, tier="strategic")] == ["C002"]
    assert [c.code for c in selectors.customer_list(user=agent, tier="key")] == ["C001"]
    assert list(selectors.customer_list(user=agent, q="精密", tier="key")) == []
    assert [o.number for o in selectors.order_list(user=agent, q="苏州")] == ["SO-2"]
    assert [o.number for o in selectors.order_list(user=agent, customer_code="C001")] == ["SO-1"]


def test_open_complaint_count_leaves_out_ended_complaints(agent, qm, two_customers, frozen_now):
    _complain(agent, "C001", "漏油")
    _complain(agent, "C001", "生锈")
    rejected = _complain(agent, "C001", "发票错误")
    complaint_mark_invalid(complaint=rejected, actor=qm, reason="客户撤回投诉")
    counts = {c.code: c.open_complaints for c in selectors.customer_list(user=agent)}
    assert counts == {"C001": 2, "C002": 0}


def test_recent_complaints_are_scoped_like_the_complaint_list(sales, agent, two_customers, frozen_now):
    _other, mine = two_customers
    _complain(agent, "C002", "尺寸超差")
    assert [c.title for c in selectors.customer_recent_complaints(user=sales, customer=mine)] == ["尺寸超差"]
    # a user who may not read complaints gets none even for a visible customer
    viewer = user_make("viewer")
    assert selectors.customer_recent_complaints(user=viewer, customer=mine) == []


def test_order_complaints_and_counts(agent, two_customers, frozen_now):
    _complain(agent, "", "包装破损", order_number="SO-1")
    orders = {o.number: o for o in selectors.order_list(user=agent)}
    assert orders["SO-1"].complaint_count == 1 and orders["SO-2"].complaint_count == 0
    order = selectors.order_get_for_user(user=agent, number="SO-1")
    assert [c.title for c in selectors.order_complaints(user=agent, order=order)] == ["包装破损"]


def test_purchasing_manager_reads_all_customers(two_customers):
    buyer = user_make("buyer", roles.PURCHASING_MANAGER)
    assert selectors.customer_list(user=buyer).count() == 2
