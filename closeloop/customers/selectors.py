"""Reads of master data, scoped like complaints: a salesperson sees the customers they own."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from closeloop.accounts.models import User
from closeloop.complaints.workflow import OPEN_STATUSES
from closeloop.customers.models import Customer, SalesOrder
from closeloop.intake.selectors import customer_visible_qs


def customer_list(*, user: User, q: str = "", tier: str = "") -> QuerySet[Customer]:
    qs = (
        customer_visible_qs(user=user)
        .select_related("sales_owner")
        .annotate(open_complaints=Count("complaints", filter=Q(complaints__status__in=list(OPEN_STATUSES))))
    )
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if tier:
        qs = qs.filter(tier=tier)
    return qs.order_by("code")


def customer_get_for_user(*, user: User, code: str) -> Customer | None:
    return customer_visible_qs(user=user).select_related("sales_owner").filter(code=code).first()


def order_list(*, user: User, customer: Customer | None = None) -> QuerySet[SalesOrder]:
    qs = SalesOrder.objects.filter(customer__in=customer_visible_qs(user=user))
    if customer is not None:
        qs = qs.filter(customer=customer)
    return (
        qs.select_related("customer").prefetch_related("lines__product", "shipments").order_by("-order_date")
    )
