"""Reads that the intake screens need, scoped to the user."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from closeloop.accounts.models import User
from closeloop.customers.models import Contact, Customer
from closeloop.intake.lookups import OrderFacts, order_facts


def customer_visible_qs(*, user: User) -> QuerySet[Customer]:
    """Customers ``user`` may pick: all for roles that see every complaint, else the ones they own."""
    qs = Customer.objects.filter(is_active=True)
    if user.has_perm("complaints.view_all_complaints"):
        return qs
    return qs.filter(sales_owner=user)


def order_facts_for_user(
    *, user: User, number: str, received_at: dt.datetime | None = None, line_no: int | None = None
) -> OrderFacts | None:
    """order_facts(), but None when the order's customer is not visible to ``user`` (no leak)."""
    facts = order_facts(number=number, received_at=received_at, line_no=line_no)
    if facts is None or not customer_visible_qs(user=user).filter(pk=facts.customer.pk).exists():
        return None
    return facts


def contacts_of(*, customer_code: str) -> QuerySet[Contact]:
    return Contact.objects.filter(customer__code=customer_code).order_by("name")
