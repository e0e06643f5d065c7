"""The living demo that ``make run`` loads: Chinese master data, one user per role and 150 complaints
spread over the last twelve months, created through the real intake and triage services so the
timeline and audit trail look exactly as they would in use. Deterministic (seeded)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from closeloop.accounts.models import Department, User
from closeloop.complaints import handling
from closeloop.complaints import services as complaint_services
from closeloop.complaints.models import AssignmentRule, Category, Complaint
from closeloop.core import clock
from closeloop.core.demo_8d import demo_investigations
from closeloop.core.demo_data import (
    CARRIERS,
    CONTACTS,
    CUSTOMERS,
    DEMO_PASSWORD,
    DEPARTMENTS,
    ISSUES,
    PRODUCTS,
    RESOLUTIONS,
    SITE_BY_FAMILY,
    SITES,
    USERS,
)
from closeloop.customers.models import Contact, Customer, Product, SalesOrder, SalesOrderLine, Shipment, Site
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.services import complaint_intake


def _aware(d: dt.datetime) -> dt.datetime:
    return timezone.make_aware(d) if timezone.is_naive(d) else d


@transaction.atomic
def demo_master_data() -> dict[str, Any]:
    """Departments, users, sites, customers, contacts, products, orders, assignment rules. Idempotent:
    a product already there without a site gets its plant; nothing else stored is changed."""
    depts = {}
    for code, name, name_en in DEPARTMENTS:
        depts[code], _ = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
    users: dict[str, User] = {}
    for username, display, role, dept in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                display_name=display,
                department=depts[dept],
                email=f"{username}@closeloop.example",
            )
            user.groups.add(Group.objects.get(name=role))
        if username == "admin" and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        users[username] = user
    for code, mgr in [("quality", "qm"), ("sales", "salesmgr"), ("management", "gm")]:
        Department.objects.filter(code=code).update(manager=users[mgr])
    customers = []
    for code, name, tier, value, industry, region, owned in CUSTOMERS:
        c, created = Customer.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "tier": tier,
                "annual_value": Decimal(value),
                "industry": industry,
                "region": region,
                "sales_owner": users["sales"] if owned else None,
            },
        )
        if created:
            for i, cname in enumerate(CONTACTS[:3]):
                Contact.objects.create(
                    customer=c,
                    name=cname,
                    title=["采购经理", "质量工程师", "仓库主管"][i],
                    phone=f"1{38 + i}{int(code[1:]):04d}{5678 + i:04d}",
                    email=f"contact{i + 1}@{code.lower()}.example.cn",
                )
        customers.append(c)
    sites = {
        code: Site.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})[0]
        for code, name, name_en in SITES
    }
    products = []
    for code, name, family, months in PRODUCTS:
        site = sites[SITE_BY_FAMILY[family]]
        p, _ = Product.objects.get_or_create(
            code=code, defaults={"name": name, "family": family, "warranty_months": months, "site": site}
        )
        if p.site_id is None:  # a demo loaded before sites existed
            p.site = site
            p.save(update_fields=["site", "updated_at"])
        products.append(p)
    rules = [
        (10, "质量类 → 质量部", "quality", "quality", "qe"),
        (20, "交付类 → 销售部", "delivery", "sales", "sales"),
        (30, "物流类 → 销售部", "logistics", "sales", "salesmgr"),
        (40, "服务类 → 客服部", "service", "service", "agent"),
        (50, "价格类 → 客服部", "price", "service", "agent"),
        (60, "资料类 → 客服部", "documentation", "service", "agent"),
    ]
    for order, name, cat, dept, owner in rules:
        AssignmentRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "category": Category.objects.get(code=cat),
                "department": depts[dept],
                "owner": users[owner],
            },
        )
    return {"users": users, "customers": customers, "products": products, "sites": list(sites.values())}


def demo_orders(
    rng: random.Random, customers: list[Customer], products: list[Product], today: dt.date, count: int = 50
) -> list[SalesOrder]:
    orders = []
    for i in range(count):
        number = f"SO{today.year - 1}{i + 1:05d}"
        existing = SalesOrder.objects.filter(number=number).first()
        if existing:
            orders.append(existing)
            continue
        customer = customers[i % len(customers)]
        order_date = today - dt.timedelta(days=365 - i * 7)
        order = SalesOrder.objects.create(
            number=number,
            customer=customer,
            order_date=order_date,
            contact=customer.contacts.order_by("id").first(),
        )
        for ln in range(1, rng.choice([1, 1, 2, 3]) + 1):
            SalesOrderLine.objects.create(
                order=order,
                line_no=ln,
                product=rng.choice(products),
                quantity=rng.choice([50, 100, 200, 500, 1000]),
                lot=f"L{order_date:%y%m}{rng.randint(1, 99):02d}",
            )
        Shipment.objects.create(
            number=f"SH{today.year - 1}{i + 1:05d}",
            order=order,
            ship_date=order_date + dt.timedelta(days=rng.randint(2, 10)),
            carrier=rng.choice(CARRIERS),
            tracking_number=f"SF{rng.randint(10**9, 10**10)}",
        )
        orders.append(order)
    return orders


def demo_load(*, complaints: int = 150, seed: int = 20261122) -> int:
    """Load the demo. Returns the number of complaints created."""
    rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not security
    base = demo_master_data()
    users, customers, products = base["users"], base["customers"], base["products"]
    now = clock.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        orders = demo_orders(rng, customers, products, today)
    channels = [
        "phone",
        "phone",
        "email",
        "online_form",
        "sales_visit",
        "after_sales",
        "social_media",
        "portal",
    ]
    intake_users = [users["agent"], users["agent"], users["sales"], users["salesmgr"], users["qe"]]
    created: list[Complaint] = []
    try:
        for i in range(complaints):
            category, severity, title, description, requirement = ISSUES[i % len(ISSUES)]
            days_ago = int((complaints - i) * 360 / complaints) + rng.randint(0, 2)
            received = _aware(
                dt.datetime.combine(
                    today - dt.timedelta(days=days_ago),
                    dt.time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])),
                )
            )
            if received > now:
                received = now - dt.timedelta(hours=1)
            clock.freeze(received + dt.timedelta(minutes=rng.randint(5, 90)))
            eligible = [o for o in orders if o.order_date < received.date() - dt.timedelta(days=12)]
            order = rng.choice(eligible) if eligible and rng.random() < 0.7 else None
            draft = ComplaintDraft(
                channel=channels[i % len(channels)],
                title=title,
                description=description,
                customer_requirement=requirement,
                category=category,
                severity=severity,
                urgency="urgent" if severity == "serious" and rng.random() < 0.6 else "normal",
                impact_scope="multiple" if rng.random() < 0.1 else "single",
                safety_risk=category == "quality-function",
                received_at=received,
                quantity_affected=rng.choice([None, 5, 20, 50, 120, 300]),
            )
            if order is not None:
                draft.order_number = order.number
                draft.order_line = 1
            else:
                customer = rng.choice(customers)
                draft.customer = customer.code
                draft.product = rng.choice(products).code
                if rng.random() < 0.3:
                    draft.contact = ContactInput(
                        name="客户来电人", phone=f"139{rng.randint(10**7, 10**8 - 1)}"
                    )
            created.append(complaint_intake(draft=draft, actor=intake_users[i % len(intake_users)]))
        _demo_triage(rng, created, users)
    finally:
        clock.freeze(None)
    return len(created)


def _demo_triage(rng: random.Random, created: list[Complaint], users: dict[str, User]) -> None:
    """Move the demo complaints into every state that exists: most triaged, some invalid or
    duplicate, the newest few left new."""
    qm = users["qm"]
    categories = {c.code: c for c in Category.objects.all()}
    recent = len(created) - 12
    eight_d: list[Complaint] = []
    for i, complaint in enumerate(created):
        clock.freeze(complaint.received_at + dt.timedelta(hours=rng.randint(2, 30)))
        if i >= recent and i % 2 == 0:
            continue  # still new: waiting for triage
        if i % 17 == 5:
            complaint_services.complaint_mark_invalid(
                complaint=complaint,
                actor=qm,
                reason="经核实为客户使用不当（超负荷使用），不属于质量问题，已向客户说明。",
            )
            continue
        if i % 23 == 7 and i > 0:
            original = created[i - 1]
            if original.status != "merged":
                complaint_services.complaint_mark_duplicate(complaint=complaint, actor=qm, original=original)
                continue
        c = Complaint.objects.select_related("category").get(pk=complaint.pk)
        c = complaint_services.complaint_triage(
            complaint=c,
            actor=qm,
            category=c.category or categories["quality"],
            severity=c.severity,
            urgency=c.urgency,
            impact_scope=c.impact_scope,
            safety_risk=c.safety_risk,
        )
        quality = c.category is not None and c.category.code.startswith("quality")
        if quality and c.severity == "serious" and i % 3 == 0 and len(eight_d) < 8:
            eight_d.append(c)  # handled on the full-8D path below
            continue
        _demo_handle(rng, c, users, i, recent)
    demo_investigations(eight_d, users)


def _demo_handle(rng: random.Random, c: Complaint, users: dict[str, User], i: int, recent: int) -> None:
    """Carry triaged demo complaints along the quick-resolution path: older ones closed (a few after a
    reopen), newer ones awaiting the customer or still in progress, the newest left triaged."""
    handler = c.owner or users["qe"]
    if i >= recent - 10 and i % 3 == 0:
        return  # triaged, not started yet
    clock.freeze(c.received_at + dt.timedelta(hours=rng.randint(6, 36)))
    c = handling.complaint_start_handling(complaint=c, actor=handler)
    if i >= recent - 6:
        return  # in progress
    clock.freeze(c.received_at + dt.timedelta(days=rng.randint(2, 6)))
    c = handling.complaint_resolve(complaint=c, actor=handler, resolution=rng.choice(RESOLUTIONS))
    if i >= recent - 16 and i % 2 == 0:
        return  # awaiting the customer's confirmation
    clock.freeze(c.received_at + dt.timedelta(days=rng.randint(7, 10)))
    if i % 9 == 4:
        c = handling.complaint_record_verdict(
            complaint=c,
            actor=handler,
            satisfied=False,
            score=2,
            reopen_reason="客户反映问题仍未彻底解决，要求进一步分析原因。",
        )
        if i % 2 == 0:
            return  # reopened, being handled again
        clock.freeze(c.received_at + dt.timedelta(days=14))
        c = handling.complaint_resolve(
            complaint=c, actor=handler, resolution="已查明原因并采取预防措施，再次补发。"
        )
        clock.freeze(c.received_at + dt.timedelta(days=18))
    handling.complaint_record_verdict(
        complaint=c,
        actor=handler,
        satisfied=True,
        score=rng.choice([3, 4, 4, 5, 5]),
        comment=rng.choice(["处理及时", "满意", "希望以后不再发生", ""]),
    )
