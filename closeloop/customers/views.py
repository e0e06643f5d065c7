"""CRM pages (read-mostly; master data is edited in the admin and imported)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.core.views import request_user
from closeloop.customers import selectors
from closeloop.customers.models import CustomerTier, Product
from closeloop.customers.pii import email_for, phone_for


class CustomerListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_customer"

    def get(self, request: HttpRequest) -> HttpResponse:
        q = (request.GET.get("q") or "").strip()[:100]
        tier = request.GET.get("tier") or ""
        tier = tier if tier in CustomerTier.values else ""
        customers = selectors.customer_list(user=request_user(request), q=q, tier=tier)[:200]
        return render(
            request,
            "customers/list.html",
            {"customers": customers, "q": q, "tier": tier, "tiers": CustomerTier.choices},
        )


class CustomerDetailView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_customer"

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        user = request_user(request)
        customer = selectors.customer_get_for_user(user=user, code=code)
        if customer is None:
            raise Http404
        contacts = [
            {
                "name": c.name,
                "title": c.title,
                "phone": phone_for(user, c.phone),
                "email": email_for(user, c.email),
            }
            for c in customer.contacts.all()
        ]
        complaints = (
            complaint_visible_qs(user=user)
            .filter(customer=customer)
            .select_related("owner", "category")
            .order_by("-received_at")[:20]
        )
        orders = selectors.order_list(user=user, customer=customer)[:20]
        return render(
            request,
            "customers/detail.html",
            {"customer": customer, "contacts": contacts, "complaints": complaints, "orders": orders},
        )


class ProductListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_product"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "customers/products.html",
            {"products": Product.objects.filter(is_active=True).order_by("family", "code")[:500]},
        )
