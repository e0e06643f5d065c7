"""The complaint page's one-statement read of its child rows gives what the ORM reads one query each
would: the same rows, in the page's order, with every column's value of the same type, and the named
users' names — checked over every complaint of the demo data (every state, actions, 8D, verdicts,
pauses, handling reports) on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.actions.models import Action
from closeloop.complaints.models import Attachment, Complaint, ComplaintEvent, CustomerVerdict
from closeloop.complaints.page_rows import _KINDS, complaint_page_rows
from closeloop.complaints.selectors import USER_NAME_FIELDS
from closeloop.complaints.services import attachments_add
from closeloop.complaints.workflow import Status
from closeloop.core.demo import demo_load
from closeloop.reports import handling
from closeloop.reports.models import HandlingReport
from closeloop.sla.models import ClockPause, Deadline

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# The field types page_rows turns back from JSON exactly (page_rows._converter). A column of another
# type (a Decimal would come back a float, a UUID or a duration as text) must be taught there first.
SUPPORTED = (
    models.AutoField,
    models.BigAutoField,
    models.CharField,
    models.TextField,
    models.DateTimeField,
    models.DateField,
    models.BooleanField,
    models.IntegerField,
    models.PositiveBigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.ForeignKey,
    models.JSONField,
    models.FileField,
)


def _values(obj: models.Model, attnames: list[str]) -> list[tuple[str, Any, type]]:
    return [(a, getattr(obj, a), type(getattr(obj, a))) for a in attnames]


def _same(got: list[Any], expected: list[Any], attnames: list[str], user: str | None) -> None:
    assert [o.pk for o in got] == [o.pk for o in expected]
    for g, e in zip(got, expected, strict=True):
        assert _values(g, attnames) == _values(e, attnames)
        if user:
            named, real = getattr(g, user), getattr(e, user)
            assert (named is None) == (real is None)
            if real is not None:
                assert [getattr(named, n) for n in USER_NAME_FIELDS] == [
                    getattr(real, n) for n in USER_NAME_FIELDS
                ]


def test_every_column_of_every_kind_is_of_a_type_read_back_exactly():
    for name, kind in _KINDS.items():
        fields = [f for f in kind.model._meta.concrete_fields if f.attname in kind.attnames()]
        wrong = [f.name for f in fields if not isinstance(f, SUPPORTED) or isinstance(f, models.DecimalField)]
        assert not wrong, f"{name}: {wrong}"


def _with_attachments_and_reports() -> None:
    """The demo data has neither: give two closed complaints attachments and handling reports (one
    approved, so it names its reviewer; one superseded draft)."""
    reviewer = User.objects.filter(groups__name=roles.SALES_MANAGER).first()
    assert reviewer is not None
    for c in Complaint.objects.filter(status=Status.CLOSED, owner__isnull=False).order_by("id")[:2]:
        attachments_add(complaint=c, actor=c.owner, files=[("现场.png", PNG), ("b.png", PNG)])
        handling.handling_report_create(complaint=c, actor=c.owner)
        r = handling.handling_report_create(complaint=c, actor=c.owner)
        sections = dict.fromkeys(("reported", "found", "done_now", "prevention"), "已说明")
        r = handling.handling_report_save(
            report=r, actor=c.owner, expected_version=None, language=r.language, **sections
        )
        r = handling.handling_report_submit(report=r, actor=c.owner)
        handling.handling_report_approve(report=r, actor=reviewer, note="可以发送")


def test_the_rows_equal_the_orm_reads_for_every_demo_complaint():
    demo_load(complaints=150)
    _with_attachments_and_reports()
    seen = dict.fromkeys(_KINDS, 0)
    for c in Complaint.objects.order_by("id"):
        rows = complaint_page_rows(complaint_id=c.pk, timeline_cap=None)
        capped = complaint_page_rows(complaint_id=c.pk, timeline_cap=3)
        expected: dict[str, list[Any]] = {
            "events": list(
                ComplaintEvent.objects.filter(complaint=c)
                .select_related("actor")
                .order_by("-created_at", "-id")
            ),
            "attachments": list(Attachment.objects.filter(complaint=c).order_by("uploaded_at", "id")),
            "duplicates": list(Complaint.objects.filter(duplicate_of=c).order_by("id")),
            "verdicts": list(
                CustomerVerdict.objects.filter(complaint=c)
                .select_related("recorded_by")
                .order_by("recorded_at", "id")
            ),
            "deadlines": list(Deadline.objects.filter(complaint=c)),
            "clock_pause": list(ClockPause.objects.filter(complaint=c, ended_at__isnull=True)),
            "actions": list(
                Action.objects.filter(complaint=c).select_related("owner").order_by("due_date", "id")
            ),
            "handling_reports": list(
                HandlingReport.objects.filter(complaint=c).select_related("reviewed_by").order_by("-version")
            ),
        }
        got = {**vars(rows), "clock_pause": [rows.clock_pause] if rows.clock_pause else []}
        # Deadlines come unordered (the page orders them); compare them by id.
        got["deadlines"] = sorted(got["deadlines"], key=lambda d: d.pk)
        expected["deadlines"].sort(key=lambda d: d.pk)
        for name, kind in _KINDS.items():
            _same(got[name], expected[name], kind.attnames(), kind.user)
            seen[name] += len(expected[name])
        assert [e.pk for e in capped.events] == [e.pk for e in expected["events"][:3]]
    # The demo data has rows of every kind, so every arm was compared.
    assert all(seen.values()), seen
