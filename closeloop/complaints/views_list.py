"""The complaint list: filters, search, saved views, keyset pagination (htmx swaps the table)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS, url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from closeloop.accounts.models import Department, User
from closeloop.complaints import listing, selectors, services
from closeloop.complaints.models import Category, Complaint, Severity
from closeloop.complaints.workflow import Status
from closeloop.core.views import request_user
from closeloop.customers.models import Site
from closeloop.intake.forms import category_choices

# column -> (sort on first click, sort on the second click). Clicking cycles between the two.
SORTABLE_COLUMNS = {
    "number": ("number", "-number"),
    "severity": ("-severity", "severity"),
    "priority": ("-priority", "priority"),
    "received": ("-received_at", "received_at"),
}


def _sort_links(f: listing.ListFilters) -> dict[str, dict[str, str]]:
    """For each sortable column header: the link that sorts by it, and its aria-sort state."""
    links = {}
    for column, (first, second) in SORTABLE_COLUMNS.items():
        state = ""
        if f.sort in (first, second):
            state = "descending" if f.sort.startswith("-") else "ascending"
        target = second if f.sort == first else first
        links[column] = {"url": f"?{f.as_query(sort=target)}", "aria": state}
    return links


# Drill-down parameters have no field of their own on the filter form: they ride along as hidden
# inputs so that changing another filter keeps them, and show as chips.
DRILL_PARAMS = (
    "product_family",
    "closed_from",
    "closed_to",
    "step",
    "department",
    "site",
    "root_cause",
    "deadline_missed",
    "reopened",
    "repeat",
    "product",
    "import_job",
    *listing.DRILL_DAYS,
    *listing.DRILL_FLAGS,
)


def _filter_labels() -> dict[str, str]:
    return {
        "q": _("Search"),
        "status": _("Status"),
        "severity": _("Severity"),
        "customer": _("Customer code"),
        "category": _("Category"),
        "owner": _("Owner"),
        "received_from": _("Received from"),
        "received_to": _("Received to"),
        "product_family": _("Product family"),
        "closed_from": _("Closed from"),
        "closed_to": _("Closed to"),
        "step": _("8D step"),
        "department": _("Department"),
        "site": _("Site"),
        "root_cause": _("Root cause"),
        "deadline_missed": _("Deadline missed"),
        "reopened": _("Reopened"),
        "repeat": _("Repeat complaint"),
        "import_job": _("Import"),
        **_kpi_filter_labels(),
    }


def _kpi_filter_labels() -> dict[str, str]:
    """The chips of the cockpit's KPI drills (listing.filters._drill_parse_kpi)."""
    return {
        "product": _("Product"),
        "due_from": _("Deadline due from"),
        "due_to": _("Deadline due to"),
        "verdict_from": _("Customer verdict from"),
        "verdict_to": _("Customer verdict to"),
        "satisfied": _("Customer satisfied"),
        "case_closed_from": _("8D case closed from"),
        "case_closed_to": _("8D case closed to"),
        "case_primary": _("First complaint of its 8D case"),
        "started_from": _("Handling started from"),
        "started_to": _("Handling started to"),
        "overdue_actions": _("Overdue actions"),
        "actions_due_before": _("Actions due before"),
    }


def _cleared() -> dict[str, Any]:
    """Overrides for ``as_query`` that drop every filter (the view and sort stay)."""
    return {**dict.fromkeys(_filter_labels(), ""), "status": [], "severity": []}


def _chip_value(f: listing.ListFilters, name: str) -> str:
    """A filter's value as the user reads it (labels rather than codes where they are at hand)."""
    from closeloop.investigations.content import CAUSE_CATEGORIES
    from closeloop.investigations.workflow import Step
    from closeloop.sla.models import Target

    value = getattr(f, name)
    if name == "status":
        return ", ".join(str(Status(v).label) for v in value)
    if name == "severity":
        return ", ".join(str(Severity(v).label) for v in value)
    if name == "category":
        # One small query, only when the list is filtered by category.
        cat = Category.objects.filter(code=value).select_related("parent").first()
        return cat.full_label if cat else str(value)
    if name == "department":
        dep = Department.objects.filter(code=value).first()
        return str(dep) if dep else str(value)
    if name == "site":
        site = Site.objects.filter(code=value).first()
        return f"{site.code} {site.label}" if site else str(value)
    if name == "owner" and value == "none":
        return str(_("Nobody"))
    if name == "step":
        if value == listing.QUICK_STEP:
            return str(_("Quick resolution"))
        return str(Step(listing.STEPS[value]).label)
    if name == "root_cause":
        return str(CAUSE_CATEGORIES[value])
    if name == "deadline_missed":
        return str(_("Any deadline")) if value == listing.ANY_DEADLINE else str(Target(value).label)
    if name == "product" and value == listing.NO_PRODUCT:
        return str(_("No product"))
    if name == "import_job":
        from closeloop.intake.models import ImportJob

        job = ImportJob.objects.filter(pk=int(value)).only("original_name").first()
        return f"#{value} {job.original_name}" if job else f"#{value}"
    if name in ("reopened", "repeat", *listing.DRILL_FLAGS):
        return str(_("yes"))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def filter_chips(f: listing.ListFilters, params: QueryDict) -> list[dict[str, str]]:
    """One removable chip per active filter, so a list reached from the cockpit says what it shows;
    a rejected value gets a chip carrying its error (the drill-down parameters have no form field
    to show it next to)."""
    chips = []
    for name, label in _filter_labels().items():
        if name not in f.errors and not getattr(f, name):
            continue
        remove = f"?{f.as_query(**{name: [] if name in ('status', 'severity') else ''})}"
        if name in f.errors:
            chips.append(
                {
                    "name": name,
                    "label": label,
                    "value": (params.get(name) or "")[:60],
                    "error": f.errors[name],
                    "remove_url": remove,
                }
            )
        elif getattr(f, name):
            value = _chip_value(f, name)
            chips.append({"name": name, "label": label, "value": value, "error": "", "remove_url": remove})
    return chips


def list_rows(rows: list[Complaint]) -> list[dict[str, Any]]:
    """The table's rows with their labels and links worked out once here rather than by template
    lookups per cell: ``number``, ``url``, ``title``, ``category`` (full label, or None),
    ``customer``, ``severity`` and its label, ``urgent``, the status label, ``case`` (the 8D's
    number, step label and step, and whether it is closed; None without one), ``priority``,
    ``owner`` and ``initials`` (None and empty when unassigned), ``received`` (local time to the minute) and
    ``tick`` (the checkbox's accessible name)."""
    # The complaint page's address around a placeholder, asked of the URL resolver once per page.
    marker = "NUMBER"
    url_head, _sep, url_tail = reverse("complaints:detail", args=[marker]).rpartition(marker)
    severity = {code: str(label) for code, label in Severity.choices}
    status = {code: str(label) for code, label in Status.choices}
    tick = _("Tick %(n)s")
    out = []
    for c in rows:
        inv = c.investigation
        owner = c.owner
        out.append(
            {
                "number": c.number,
                # Quoted as reverse() quotes a path argument.
                "url": f"{url_head}{quote(c.number, safe=RFC3986_SUBDELIMS + '/~:@')}{url_tail}",
                "title": c.title,
                "category": c.category.full_label if c.category else None,
                "customer": c.customer.name,
                "severity": c.severity,
                "severity_label": severity.get(c.severity, c.severity),
                "urgent": c.urgency == "urgent",
                "status_label": status.get(c.status, c.status),
                "case": {
                    "number": inv.number,
                    "step_label": inv.get_current_step_display(),
                    "step": inv.current_step,
                    "closed": inv.status == "closed",
                }
                if inv is not None
                else None,
                "priority": c.priority_score,
                "owner": str(owner) if owner is not None else None,
                "initials": owner.initials if owner is not None else "",
                "received": timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
                "tick": tick % {"n": c.number},
            }
        )
    return out


# One table row of the list (its columns are the header's in complaints/_list_table.html). The rows are
# put together here rather than by the template: two dozen template nodes per row for 25 rows were
# the costliest part of the page's rendering, and a format string gives the same markup, escaped
# the same way, for a tenth of the CPU.
_ROW = (
    "\n      <tr>\n"
    "        {tick}\n"
    '        <td class="text-nowrap"><a href="{url}" class="fw-semibold">{number}</a></td>\n'
    '        <td><a href="{url}" class="text-reset">{title}</a>\n'
    "          {category}</td>\n"
    '        <td class="d-none d-md-table-cell">{customer}</td>\n'
    '        <td><span class="pill pill-{severity}">{severity_label}</span>{urgent}</td>\n'
    '        <td class="d-none d-sm-table-cell">'
    '<span class="pill pill-status">{status_label}</span>{case}</td>\n'
    '        <td class="d-none d-lg-table-cell">{priority}</td>\n'
    '        <td class="d-none d-md-table-cell">{owner}</td>\n'
    '        <td class="d-none d-lg-table-cell text-nowrap">{received}</td>\n'
    "      </tr>\n      "
)


def rows_html(rows: list[dict[str, Any]], *, can_assign: bool) -> SafeString:
    """The table body's rows (list_rows) as HTML; every value is escaped by format_html."""
    urgent = format_html(' <span class="pill pill-urgent">{}</span>', _("Urgent"))
    unassigned = format_html('<span class="text-secondary">{}</span>', _("Unassigned"))
    out = []
    for r in rows:
        case = r["case"]
        out.append(
            format_html(
                _ROW,
                tick=format_html(
                    '<td><input class="form-check-input" type="checkbox" name="numbers" value="{}"'
                    ' aria-label="{}"></td>',
                    r["number"],
                    r["tick"],
                )
                if can_assign
                else "",
                url=r["url"],
                number=r["number"],
                title=r["title"],
                category=format_html('<div class="small text-secondary">{}</div>', r["category"])
                if r["category"] is not None
                else "",
                customer=r["customer"],
                severity=r["severity"],
                severity_label=r["severity_label"],
                urgent=urgent if r["urgent"] else "",
                status_label=r["status_label"],
                case=format_html(
                    ' <span class="pill pill-general" title="{} · {}">{}</span>',
                    case["number"],
                    case["step_label"],
                    "8D ✓" if case["closed"] else f"D{case['step']}",
                )
                if case
                else "",
                priority=r["priority"],
                owner=format_html(
                    '<span class="avatar avatar-xs bg-secondary-lt me-1" aria-hidden="true">{}</span>{}',
                    r["initials"],
                    r["owner"],
                )
                if r["owner"] is not None
                else unassigned,
                received=r["received"],
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - each piece was built by format_html


class ComplaintListView(LoginRequiredMixin, View):
    """The complaint ledger. Filters, sort and cursor live in the query string; an htmx request
    aimed at the table gets the table alone, anything else the whole page (so it works without JS)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        f = listing.filters_parse(request.GET)
        page = listing.complaint_list(
            user=user, f=f, page_size=listing.PAGE_SIZE, only=listing.LIST_PAGE_FIELDS
        )
        query = f.as_query()
        can_assign = user.has_perm("complaints.assign_complaint")
        ctx = {
            "page": page,
            "rows_html": rows_html(list_rows(page.rows), can_assign=can_assign),
            "f": f,
            "query": query,
            "next_url": f"?{f.as_query(cursor=page.next_cursor)}" if page.next_cursor else "",
            "first_url": f"?{query}",
            "can_assign": can_assign,
            "here": f"{request.path}?{query}",
            "sort_links": _sort_links(f),
            "chips": filter_chips(f, request.GET),
            "clear_url": f"?{f.as_query(**_cleared())}",
            # (username, name) of all active users (a small table; DISTINCT over complaint owners would
            # scan complaints). Both the filter and the bulk bar list them.
            "owners": [
                (u.username, str(u))
                for u in User.objects.filter(is_active=True)
                .order_by("username")
                .only("username", "display_name", "first_name", "last_name")
            ],
        }
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "complaint-table":
            return render(request, "complaints/_list_table.html", ctx)
        current = QueryDict(query)
        ctx.update(
            {
                "statuses": Status.choices,
                "severities": Severity.choices,
                "categories": category_choices(),
                "drill_hidden": [(name, value) for name in DRILL_PARAMS if (value := current.get(name, ""))],
                "site_zone": listing.site_zone().key,
                "sorts": [
                    ("-received_at", _("Newest first")),
                    ("received_at", _("Oldest first")),
                    ("-priority", _("Highest priority")),
                    ("-severity", _("Most severe first")),
                    ("number", _("Number")),
                ],
            }
        )
        return render(request, "complaints/list.html", ctx)


BULK_LIMIT = 200


class ComplaintBulkAssignView(LoginRequiredMixin, View):
    """Assign the checked complaints of the list to one owner (or to nobody)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        if not user.has_perm("complaints.assign_complaint"):
            raise DjangoPermissionDenied
        back = request.POST.get("next") or reverse("complaints:list")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("complaints:list")
        numbers = [n for n in request.POST.getlist("numbers") if n][:BULK_LIMIT]
        if not numbers:
            messages.error(request, _("Tick the complaints to assign first."))
            return redirect(back)
        username = request.POST.get("owner", "")
        owner = None
        if username:
            owner = User.objects.filter(username=username, is_active=True).first()
            if owner is None:
                messages.error(request, _("No active user is called “%(name)s”.") % {"name": username})
                return redirect(back)
        complaints = list(selectors.complaint_visible_qs(user=user).filter(number__in=numbers))
        done, refused = services.complaint_bulk_assign(actor=user, complaints=complaints, owner=owner)
        if done:
            messages.success(
                request,
                ngettext("%(n)s complaint assigned.", "%(n)s complaints assigned.", len(done))
                % {"n": len(done)},
            )
        for number, reason in refused.items():
            messages.warning(request, f"{number}: {reason}")
        return redirect(back)
