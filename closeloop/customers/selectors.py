"""Reads of master data, scoped like complaints: a salesperson sees the customers they own."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.complaints.workflow import OPEN_STATUSES
from closeloop.customers.models import Customer, SalesOrder, SalesOrderLine
from closeloop.intake.selectors import customer_visible_qs


def customer_list(*, user: User, q: str = "", tier: str = "") -> QuerySet[Customer]:
    """Visible customers with ``open_complaints`` annotated (one query, whatever the number of rows)."""
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
    """The customer, or None when it does not exist or ``user`` may not see it (no leak of existence)."""
    return (
        customer_visible_qs(user=user)
        .select_related("sales_owner")
        .prefetch_related("contacts")
        .filter(code=code)
        .first()
    )


def customer_recent_complaints(*, user: User, customer: Customer, limit: int = 20) -> list[Complaint]:
    """The customer's latest complaints that ``user`` may see (complaint_visible_qs decides)."""
    return list(
        complaint_visible_qs(user=user)
        .filter(customer=customer)
        .select_related("owner", "category")
        .order_by("-received_at", "-id")[:limit]
    )


def _lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product").order_by("line_no"))


def order_list(
    *, user: User, customer: Customer | None = None, q: str = "", customer_code: str = ""
) -> QuerySet[SalesOrder]:
    """Orders of the customers ``user`` may see, newest first, with lines, products and shipments
    prefetched and ``complaint_count`` annotated (a constant number of queries per page)."""
    qs = SalesOrder.objects.filter(customer__in=customer_visible_qs(user=user))
    if customer is not None:
        qs = qs.filter(customer=customer)
    if customer_code:
        qs = qs.filter(customer__code=customer_code)
    if q:
        qs = qs.filter(
            Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer__code__icontains=q)
        )
    return (
        qs.select_related("customer")
        .annotate(complaint_count=Count("complaints"))
        .prefetch_related(_lines_prefetch(), "shipments")
        .order_by("-order_date", "-id")
    )


def order_get_for_user(*, user: User, number: str) -> SalesOrder | None:
    """The order with customer, contact, lines (with products) and shipments, or None when missing or
    when its customer is not visible to ``user``."""
    return (
        SalesOrder.objects.filter(customer__in=customer_visible_qs(user=user), number=number)
        .select_related("customer", "customer__sales_owner", "contact")
        .prefetch_related(_lines_prefetch(), "shipments")
        .first()
    )


def order_complaints(*, user: User, order: SalesOrder) -> list[Complaint]:
    """Complaints raised against ``order`` that ``user`` may see."""
    return list(
        complaint_visible_qs(user=user)
        .filter(order=order)
        .select_related("owner", "category")
        .order_by("-received_at", "-id")[:50]
    )
