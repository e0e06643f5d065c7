"""CRM pages (read-mostly; master data is edited in the admin and imported)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from closeloop.accounts.models import User
from closeloop.core.views import request_user
from closeloop.customers import selectors
from closeloop.customers.forms import CustomerFilterForm, OrderFilterForm, filter_values
from closeloop.customers.models import Contact, Product, SalesOrder, warranty_end
from closeloop.customers.pii import email_for, phone_for

LIST_LIMIT = 200
ORDERS_PER_PAGE = 50


def _contact_view(user: User, contact: Contact) -> dict[str, str]:
    """A contact as shown to ``user``: phone and email masked unless they may see personal data."""
    return {
        "name": contact.name,
        "title": contact.title,
        "phone": phone_for(user, contact.phone),
        "email": email_for(user, contact.email),
    }


class CustomerListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_customer"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = CustomerFilterForm(request.GET)
        f = filter_values(form)
        customers = list(
            selectors.customer_list(user=request_user(request), q=f["q"], tier=f["tier"])[:LIST_LIMIT]
        )
        return render(
            request,
            "customers/list.html",
            {"form": form, "customers": customers, "q": f["q"], "tier": f["tier"], "limit": LIST_LIMIT},
        )


class CustomerDetailView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_customer"

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        user = request_user(request)
        customer = selectors.customer_get_for_user(user=user, code=code)
        if customer is None:
            raise Http404
        return render(
            request,
            "customers/detail.html",
            {
                "customer": customer,
                "contacts": [_contact_view(user, c) for c in customer.contacts.all()],
                "complaints": selectors.customer_recent_complaints(user=user, customer=customer),
                "orders": list(selectors.order_list(user=user, customer=customer)[:20]),
            },
        )


class ProductListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_product"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "customers/products.html",
            {
                "products": Product.objects.filter(is_active=True)
                .select_related("site")
                .order_by("family", "code")[:500]
            },
        )


class OrderListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_salesorder"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = OrderFilterForm(request.GET)
        f = filter_values(form)
        orders = selectors.order_list(user=request_user(request), q=f["q"], customer_code=f["customer"])
        page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        return render(
            request,
            "customers/orders.html",
            {
                "form": form,
                "page": page,
                "orders": page.object_list,
                "q": f["q"],
                "query": params.urlencode(),
            },
        )


def _line_rows(order: SalesOrder) -> list[dict[str, Any]]:
    """Order lines with the warranty end counted from the first shipment (none before shipping)."""
    shipped = min((s.ship_date for s in order.shipments.all()), default=None)
    return [
        {
            "line": line,
            "warranty_until": warranty_end(shipped, line.product.warranty_months) if shipped else None,
        }
        for line in order.lines.all()
    ]


class OrderDetailView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "customers.view_salesorder"

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = request_user(request)
        order = selectors.order_get_for_user(user=user, number=number)
        if order is None:
            raise Http404
        return render(
            request,
            "customers/order_detail.html",
            {
                "order": order,
                "contact": _contact_view(user, order.contact) if order.contact else None,
                "lines": _line_rows(order),
                "shipments": list(order.shipments.all()),
                "complaints": selectors.order_complaints(user=user, order=order),
            },
        )
