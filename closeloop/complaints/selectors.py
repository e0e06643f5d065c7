"""Reads of complaints, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.core.db import joins_as_written
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
    with joins_as_written():
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


# What a person's name (User.__str__ and initials) is made of: the columns read of a user that a page
# only names.
USER_NAME_FIELDS = ("username", "first_name", "last_name", "display_name")


# The columns of PAGE_RELATED that the complaint page reads (its template, the triage form's initial
# values and site choice, the handling card's writer check). Compiling and decoding every column of ten
# joined tables cost more CPU than the rest of the query path; the complaint's own columns are all read
# but its search text (which the page never shows).
PAGE_RELATED_FIELDS = (
    "customer__code",
    "customer__name",
    "customer__tier",
    "customer__sales_owner",
    "contact__name",
    "contact__phone",
    "contact__email",
    "product__code",
    "product__name",
    "site__code",
    "site__name",
    "site__name_en",
    "order__number",
    "shipment__number",
    "category__code",
    "category__name",
    "category__name_en",
    "category__parent__code",
    "category__parent__name",
    "category__parent__name_en",
    *(f"owner__{name}" for name in USER_NAME_FIELDS),
    "department__code",
    "department__name",
    "department__name_en",
)


def complaint_get_for_page(*, user: User, number: str, reading: bool = False) -> Complaint:
    """Like ``complaint_get_for_user``, with the relations the complaint page shows (PAGE_RELATED). Its
    attachments and deadlines are not prefetched: the page reads each with one plain query, which
    costs less than the prefetch machinery.

    ``reading``: for a page that only shows the complaint (no service is handed it): the related rows
    come with PAGE_RELATED_FIELDS alone and the complaint without its search text. Any other column
    is still read when asked for, one query each."""
    qs = complaint_visible_qs(user=user).select_related(*PAGE_RELATED)
    if reading:
        own = [f.name for f in Complaint._meta.concrete_fields if f.name != "search_text"]
        qs = qs.only(*own, *PAGE_RELATED_FIELDS)
    return _one(qs, number)
