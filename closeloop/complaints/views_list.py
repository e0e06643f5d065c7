"""The complaint list: filters, search, saved views, keyset pagination (htmx swaps the table)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from closeloop.accounts.models import User
from closeloop.complaints import listing
from closeloop.complaints.models import Severity
from closeloop.complaints.workflow import Status
from closeloop.core.views import request_user
from closeloop.intake.forms import category_choices


class ComplaintListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        f = listing.filters_parse(request.GET)
        page = listing.complaint_list(user=user, f=f)
        ctx = {
            "page": page,
            "f": f,
            "next_url": f"?{f.as_query(cursor=page.next_cursor)}" if page.next_cursor else "",
            "first_url": f"?{f.as_query()}",
        }
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "complaint-table":
            return render(request, "complaints/_list_table.html", ctx)
        ctx.update(
            {
                "statuses": Status.choices,
                "severities": Severity.choices,
                "categories": category_choices(),
                # All active users (a small table); DISTINCT over complaint owners would scan complaints.
                "owners": User.objects.filter(is_active=True)
                .order_by("username")
                .only("username", "display_name", "first_name", "last_name"),
                "sorts": [
                    ("-received_at", _("Newest first")),
                    ("received_at", _("Oldest first")),
                    ("-priority", _("Highest priority")),
                    ("number", _("Number")),
                ],
            }
        )
        return render(request, "complaints/list.html", ctx)
