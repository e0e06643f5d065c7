"""The audit trail cannot be altered through any application path."""

import pytest
from django.db import DatabaseError, connection, transaction

from closeloop.complaints.models import ComplaintEvent

pytestmark = pytest.mark.django_db


def test_event_save_and_delete_are_refused(complaint):
    ev = complaint.events.first()
    ev.note = "tampered"
    with pytest.raises(PermissionError):
        ev.save()
    with pytest.raises(PermissionError):
        ev.delete()


def test_queryset_update_and_delete_are_refused(complaint):
    with pytest.raises(PermissionError):
        ComplaintEvent.objects.filter(complaint=complaint).update(note="x")
    with pytest.raises(PermissionError):
        ComplaintEvent.objects.filter(complaint=complaint).delete()


def test_database_refuses_update_even_in_raw_sql(complaint):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE complaints_complaintevent SET note = 'x'")
    assert not ComplaintEvent.objects.filter(note="x").exists()


def test_admin_offers_no_change_or_delete(admin_client, complaint):
    ev = complaint.events.first()
    resp = admin_client.post(f"/admin/complaints/complaintevent/{ev.pk}/change/", {"note": "x"})
    assert resp.status_code == 403
    resp = admin_client.post(f"/admin/complaints/complaintevent/{ev.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 403
    assert ComplaintEvent.objects.filter(pk=ev.pk).exists()
