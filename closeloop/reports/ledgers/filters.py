"""The ledgers' filters: the complaint list's own (``complaints.listing``), read strictly.

The list forgives a bad value (it drops it and shows the rest); an export names it instead, since a
spreadsheet that silently ignored a filter would be taken for the filtered one. Scoping is the list's
too: ``listing.filtered_qs`` starts from ``complaint_visible_qs``, so a salesperson exports only what
they could page through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import QueryDict
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.complaints import listing
from closeloop.complaints.models import Category, Complaint, Severity
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.complaints.workflow import Status
from closeloop.core.errors import ValidationFailed
from closeloop.customers.models import Customer
from closeloop.reports.models import ExportKind

ListFilters = listing.ListFilters
FILTER_NAMES = (
    "view",
    "status",
    "customer",
    "category",
    "severity",
    "owner",
    "received_from",
    "received_to",
    "q",
    "sort",
)
MULTI = ("status", "severity")


def params_querydict(params: Mapping[str, Any] | QueryDict) -> QueryDict:
    """Filter parameters (a QueryDict, or a dict of str / list of str as stored on a job) as a QueryDict
    holding only the list's filter names."""
    qd = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        if isinstance(params, QueryDict):
            values = params.getlist(name)
        else:
            raw = params.get(name)
            values = raw if isinstance(raw, list) else ([] if raw is None else [raw])
        values = [str(v) for v in values if v is not None and str(v) != ""]
        if values:
            qd.setlist(name, values)
    return qd


def ledger_filters_parse(*, user: User, kind: str, params: Mapping[str, Any] | QueryDict) -> ListFilters:
    """The list's filters from ``params``, for an export of ``kind``.

    Raises ValidationFailed naming each bad field: an unknown view, status, severity or sort, a date
    that is not YYYY-MM-DD, an unknown category; for the per-customer status report, a missing
    ``customer`` or one the user may not see (reported as unknown, so existence does not leak).
    """
    qd = params_querydict(params)
    errors: dict[str, list[str]] = {}
    for name in ("received_from", "received_to"):
        # listing.filters_parse lets parse_date's ValueError out for a well-formed impossible date
        # (2026-13-01); named here instead, and dropped before the list's parser sees it.
        try:
            parse_date(qd.get(name) or "")
        except ValueError:
            errors[name] = [_("Use a date like 2026-11-22.")]
            del qd[name]
    f = listing.filters_parse(qd)
    errors.update({k: [v] for k, v in f.errors.items()})
    for name, choices in (("status", Status.values), ("severity", Severity.values)):
        bad = [v for v in qd.getlist(name) if v not in choices]
        if bad:
            errors[name] = [_("Unknown value: %(value)s.") % {"value": ", ".join(bad)}]
    sort = qd.get("sort")
    if sort and listing.SORT_ALIASES.get(sort, sort) not in listing.SORTS:
        errors["sort"] = [_("Unknown value: %(value)s.") % {"value": sort}]
    if f.category and not Category.objects.filter(code=f.category).exists():
        errors["category"] = [_("Unknown value: %(value)s.") % {"value": f.category}]
    if kind == ExportKind.CUSTOMER_STATUS:
        if not f.customer:
            errors["customer"] = [_("Choose a customer: this report is about one customer.")]
        elif customer_for_report(user=user, code=f.customer) is None:
            errors["customer"] = [_("No customer has the code “%(code)s”.") % {"code": f.customer}]
    if errors:
        raise ValidationFailed(fields=errors)
    f.cursor = ""  # an export holds every matching row, not one page
    return f


def customer_for_report(*, user: User, code: str) -> Customer | None:
    """The customer ``code`` if ``user`` may report on it: every customer for roles that see every
    complaint; otherwise one they own or one with a complaint they may see."""
    customer = Customer.objects.filter(code=code).first()
    if customer is None:
        return None
    if (
        user.has_perm("complaints.view_all_complaints")
        or customer.sales_owner_id == user.pk
        or complaint_visible_qs(user=user).filter(customer=customer).exists()
    ):
        return customer
    return None


def filters_params(f: ListFilters) -> dict[str, list[str]]:
    """The filters as stored on an export job (the list's query string, parsed back)."""
    qd = QueryDict(f.as_query())
    return {k: qd.getlist(k) for k in qd}


def ledger_qs(*, user: User, f: ListFilters) -> QuerySet[Complaint]:
    """The complaints ``user`` may see that match ``f``, in the list's order (then by id, so the order
    is total). The severity sort ranks serious > general > minor, newest first within a rank, as the
    list does."""
    qs = listing.filtered_qs(user=user, f=f)
    field, desc = listing.SORTS[f.sort]
    if field == "severity":
        ranks = listing.SEVERITY_RANKED if desc else listing.SEVERITY_RANKED[::-1]
        rank = Case(
            *[When(severity=s, then=Value(i)) for i, s in enumerate(ranks)],
            default=Value(len(ranks)),
            output_field=IntegerField(),
        )
        return qs.annotate(_severity_rank=rank).order_by("_severity_rank", "-received_at", "-pk")
    return qs.order_by(f"-{field}", "-pk") if desc else qs.order_by(field, "pk")


def filters_describe(f: ListFilters) -> str:
    """The filters in words for the title line ("Status: Closed; Customer: C001 …"); "" when none."""
    labels = {
        "all": "",
        "mine": _("Mine"),
        "unassigned": _("Unassigned"),
        "overdue": _("Overdue"),
    }
    parts: list[str] = []
    if labels.get(f.view):
        parts.append(labels[f.view])
    if f.status:
        parts.append(f"{_('Status')}: {', '.join(str(Status(s).label) for s in f.status)}")
    if f.severity:
        parts.append(f"{_('Severity')}: {', '.join(str(Severity(s).label) for s in f.severity)}")
    if f.customer:
        parts.append(f"{_('Customer code')}: {f.customer}")
    if f.category:
        cat = Category.objects.filter(code=f.category).first()
        parts.append(f"{_('Category')}: {cat.label if cat else f.category}")
    if f.owner:
        parts.append(f"{_('Owner')}: {_('Nobody') if f.owner == 'none' else f.owner}")
    if f.received_from:
        parts.append(f"{_('Received from')}: {f.received_from.isoformat()}")
    if f.received_to:
        parts.append(f"{_('Received to')}: {f.received_to.isoformat()}")
    if f.q:
        parts.append(f"{_('Search')}: {f.q}")
    return "; ".join(parts)
