"""/api/v1/customers, /products, /orders: reads, scoped like the staff pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from closeloop.accounts.models import User
from closeloop.api.schemas import CustomerOut, ErrorOut, OrderOut, ProductOut
from closeloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from closeloop.customers.models import Contact, Customer, Product, SalesOrder
from closeloop.customers.pii import email_for, phone_for
from closeloop.intake.selectors import customer_visible_qs

router = Router(tags=["master data"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _need(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied()


def _limit(request: HttpRequest) -> int:
    try:
        return max(1, min(200, int(request.GET.get("limit") or 50)))
    except ValueError as exc:
        raise ValidationFailed(fields={"limit": [_("Give a whole number from 1 to 200.")]}) from exc


def _page(qs: QuerySet[Any], request: HttpRequest, key: str) -> tuple[list[Any], str | None]:
    """Keyset page ordered by ``key`` (a unique code/number): ``?after=<last key>&limit=``."""
    after = request.GET.get("after")
    if after:
        qs = qs.filter(**{f"{key}__gt": after})
    limit = _limit(request)
    rows = list(qs.order_by(key)[: limit + 1])
    nxt = getattr(rows[limit - 1], key) if len(rows) > limit else None
    return rows[:limit], nxt


def _customer_out(c: Customer, user: User) -> dict[str, Any]:
    return {
        "code": c.code,
        "name": c.name,
        "tier": c.tier,
        "annual_value": str(c.annual_value),
        "industry": c.industry,
        "region": c.region,
        "contacts": [
            {"id": p.pk, "name": p.name, "phone": phone_for(user, p.phone), "email": email_for(user, p.email)}
            for p in c.contacts.all()
        ],
    }


@router.get("/customers", response={200: dict[str, Any], **ERRORS}, summary="List customers")
def customer_list(request: HttpRequest, q: str = "") -> dict[str, Any]:
    user = _user(request)
    _need(user, "customers.view_customer")
    qs = customer_visible_qs(user=user).prefetch_related(
        Prefetch("contacts", Contact.objects.order_by("name"))
    )
    if q:
        qs = qs.filter(name__icontains=q[:100]) | qs.filter(code__icontains=q[:40])
    rows, nxt = _page(qs, request, "code")
    return {"items": [CustomerOut(**_customer_out(c, user)).model_dump() for c in rows], "next_after": nxt}


@router.get("/customers/{code}", response={200: CustomerOut, **ERRORS}, summary="Read one customer")
def customer_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    user = _user(request)
    _need(user, "customers.view_customer")
    c = customer_visible_qs(user=user).filter(code=code).first()
    if c is None:
        raise NotFound()
    return _customer_out(c, user)


@router.get("/products", response={200: dict[str, Any], **ERRORS}, summary="List products")
def product_list(request: HttpRequest, family: str = "") -> dict[str, Any]:
    _need(_user(request), "customers.view_product")
    qs = Product.objects.filter(is_active=True).select_related("site")
    if family:
        qs = qs.filter(family=family[:100])
    rows, nxt = _page(qs, request, "code")
    return {
        "items": [
            ProductOut(
                code=p.code,
                name=p.name,
                family=p.family,
                warranty_months=p.warranty_months,
                site=p.site.code if p.site else None,
            ).model_dump()
            for p in rows
        ],
        "next_after": nxt,
    }


def _order_out(o: SalesOrder) -> dict[str, Any]:
    return {
        "number": o.number,
        "customer": o.customer.code,
        "order_date": o.order_date,
        "lines": [
            {"line": ln.line_no, "product": ln.product.code, "quantity": ln.quantity, "lot": ln.lot}
            for ln in o.lines.all()
        ],
        "shipments": [
            {"number": s.number, "ship_date": s.ship_date, "carrier": s.carrier} for s in o.shipments.all()
        ],
    }


def _orders(user: User) -> QuerySet[SalesOrder]:
    return (
        SalesOrder.objects.filter(customer__in=customer_visible_qs(user=user))
        .select_related("customer")
        .prefetch_related("lines__product", "shipments")
    )


@router.get("/orders", response={200: dict[str, Any], **ERRORS}, summary="List sales orders")
def order_list(request: HttpRequest, customer: str = "") -> dict[str, Any]:
    user = _user(request)
    _need(user, "customers.view_salesorder")
    qs = _orders(user)
    if customer:
        qs = qs.filter(customer__code=customer[:40])
    rows, nxt = _page(qs, request, "number")
    return {"items": [OrderOut(**_order_out(o)).model_dump(mode="json") for o in rows], "next_after": nxt}


@router.get("/orders/{number}", response={200: OrderOut, **ERRORS}, summary="Read one sales order")
def order_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user(request)
    _need(user, "customers.view_salesorder")
    o = _orders(user).filter(number=number).first()
    if o is None:
        raise NotFound()
    return _order_out(o)
