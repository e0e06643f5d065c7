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


def _one(qs: QuerySet[Complaint], number: str) -> Complaint:
    # The number is unique: no ORDER BY (``first()`` would add one, and compiling the ordering against
    # this wide a select costs more than the query itself).
    rows = list(qs.filter(number=number).order_by()[:1])
    if not rows:
        raise NotFound()
    return rows[0]


def complaint_get_for_user(*, user: User, number: str) -> Complaint:
    """The complaint with ``number`` if ``user`` may see it; NotFound otherwise (no existence leak)."""
    return _one(complaint_detail_qs(user=user), number)


# What the complaint page shows. Not joined: the creator (not shown), and the original of a duplicate
# and the 8D, which few complaints have and which are wide rows (each costs a query only on the
# complaints that have one; the page reads the original's number and title alone).
PAGE_RELATED = (
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
)


def complaint_get_for_page(*, user: User, number: str) -> Complaint:
    """Like ``complaint_get_for_user``, with the relations the complaint page shows (PAGE_RELATED). Its
    attachments and deadlines are not prefetched: the page reads each with one plain query, which
    costs less than the prefetch machinery."""
    return _one(complaint_visible_qs(user=user).select_related(*PAGE_RELATED), number)


def complaint_timeline(*, complaint: Complaint, limit: int | None = None) -> list[ComplaintEvent]:
    """The complaint's events, newest first; with ``limit``, only the newest ``limit`` of them."""
    qs = complaint.events.select_related("actor").order_by("-created_at", "-id")
    return list(qs[:limit] if limit is not None else qs)
