"""CRM pages (read-mostly; master data is edited in the admin and imported)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from closeloop.customers.models import Customer


class CustomerListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_customer"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "customers/list.html", {"customers": Customer.objects.all()[:200]})
