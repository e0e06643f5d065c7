"""``instances_make`` builds what keyword construction builds; ``objects_insert`` saves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import models

from closeloop.complaints.models import ComplaintEvent
from closeloop.conftest import SHANGHAI
from closeloop.core.bulk_insert import instances_make, objects_insert
from closeloop.notifications.models import Notification

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)


def _state(obj: models.Model) -> dict[str, Any]:
    """The attributes and cached relations an instance holds, its ModelState's flags."""
    values = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    return {
        "values": values,
        "cache": dict(obj._state.fields_cache),
        "adding": obj._state.adding,
        "db": obj._state.db,
    }


def test_instances_are_what_keyword_construction_makes(agent, customer):
    from closeloop.complaints.models import Complaint
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    complaint = complaint_intake(
        draft=ComplaintDraft(channel="phone", title="t", description="d", customer=customer.code), actor=agent
    )
    complaint = Complaint.objects.get(pk=complaint.pk)
    event = {
        "complaint": complaint,
        "verb": "created",
        "actor": agent,
        "created_at": WHEN,
        "changes": [{"field": "title", "old": None, "new": "t"}],
        "data": {"rule": None},
    }
    notification = {
        "recipient": agent,
        "verb": "complaint_received",
        "reason": "owner",
        "complaint": complaint,
        "investigation_id": None,
        "actor": None,  # a relation given as None is cached as None, as keyword construction does
        "data": {"number": complaint.number},
        "created_at": WHEN,
    }
    by_id = {**event, "complaint_id": complaint.pk}
    del by_id["complaint"]
    for model, row in ((ComplaintEvent, event), (Notification, notification), (ComplaintEvent, by_id)):
        (made,) = instances_make(model, [row])
        assert _state(made) == _state(model(**row)), model
    # Defaults are made per instance (a mutable default is not shared between rows).
    first, second = instances_make(ComplaintEvent, [{"verb": "x"}, {"verb": "y"}])
    assert first.changes == [] and first.changes is not second.changes


def test_an_unknown_field_or_a_field_given_twice_is_refused(agent):
    with pytest.raises(TypeError, match="colour"):
        instances_make(ComplaintEvent, [{"verb": "x", "colour": "red"}])
    with pytest.raises(TypeError, match="given twice"):
        instances_make(ComplaintEvent, [{"actor": agent, "actor_id": agent.pk}])


def test_inserted_instances_are_saved_with_their_ids_and_json(agent, customer):
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    complaint = complaint_intake(
        draft=ComplaintDraft(channel="phone", title="漏油", description="轴封漏油", customer=customer.code),
        actor=agent,
    )
    changes = [{"field": "title", "old": None, "new": "漏油"}, {"field": "quantity_affected", "new": 5}]
    rows = instances_make(
        ComplaintEvent,
        [
            {"complaint": complaint, "verb": "noted", "actor": agent, "created_at": WHEN, "changes": changes},
            {"complaint": complaint, "verb": "noted", "created_at": WHEN, "data": {"n": 2}},
        ],
    )
    objects_insert(rows)
    assert all(r.pk is not None and not r._state.adding for r in rows)
    saved = {e.pk: e for e in ComplaintEvent.objects.filter(verb="noted")}
    assert sorted(saved) == sorted(r.pk for r in rows)
    first, second = saved[rows[0].pk], saved[rows[1].pk]
    assert first.changes == changes
    assert first.actor_id == agent.pk and second.actor_id is None
    assert second.changes == [] and second.data == {"n": 2} and second.note == ""


class _Size(models.TextChoices):
    BIG = "big", "Big"


def test_json_text_gives_what_the_field_stores_from_the_standard_encoder():
    import decimal
    import json
    import uuid

    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection
    from django.utils.translation import gettext_lazy

    from closeloop.core.bulk_insert import json_text

    plain, django = json_text(json.JSONEncoder()), json_text(DjangoJSONEncoder())
    values: list[Any] = [
        [{"field": "title", "old": None, "new": '轴封漏油 "引号" \\ \n\t'}, {"field": "n", "new": 5}],
        {"rule": None, "score": 72.5, "ok": True, "no": False, "nested": {"a": [1, [2, {}]]}},
        {"big": 2**70, "neg": -(2**63)},  # beyond 64 bits: orjson refuses, the encoder writes it
        {1: "a", 2: ["b"]},  # keys other than str: the encoder makes them text
        {"size": _Size.BIG, "tuple": (1, "x")},  # a str subclass is written as its value
        "",
        [],
    ]
    for value in values:
        text = plain(value)
        assert json.loads(text) == json.loads(json.JSONEncoder().encode(value)), value
    # A TextChoices value (two per imported complaint) takes orjson's path, not the encoder's: compact.
    assert plain({"size": _Size.BIG, "n": [1]}) == '{"size":"big","n":[1]}'
    # What only the field's own encoder knows is written by it, exactly as it writes it.
    when = dt.datetime(2026, 6, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    special = {"at": when, "day": when.date(), "amount": decimal.Decimal("1.10")}
    special["label"] = gettext_lazy("Big")
    assert django(special) == DjangoJSONEncoder().encode(special)
    with pytest.raises(TypeError):
        plain({"at": when})  # as json.dumps refuses it: JSONField would have raised too
    assert json.loads(plain({"id": uuid.UUID(int=1)})) == {"id": str(uuid.UUID(int=1))}
    if connection.vendor == "postgresql":
        # The database stores the two texts as the same jsonb.
        with connection.cursor() as cur:
            for value in values[:2]:
                cur.execute("SELECT %s::jsonb = %s::jsonb", [plain(value), json.JSONEncoder().encode(value)])
                assert cur.fetchone()[0] is True


TRICKY = 'tab\there, line\nbreak, back\\slash, \\N, 引号"'


def _noted(complaint: Any, agent: Any, n: int) -> list[ComplaintEvent]:
    return instances_make(
        ComplaintEvent,
        [
            {
                "complaint": complaint,
                "verb": "noted",
                "actor": agent if i % 2 else None,
                "created_at": None,
                "note": f"{TRICKY} {i}",
                "changes": [{"field": "title", "new": TRICKY}],
                "data": {"i": i},
            }
            for i in range(n)
        ],
    )


def test_prepared_rows_are_stored_as_objects_insert_stores_them(agent, customer):
    """Columns read when prepared, ``late`` ones when inserted; values that COPY's text escapes (tabs,
    line breaks, backslashes, the text \\N) are stored exactly, in both parts of a row."""
    from django.db import connection

    from closeloop.core.bulk_insert import rows_insert, rows_prepare
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    complaint = complaint_intake(
        draft=ComplaintDraft(channel="phone", title="t", description="d", customer=customer.code), actor=agent
    )
    rows = _noted(complaint, agent, 3)
    prepared = rows_prepare(rows, late=("note", "created_at"))
    if connection.vendor == "postgresql":
        assert prepared.lines is not None and len(prepared.lines) == 3
        assert all(r.pk is not None and r._state.adding for r in rows)  # ids taken, not yet saved
        rows[0].verb = "changed after"  # read when prepared: not stored
    else:
        assert prepared.lines is None and all(r.pk is None for r in rows)
    for i, r in enumerate(rows):
        r.note = f"late {TRICKY} {i}"  # read when inserted
        r.created_at = WHEN
    rows_insert(prepared)
    assert all(r.pk is not None and not r._state.adding for r in rows)
    saved = {e.pk: e for e in ComplaintEvent.objects.filter(pk__in=[r.pk for r in rows])}
    assert len(saved) == 3
    for i, r in enumerate(rows):
        got = saved[r.pk]
        assert got.verb == "noted" and got.note == f"late {TRICKY} {i}" and got.created_at == WHEN
        assert got.changes == [{"field": "title", "new": TRICKY}] and got.data == {"i": i}
        assert got.actor_id == (agent.pk if i % 2 else None)
    with pytest.raises(ValueError, match="colour"):
        rows_prepare(_noted(complaint, agent, 1), late=("colour",))


@pytest.mark.django_db(transaction=True)
def test_rows_prepared_on_one_connection_are_inserted_by_another(agent, customer):
    """The import prepares a batch on its reading thread and inserts it on its writing thread, whose
    connection is another one."""
    import threading

    from django.db import connection, transaction

    from closeloop.core.bulk_insert import rows_insert, rows_prepare
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    complaint = complaint_intake(
        draft=ComplaintDraft(channel="phone", title="t", description="d", customer=customer.code), actor=agent
    )
    rows = _noted(complaint, agent, 4)
    prepared = rows_prepare(rows, late=("created_at",))
    for r in rows:
        r.created_at = WHEN
    failures: list[BaseException] = []

    def insert() -> None:
        try:
            with transaction.atomic():
                rows_insert(prepared)
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=insert)
    thread.start()
    thread.join()
    assert not failures
    stored = ComplaintEvent.objects.filter(verb="noted", complaint=complaint).order_by("pk")
    assert [(e.pk, e.note) for e in stored] == [(r.pk, r.note) for r in rows]
