"""Reads of complaints, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.errors import NotFound


def complaint_visible_qs(*, user: User) -> QuerySet[Complaint]:
    """Complaints ``user`` may read.

    Roles with ``view_all_complaints`` see everything; a salesperson sees the complaints of the
    customers they own plus those they created or own; anyone else sees nothing.
    """
    qs = Complaint.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.has_perm("complaints.view_all_complaints"):
        return qs
    if user.has_perm("complaints.view_complaint"):
        return qs.filter(Q(customer__sales_owner=user) | Q(created_by=user) | Q(owner=user))
    return qs.none()


DETAIL_RELATED = (
    "customer",
    "contact",
    "product",
    "site",
    "order",
    "shipment",
    "category",
    "category__parent",
    "owner",
    "department",
    "created_by",
    "duplicate_of",
    "investigation",
)


def complaint_detail_qs(*, user: User) -> QuerySet[Complaint]:
    """Visible complaints with everything a full representation reads, in one query (+attachments)."""
    return (
        complaint_visible_qs(user=user)
        .select_related(*DETAIL_RELATED)
        .prefetch_related("attachments", "deadlines")
    )


def complaint_get_for_user(*, user: User, number: str) -> Complaint:
    """The complaint with ``number`` if ``user`` may see it; NotFound otherwise (no existence leak)."""
    c = complaint_detail_qs(user=user).filter(number=number).first()
    if c is None:
        raise NotFound()
    return c


def complaint_timeline(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.select_related("actor").order_by("created_at", "id")
