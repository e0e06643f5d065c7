"""complaint_intake: the one path every channel takes."""

from __future__ import annotations

import datetime as dt

import pytest

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.errors import PermissionDenied, ValidationFailed
from closeloop.intake.drafts import AttachmentInput, ComplaintDraft, ContactInput
from closeloop.intake.lookups import order_facts
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_create_from_order_fills_customer_product_lot_ship_date_and_warranty(complaint, order):
    assert complaint.number == "KS-2026-000001"
    assert complaint.customer.code == "C001"
    assert complaint.product.code == "P001"
    assert complaint.lot == "L2605"
    assert complaint.ship_date == dt.date(2026, 5, 10)
    assert complaint.shipment.number == "SH-0001"
    assert complaint.contact.name == "王经理"
    assert complaint.warranty_status == "in"  # shipped 2026-05-10, 12 months, received 2026-06-15


def test_shipment_number_resolves_to_its_order(order, frozen_now):
    facts = order_facts(number="SH-0001")
    assert facts is not None and facts.order.number == "SO-2026-0001"
    assert facts.as_dict()["carrier"] == "顺丰速运"


def test_out_of_warranty_when_received_after_warranty_end(db, agent, customer, product):
    from closeloop.core import clock
    from closeloop.customers.tests.factories import order_make

    order_make("SO-OLD", customer, [(product, 10, "L1")], ship_date=dt.date(2024, 1, 31))
    clock.freeze(dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC))
    try:
        c = complaint_intake(
            draft=ComplaintDraft(channel="email", order_number="SO-OLD", title="t", description="d"),
            actor=agent,
        )
    finally:
        clock.freeze(None)
    assert c.warranty_status == "out"


def test_every_bad_field_is_named_and_nothing_is_written(agent, customer, frozen_now):
    with pytest.raises(ValidationFailed) as exc:
        complaint_intake(
            draft=ComplaintDraft(
                channel="fax",
                title="",
                description="",
                customer="NOPE",
                product="NOPE",
                category="nope",
                severity="huge",
                urgency="now",
                quantity_affected=-1,
                received_at=frozen_now + dt.timedelta(days=1),
                attachments=[AttachmentInput("x.jpg", b"MZ\x90\x00" + b"\x00" * 100)],
            ),
            actor=agent,
        )
    assert set(exc.value.fields) == {
        "channel",
        "title",
        "description",
        "customer",
        "product",
        "category",
        "severity",
        "urgency",
        "quantity_affected",
        "received_at",
        "attachments",
    }
    assert Complaint.objects.count() == 0


def test_unknown_order_number_is_refused_on_its_field(agent, frozen_now):
    with pytest.raises(ValidationFailed) as exc:
        complaint_intake(
            draft=ComplaintDraft(channel="phone", order_number="SO-404", title="t", description="d"),
            actor=agent,
        )
    assert "order_number" in exc.value.fields
    assert "SO-404" in str(exc.value.fields["order_number"][0])


def test_customer_must_match_the_order(agent, order, frozen_now):
    from closeloop.customers.tests.factories import customer_make

    customer_make("C999", "别的公司")
    with pytest.raises(ValidationFailed) as exc:
        complaint_intake(
            draft=ComplaintDraft(
                channel="phone", order_number="SO-2026-0001", customer="C999", title="t", description="d"
            ),
            actor=agent,
        )
    assert "order_number" in exc.value.fields


def test_new_contact_is_created_with_the_complaint(agent, customer, frozen_now):
    c = complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            customer="C001",
            title="t",
            description="d",
            contact=ContactInput(name="赵工", phone="13900001111", email="zhao@example.com"),
        ),
        actor=agent,
    )
    assert c.contact is not None and c.contact.name == "赵工" and c.contact.customer_id == customer.pk


def test_created_event_lists_the_initial_values(complaint, agent):
    ev = ComplaintEvent.objects.get(complaint=complaint)
    assert ev.verb == "created" and ev.actor == agent
    fields = {ch["field"]: ch["new"] for ch in ev.changes}
    assert fields["title"] == "螺丝刀杆生锈" and fields["severity"] == "serious"


def test_attachments_are_stored_with_the_complaint(agent, customer, frozen_now):
    c = complaint_intake(
        draft=ComplaintDraft(
            channel="phone",
            customer="C001",
            title="t",
            description="d",
            attachments=[AttachmentInput("photo.png", PNG)],
        ),
        actor=agent,
    )
    att = c.attachments.get()
    assert att.content_type == "image/png" and att.size == len(PNG)


def test_user_without_intake_permission_is_refused(db, customer, frozen_now):
    from closeloop.accounts.tests.factories import user_make

    nobody = user_make("nobody")
    with pytest.raises(PermissionDenied):
        complaint_intake(
            draft=ComplaintDraft(channel="phone", customer="C001", title="t", description="d"), actor=nobody
        )


def test_only_assigners_may_choose_another_owner(agent, qm, customer, frozen_now):
    with pytest.raises(PermissionDenied):
        complaint_intake(
            draft=ComplaintDraft(channel="phone", customer="C001", title="t", description="d", owner="qm"),
            actor=agent,
        )
    c = complaint_intake(
        draft=ComplaintDraft(channel="phone", customer="C001", title="t", description="d", owner="agent"),
        actor=qm,
    )
    assert c.owner is not None and c.owner.username == "agent"
