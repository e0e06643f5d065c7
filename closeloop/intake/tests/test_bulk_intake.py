"""The bulk intake path writes, for every draft, exactly what ``complaint_intake`` writes one by one.

Each comparison runs the same drafts twice from the same database state — once through
``complaint_intake`` per draft, once through ``complaint_intake_many`` — each run inside a transaction
that is rolled back afterwards, and compares every record the runs wrote (complaints, events,
notifications, outbox deliveries, contacts) field by field. With the clock frozen and the number sequence
rolled back between the runs, only ids, ``auto_now`` stamps and the deliveries' random event ids may
differ; rows of every other table must not appear at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import translation

from closeloop.accounts import roles
from closeloop.accounts.tests.factories import department_make, user_make
from closeloop.complaints.models import AssignmentRule, Category, Complaint, ComplaintEvent
from closeloop.conftest import SHANGHAI
from closeloop.core.errors import ApplicationError
from closeloop.customers.models import Contact
from closeloop.customers.tests.factories import (
    contact_make,
    customer_make,
    order_make,
    product_make,
    site_make,
)
from closeloop.intake.bulk import complaint_intake_many
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.services import complaint_intake
from closeloop.notifications.models import (
    Delivery,
    EmailMode,
    Notification,
    NotificationPreference,
    NotificationRule,
    WebhookEndpoint,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agent, qm, qe, sales, gm, customer, product, order, frozen_now):
    """Master data, assignment rules and notification rules that every branch of intake reads."""
    quality = qm.department
    quality.manager = user_make("head", roles.QUALITY_ENGINEER, department=quality, email="head@example.com")
    quality.save()
    sales_dept = sales.department
    customer.sales_owner = sales
    customer.save()
    c2 = customer_make(
        "C002", "华南精工有限公司", tier="strategic", annual_value=12_000_000, sales_owner=sales
    )
    customer_make("C003", "停用客户", is_active=False)
    sz = site_make("SZ", "深圳工厂")
    site_make("OLD", "旧厂", is_active=False)
    bolt = product_make("P002", "六角螺栓 M8", family="fasteners", warranty_months=24, site=sz)
    # Two contacts of one name: the older one must be chosen by both paths.
    contact_make(customer, "李工", "13900000001", "li1@example.com")
    contact_make(customer, "李工", "13900000002", "li2@example.com")
    order_make(
        "SO-2026-0002",
        c2,
        [(product, 100, "L2601"), (bolt, 2000, "B2601")],
        shipment_number="SH-0002",
        ship_date=dt.date(2025, 1, 10),
    )
    AssignmentRule.objects.create(
        order=10,
        name="质量类→质量部",
        category=Category.objects.get(code="quality"),
        department=quality,
        owner=qe,
    )
    AssignmentRule.objects.create(
        order=20, name="紧固件→深圳", product_family="fasteners", department=department_make("sz", "深圳工厂")
    )
    AssignmentRule.objects.create(
        order=5, name="华南精工→销售", customer=c2, department=sales_dept, owner=sales
    )
    robot = WebhookEndpoint.objects.create(
        name="质量群", kind="wecom", url="https://qyapi.weixin.qq.com/x?k=1"
    )
    idle = WebhookEndpoint.objects.create(
        name="停用", kind="generic", url="https://hooks.example.com/x", is_active=False
    )
    serious = NotificationRule.objects.create(
        name="严重客诉",
        event="complaint_received",
        severity="serious",
        to_owner=True,
        to_department_manager=True,
        to_recorder=True,
        to_sales_owner=True,
    )
    serious.roles.set([Group.objects.get(name=roles.QUALITY_MANAGER), Group.objects.get(name=roles.AGENT)])
    serious.webhooks.set([robot, idle])
    quality_rule = NotificationRule.objects.create(
        name="质量类", event="complaint_received", category=Category.objects.get(code="quality")
    )
    quality_rule.departments.set([quality])
    quality_rule.users.set([gm])
    NotificationRule.objects.create(
        name="停用规则", event="complaint_received", is_active=False, to_recorder=True
    )
    NotificationRule.objects.create(
        name="紧固件", event="complaint_received", product_family="fasteners", to_owner=True
    )
    user_make("retired", roles.QUALITY_MANAGER, department=quality, is_active=False, email="old@example.com")
    qm.email, qe.email, gm.email, sales.email = "qm@example.com", "qe@example.com", "gm@example.com", ""
    for u in (qm, qe, gm, sales):
        u.save()
    NotificationPreference.objects.create(user=qm, email_mode=EmailMode.DIGEST)
    NotificationPreference.objects.create(user=gm, muted_events=["complaint_received"])
    return agent


def _drafts() -> list[ComplaintDraft]:
    """Valid and invalid drafts, in an order where later ones depend on what earlier ones create."""

    def d(**kw: Any) -> ComplaintDraft:
        kw.setdefault("channel", "phone")
        kw.setdefault("title", "螺丝刀杆生锈")
        kw.setdefault("description", "客户收货后发现螺丝刀杆表面生锈，约50支。")
        kw.setdefault("source_ref", {"import_job": 7, "row": len(drafts) + 2})
        return ComplaintDraft(**kw)

    drafts: list[ComplaintDraft] = []
    for kw in [
        # New contact, serious, a subcategory of the rule's category, received in the previous year.
        {
            "customer": "C001",
            "contact": ContactInput(name="赵主管", phone="13700000000", email="zhao@example.com"),
            "category": "quality-corrosion",
            "severity": "serious",
            "urgency": "urgent",
            "received_at": dt.datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI),
            "quantity_affected": 50,
            "customer_requirement": "换货并提供8D报告",
        },
        {"order_number": "SO-2026-0001", "channel": "email", "title": "包装破损", "description": "纸箱破损"},
        {
            "shipment_number": "SH-0002",
            "product": "P002",
            "title": "螺栓断裂",
            "category": "quality-material",
            "lot": " B-1 ",
        },
        {"customer": "NOPE", "title": "未知客户"},
        {"customer": "C001", "title": "", "severity": "huge", "urgency": "later", "impact_scope": "world"},
        # The contact the first draft created, found again (by name and phone).
        {
            "customer": "C001",
            "contact": ContactInput(name=" 赵主管 ", phone="13700000000"),
            "severity": "serious",
        },
        # By name only: the older of two contacts of that name.
        {"customer": "C001", "contact": ContactInput(name="李工"), "category": "delivery-late"},
        # Invalid: its new contact must not be created, nor found by the next draft.
        {"customer": "C001", "contact": ContactInput(name="钱工", email="not-an-email")},
        {"customer": "C001", "contact": ContactInput(name="钱工", phone="13600000000")},
        {
            "customer": "C001",
            "product": "P002",
            "site": "SZ",
            "impact_scope": "systemic",
            "safety_risk": True,
        },
        {"customer": "C001", "site": "OLD"},
        {"customer": "C001", "site": "NOWHERE"},
        {"customer": "C002", "product": "P001", "severity": "minor", "channel": "sales_visit"},
        {"customer": "C003"},
        {"customer": "C001", "order_number": "SO-2026-0002"},
        {"order_number": "SO-2026-0001", "product": "P002"},
        {"order_number": "SO-2026-0002", "order_line": 9},
        {"order_number": "SO-2026-0002", "order_line": 2, "contact": ContactInput(name="孙经理")},
        {"customer": "C001", "owner": "agent", "category": "service"},
        {"customer": "C001", "owner": "qe"},
        {"customer": "C001", "owner": "nobody"},
        {"customer": "C001", "received_at": dt.datetime(2026, 6, 16, 9, 0, tzinfo=SHANGHAI)},
        {"customer": "C001", "quantity_affected": -1, "lot": "L" * 61},
        {"customer": "C001", "category": "no-such-category", "channel": "carrier-pigeon"},
        {"customer": "C001", "title": "漏油" * 101},
        {"customer": "C001", "description": "  ", "channel": ""},
        {
            "order_number": "SO-2026-0001",
            "severity": "serious",
            "category": "quality",
            "title": "同一订单再次投诉",
        },
        {"customer": "C002", "contact": ContactInput(name="赵主管", phone="13700000000")},
    ]:
        drafts.append(d(**kw))
    return drafts


MODELS = (Complaint, ComplaintEvent, Notification, Delivery, Contact)


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if not m._meta.proxy}


def _fields(obj: Any, skip: set[str]) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in skip}


def _written(before: dict[str, int]) -> dict[str, Any]:
    """Everything the run wrote, keyed so that ids do not matter: complaints by number, contacts by
    content, notifications by (number, recipient)."""
    complaints = list(Complaint.objects.order_by("id")[before[Complaint._meta.label] :])
    numbers = {c.pk: c.number for c in complaints}
    contacts = list(Contact.objects.order_by("id")[before[Contact._meta.label] :])
    new_contacts = {c.pk: ("new", c.name, c.phone, c.email) for c in contacts}

    def contact_key(contact_id: int | None) -> Any:
        return new_contacts.get(contact_id, contact_id) if contact_id is not None else None

    out_complaints = []
    for c in complaints:
        row = _fields(c, {"id", "created_at", "updated_at"})
        row["contact_id"] = contact_key(c.contact_id)
        out_complaints.append(row)
    events = [
        {**_fields(e, {"id", "complaint_id"}), "complaint": numbers[e.complaint_id]}
        for e in ComplaintEvent.objects.filter(complaint_id__in=numbers).order_by("id")
    ]
    notifications = list(Notification.objects.filter(complaint_id__in=numbers).order_by("id"))
    notification_keys = {n.pk: (numbers[n.complaint_id], n.recipient_id) for n in notifications}
    deliveries = [
        {
            **_fields(d, {"id", "event_id", "notification_id"}),
            "notification": notification_keys[d.notification_id],
        }
        for d in Delivery.objects.filter(notification_id__in=notification_keys).order_by("id")
    ]
    return {
        "complaints": out_complaints,
        "events": events,
        "notifications": [
            {**_fields(n, {"id", "complaint_id"}), "complaint": numbers[n.complaint_id]}
            for n in notifications
        ],
        "deliveries": deliveries,
        "contacts": [_fields(c, {"id", "created_at", "updated_at"}) for c in contacts],
    }


def _outcome(result: Any) -> Any:
    if isinstance(result, ApplicationError):
        return (
            type(result).__name__,
            result.code,
            str(result.message),
            {k: [str(m) for m in v] for k, v in result.fields.items()},
        )
    return result.number


def _run(once: Any) -> tuple[list[Any], dict[str, Any], dict[str, int], int]:
    """Run ``once()`` in a transaction that is rolled back; return its outcomes, what it wrote, the
    change in every table's row count and how many after-commit callbacks it queued."""
    before = _counts()
    with transaction.atomic():
        queued = len(connection.run_on_commit)
        outcomes = [_outcome(r) for r in once()]
        queued = len(connection.run_on_commit) - queued
        written = _written(before)
        after = _counts()
        transaction.set_rollback(True)
    grown = {label: after[label] - n for label, n in before.items() if after[label] != n}
    return outcomes, written, grown, queued


def _one_by_one(drafts: list[ComplaintDraft], actor: Any) -> list[Any]:
    results: list[Any] = []
    for draft in drafts:
        try:
            results.append(complaint_intake(draft=draft, actor=actor))
        except ApplicationError as exc:
            results.append(exc)
    return results


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_bulk_intake_writes_exactly_what_complaint_intake_writes(world, language):
    drafts = _drafts()
    with translation.override(language):
        single = _run(lambda: _one_by_one(drafts, world))
        bulk = _run(lambda: complaint_intake_many(drafts=drafts, actor=world))
    (outcomes, written, grown, queued), (b_outcomes, b_written, b_grown, b_queued) = single, bulk
    assert b_outcomes == outcomes
    for table in written:
        assert b_written[table] == written[table], table
    assert b_grown == grown
    # The cases the drafts were written for did happen, so the equality above covers them.
    created = [o for o in outcomes if isinstance(o, str)]
    assert len(created) == 12 and created[0].startswith("KS-2025-") and created[1].startswith("KS-2026-")
    assert sorted(c["name"] for c in written["contacts"]) == ["孙经理", "赵主管", "赵主管", "钱工"]
    assert {n["reason"] for n in written["notifications"]} >= {
        "owner",
        "role_quality_manager",
        "department_manager",
        "sales_owner",
        "rule_department",
        "rule_named",
    }
    assert {d["channel"] for d in written["deliveries"]} == {"email", "webhook"}
    assert {e["data"]["rule"] for e in written["events"]} >= {
        "质量类→质量部",
        "紧固件→深圳",
        "华南精工→销售",
        None,
    }
    assert {o[0] for o in outcomes if not isinstance(o, str)} == {"ValidationFailed", "PermissionDenied"}
    counters = {"complaints.NumberSequence", "complaints.PriorityWeights"}  # made on first use
    assert set(grown) - counters == {m._meta.label for m in MODELS}
    # The outbox is kicked once per batch instead of once per complaint with deliveries.
    assert queued > 1 and b_queued == 1


def test_drafts_validated_in_one_batch_see_the_contacts_earlier_ones_create(world):
    drafts = [
        ComplaintDraft(
            channel="phone", customer="C001", title="t", description="d", contact=ContactInput(name="周工")
        )
        for _i in range(3)
    ]
    results = complaint_intake_many(drafts=drafts, actor=world)
    assert len({c.contact_id for c in results}) == 1  # type: ignore[union-attr]
    assert Contact.objects.filter(name="周工").count() == 1


def test_a_batch_costs_the_same_queries_whatever_its_size(world, django_assert_max_num_queries):
    def drafts(n: int) -> list[ComplaintDraft]:
        return [
            ComplaintDraft(
                channel="phone",
                customer="C001" if i % 2 else "C002",
                order_number="SO-2026-0002" if i % 3 == 0 else "",
                title=f"第{i}件",
                description="交货延迟",
                category="delivery-late",
                contact=ContactInput(name=f"联系人{n}-{i % 4}"),
            )
            for i in range(n)
        ]

    complaint_intake_many(drafts=drafts(3), actor=world)  # the permission and role caches are warm
    # Sizes under SQLite's parameters per INSERT, where bulk_create splits statements.
    with django_assert_max_num_queries(30) as small:
        complaint_intake_many(drafts=drafts(8), actor=world)
    with django_assert_max_num_queries(30) as large:
        complaint_intake_many(drafts=drafts(20), actor=world)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_user_without_the_permission_gets_it_refused_for_every_draft(world):
    finance = user_make("fin", roles.FINANCE)
    drafts = [ComplaintDraft(channel="phone", customer="C001", title="t", description="d")] * 2
    results = complaint_intake_many(drafts=drafts, actor=finance)
    assert [r.code for r in results] == ["permission_denied", "permission_denied"]  # type: ignore[union-attr]
    assert Complaint.objects.count() == 0


@pytest.mark.postgres
def test_built_events_leave_their_json_to_the_copy_text(world):
    """On PostgreSQL a built batch's events hold their changes and data only in the rows' COPY text (the
    instances drop them, to keep a batch in flight small); the events saved still carry them, as the
    test above compares with complaint_intake."""
    from closeloop.intake.bulk import complaint_intake_prepare

    batch = complaint_intake_prepare(drafts=_drafts(), actor=world)
    events = batch.built.events
    assert events and all(e.changes is None and e.data is None for e in events)
    assert batch.built.event_rows.lines is not None
    assert all(b'"field"' in line for line in batch.built.event_rows.lines)
    with transaction.atomic():
        saved = batch.write()
    ids = [c.pk for c in saved if isinstance(c, Complaint)]
    stored = ComplaintEvent.objects.filter(complaint_id__in=ids, verb="created")
    assert stored.count() == len(ids) and all(e.changes for e in stored)
