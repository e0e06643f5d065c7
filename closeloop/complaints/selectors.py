"""Reads of complaints, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, QuerySet

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.core.db import PreparedQuery, joins_as_written
from closeloop.core.errors import NotFound

Visibility = Literal["all", "own", "none"]


def complaint_visibility(user: User) -> Visibility:
    """Which complaints ``user`` may read: ``all`` (roles with ``view_all_complaints``), ``own`` (a
    salesperson: the complaints of the customers they own plus those they created or own) or ``none``."""
    if not user.is_authenticated or not user.is_active:
        return "none"
    if user.has_perm("complaints.view_all_complaints"):
        return "all"
    if user.has_perm("complaints.view_complaint"):
        return "own"
    return "none"


def _own(sales_owner: Any, created_by: Any, owner: Any) -> Q:
    """The ``own`` rule, the same user (or their id) given three times."""
    return Q(customer__sales_owner=sales_owner) | Q(created_by=created_by) | Q(owner=owner)


def complaint_visible_qs(*, user: User) -> QuerySet[Complaint]:
    """Complaints ``user`` may read (complaint_visibility)."""
    qs = Complaint.objects.all()
    visibility = complaint_visibility(user)
    if visibility == "all":
        return qs
    if visibility == "own":
        return qs.filter(_own(user, user, user))
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


def _page_qs(qs: QuerySet[Complaint], reading: bool) -> QuerySet[Complaint]:
    qs = qs.select_related(*PAGE_RELATED)
    if reading:
        own = [f.name for f in Complaint._meta.concrete_fields if f.name != "search_text"]
        qs = qs.only(*own, *PAGE_RELATED_FIELDS)
    return qs


# The complaint page's statement, compiled once per process (core.db.PreparedQuery): compiling a
# ten-table select cost the ORM three times what running it costs. By (visibility, reading).
_PAGE_QUERIES: dict[tuple[Visibility, bool], PreparedQuery[Complaint]] = {
    **{
        ("all", reading): PreparedQuery(
            lambda number, reading=reading: _page_qs(Complaint.objects.filter(number=number), reading),
            samples=("\0number",),
        )
        for reading in (False, True)
    },
    **{
        ("own", reading): PreparedQuery(
            lambda a, b, c, number, reading=reading: _page_qs(
                Complaint.objects.filter(_own(a, b, c)).filter(number=number), reading
            ),
            samples=(-1, -2, -3, "\0number"),
        )
        for reading in (False, True)
    },
}


def complaint_get_for_page(*, user: User, number: str, reading: bool = False) -> Complaint:
    """Like ``complaint_get_for_user``, with the relations the complaint page shows (PAGE_RELATED). Its
    attachments and deadlines are not prefetched: the page reads each with one plain query, which
    costs less than the prefetch machinery.

    ``reading``: for a page that only shows the complaint (no service is handed it): the related rows
    come with PAGE_RELATED_FIELDS alone and the complaint without its search text. Any other column
    is still read when asked for, one query each."""
    visibility = complaint_visibility(user)
    if visibility == "none":
        raise NotFound()
    values = (number,) if visibility == "all" else (user.pk, user.pk, user.pk, number)
    with joins_as_written():
        complaint = _PAGE_QUERIES[(visibility, reading)].first(*values)
    if complaint is None:
        raise NotFound()
    return complaint
