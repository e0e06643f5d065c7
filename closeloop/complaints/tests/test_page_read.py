"""The complaint page's read of the complaint, compiled once per process (selectors._PAGE_QUERIES), gives
what the ORM's own query gives: for a demo user of every role (so every visibility) and every demo
complaint, the same complaint or the same NotFound, with the same values in its columns and in the
related rows the page shows — and the same deferred columns when it only reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closeloop.accounts.models import User
from closeloop.complaints import selectors
from closeloop.complaints.models import Complaint
from closeloop.core.db import joins_as_written_statements
from closeloop.core.demo import demo_load
from closeloop.core.errors import NotFound

pytestmark = pytest.mark.django_db


def _orm(user: User, number: str, reading: bool) -> Complaint | None:
    """The read as the ORM compiles it each time (the reference)."""
    qs = selectors._page_qs(selectors.complaint_visible_qs(user=user), reading)
    return qs.filter(number=number).first()


def _prepared(user: User, number: str, reading: bool) -> Complaint | None:
    try:
        return selectors.complaint_get_for_page(user=user, number=number, reading=reading)
    except NotFound:
        return None


def _shown(c: Complaint) -> dict[str, Any]:
    """Every loaded column of the complaint and of the related rows the page shows."""
    deferred = c.get_deferred_fields()
    out: dict[str, Any] = {
        f.attname: getattr(c, f.attname) for f in Complaint._meta.concrete_fields if f.attname not in deferred
    }
    out["deferred"] = sorted(deferred)
    for path in selectors.PAGE_RELATED_FIELDS:
        obj: Any = c
        for part in path.split("__"):
            obj = getattr(obj, part, None) if obj is not None else None
        out[path] = obj.pk if hasattr(obj, "pk") else obj
    return out


def test_prepared_read_equals_the_orm_for_every_role_and_complaint() -> None:
    demo_load()
    # One user of each role (the role decides what a user sees).
    by_role: dict[str, User] = {}
    for u in User.objects.filter(is_active=True).prefetch_related("groups").order_by("username"):
        by_role.setdefault(",".join(sorted(g.name for g in u.groups.all())), u)
    users = list(by_role.values())
    numbers = list(Complaint.objects.order_by("pk").values_list("number", flat=True))
    kinds = {selectors.complaint_visibility(u) for u in users}
    assert kinds == {"all", "own"}, "the demo has users of both kinds that see complaints"
    seen = hidden = 0
    for user in users:
        for reading in (True, False):
            for number in numbers:
                expected, got = _orm(user, number, reading), _prepared(user, number, reading)
                if expected is None:
                    assert got is None, (user.username, number)
                    hidden += 1
                    continue
                assert got is not None, (user.username, number)
                assert _shown(got) == _shown(expected), (user.username, number, reading)
                seen += 1
    assert seen and hidden, "both visible and hidden complaints were compared"


def test_no_read_for_a_user_who_sees_nothing(django_user_model: Any) -> None:
    demo_load()
    nobody = django_user_model.objects.create_user("nobody", password="x")  # no role: no permission
    number = Complaint.objects.values_list("number", flat=True).first()
    with CaptureQueriesContext(connection) as queries, pytest.raises(NotFound):
        selectors.complaint_get_for_page(user=nobody, number=str(number), reading=True)
    # Only the permission lookups: no complaint is read.
    assert not [q for q in queries.captured_queries if "complaints_complaint" in q["sql"]]


def test_one_statement_and_joins_as_written() -> None:
    demo_load()
    user = User.objects.get(username="gm")
    user.has_perm("complaints.view_all_complaints")  # permissions cached, as after the middleware
    number = str(Complaint.objects.values_list("number", flat=True).first())
    with CaptureQueriesContext(connection) as queries:
        selectors.complaint_get_for_page(user=user, number=number, reading=True)
    assert len(queries) == 1 + joins_as_written_statements()
