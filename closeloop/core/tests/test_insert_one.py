"""core.insert_one.object_insert writes the row save() writes, and is save() wherever it could differ."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core.insert_one import object_insert

pytestmark = pytest.mark.django_db


def _columns(obj):
    """Every column as read back from the database, but the id."""
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    row.pop("id")
    return row


def _copy(c: Complaint, number: str) -> Complaint:
    fields = {f.attname: getattr(c, f.attname) for f in Complaint._meta.concrete_fields if not f.primary_key}
    return Complaint(**{**fields, "number": number, "created_at": None, "updated_at": None})


def test_a_complaint_is_written_as_save_writes_it(complaint):
    complaint.priority_breakdown = [{"factor": "severity", "value": "严重", "points": 30}]
    complaint.ship_date = dt.date(2026, 3, 1)
    complaint.save()
    saved, inserted = _copy(complaint, "KS-T-1"), _copy(complaint, "KS-T-2")
    saved.save()
    object_insert(inserted)
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    a, b = _columns(saved), _columns(inserted)
    # auto_now and auto_now_add were stamped (with the real time, as save() stamps them), on the
    # instance and in the row.
    stamps = (b.pop("created_at"), b.pop("updated_at"))
    assert stamps == (inserted.created_at, inserted.updated_at)
    assert all(abs(timezone.now() - t) < dt.timedelta(minutes=1) for t in stamps)
    del a["created_at"], a["updated_at"]
    assert a.pop("number") == "KS-T-1" and b.pop("number") == "KS-T-2"
    assert a == b
    assert Complaint.objects.get(pk=inserted.pk).priority_breakdown == [
        {"factor": "severity", "value": "严重", "points": 30}
    ]


def test_an_event_goes_through_the_append_only_model_as_one_insert(complaint, agent, frozen_now):
    event = ComplaintEvent(
        complaint=complaint, verb="note", actor=agent, created_at=frozen_now, data={"数量": 3}, note="备注"
    )
    with CaptureQueriesContext(connection) as ctx:
        object_insert(event)
    assert len(ctx.captured_queries) == 1 and ctx.captured_queries[0]["sql"].startswith("INSERT INTO")
    read = ComplaintEvent.objects.get(pk=event.pk)
    assert (read.complaint_id, read.verb, read.actor_id, read.created_at, read.data, read.note) == (
        complaint.pk,
        "note",
        agent.pk,
        frozen_now,
        {"数量": 3},
        "备注",
    )
    # The same statement again, for another row (built once per model and database).
    second = ComplaintEvent(complaint=complaint, verb="note", created_at=frozen_now)
    object_insert(second)
    assert second.pk > event.pk
    # Written rows stay append-only.
    with pytest.raises(PermissionError):
        second.save()


def test_a_related_object_not_saved_yet_is_refused_as_save_refuses_it(complaint, frozen_now):
    unsaved = Complaint(number="KS-UNSAVED")
    event = ComplaintEvent(complaint=unsaved, verb="note", created_at=frozen_now)
    with pytest.raises(ValueError, match="unsaved related object"):
        object_insert(event)
    assert not ComplaintEvent.objects.filter(verb="note").exists()


def test_with_a_post_save_receiver_it_is_save_so_the_receiver_runs(complaint, frozen_now):
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=ComplaintEvent)
    try:
        event = ComplaintEvent(complaint=complaint, verb="note", created_at=frozen_now)
        object_insert(event)
    finally:
        post_save.disconnect(receiver, sender=ComplaintEvent)
    assert seen == [(event.pk, True)]


def test_a_model_whose_save_does_more_is_saved_by_its_save(db):
    # AbstractBaseUser.save() also tells the password validators a new password was set.
    user = User(username="inserted")
    user.set_password("a long and unusual passphrase")
    object_insert(user)
    assert User.objects.get(username="inserted").check_password("a long and unusual passphrase")


def test_an_expression_value_is_left_to_save(complaint, frozen_now):
    copy = _copy(complaint, "KS-T-EXPR")
    copy.quantity_affected = Value(7)
    object_insert(copy)
    assert Complaint.objects.get(pk=copy.pk).quantity_affected == 7


def test_an_instance_already_saved_is_saved_again_not_inserted(complaint):
    complaint.title = "改过的标题"
    object_insert(complaint)
    assert Complaint.objects.filter(title="改过的标题").count() == 1


@pytest.mark.postgres
def test_an_integer_beyond_its_column_is_refused_as_save_refuses_it(complaint):
    from django.db import DataError, transaction

    for write in (lambda c: c.save(), object_insert):
        copy = _copy(complaint, f"KS-T-BIG-{id(write)}")
        copy.quantity_affected = 10**11
        with pytest.raises(DataError, match="out of range"), transaction.atomic():
            write(copy)
    assert not Complaint.objects.filter(number__startswith="KS-T-BIG").exists()
