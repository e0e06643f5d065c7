"""The complaint list: filters, search, saved views, keyset pagination (htmx swaps the table)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from closeloop.accounts.models import User
from closeloop.complaints import listing, selectors, services
from closeloop.complaints.models import Severity
from closeloop.complaints.workflow import Status
from closeloop.core.views import request_user
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


class ComplaintListView(LoginRequiredMixin, View):
    """The complaint ledger. Filters, sort and cursor live in the query string; an htmx request
    aimed at the table gets the table alone, anything else the whole page (so it works without JS)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        f = listing.filters_parse(request.GET)
        page = listing.complaint_list(user=user, f=f, page_size=listing.PAGE_SIZE)
        ctx = {
            "page": page,
            "f": f,
            "next_url": f"?{f.as_query(cursor=page.next_cursor)}" if page.next_cursor else "",
            "first_url": f"?{f.as_query()}",
            "can_assign": user.has_perm("complaints.assign_complaint"),
            "here": f"{request.path}?{f.as_query()}",
            "sort_links": _sort_links(f),
            # All active users (a small table); DISTINCT over complaint owners would scan complaints.
            "owners": User.objects.filter(is_active=True)
            .order_by("username")
            .only("username", "display_name", "first_name", "last_name"),
        }
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "complaint-table":
            return render(request, "complaints/_list_table.html", ctx)
        ctx.update(
            {
                "statuses": Status.choices,
                "severities": Severity.choices,
                "categories": category_choices(),
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
