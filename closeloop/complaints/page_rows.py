"""The complaint page's child rows, read in one statement.

The page shows eight kinds of rows keyed by the complaint: its timeline, attachments, duplicates,
customer verdicts, deadlines, open clock pause, actions and handling-report versions. Read one query
each, they cost about a millisecond apiece of ORM compiling and a round trip, eight times a page. Here
each kind is one arm of a UNION ALL yielding ``(kind, row as a JSON object)``. The statement is compiled
once per database alias and timeline cap (it differs only in the complaint's id, bound on each run) and
its rows come back as model instances (``Model.from_db``) with every concrete column, in the order each
former query had. The user a row names (actor, owner, recorder, reviewer) comes with USER_NAME_FIELDS
alone: the page only prints their names.

The complaint's visibility is the caller's business: pass only the id of a complaint the user may see.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import F, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from closeloop.accounts.models import User
from closeloop.actions.models import Action
from closeloop.complaints.models import Attachment, Complaint, ComplaintEvent, CustomerVerdict
from closeloop.complaints.selectors import USER_NAME_FIELDS
from closeloop.core.db import plan_kept_cursor
from closeloop.reports.models import HandlingReport
from closeloop.sla.models import ClockPause, Deadline

# Stands for the complaint's id while the statement is compiled; replaced by the real id in the bound
# parameters of each run. No complaint has a negative id.
_SENTINEL = -730_000_001


@dataclass(frozen=True)
class _Kind:
    """One arm: rows of ``model`` whose ``key`` column is the complaint's id (and ``where``), with
    the columns ``columns`` (the concrete ones by default) and the user behind ``user`` by name."""

    model: type[models.Model]
    key: str
    user: str | None = None
    columns: tuple[str, ...] = ()
    where: dict[str, Any] = field(default_factory=dict)

    def attnames(self) -> list[str]:
        every = [f.attname for f in self.model._meta.concrete_fields]
        return [a for a in every if a in self.columns] if self.columns else every


# The arms, by the position their kind number is.
_KINDS: dict[str, _Kind] = {
    "events": _Kind(ComplaintEvent, "complaint_id", user="actor"),
    "attachments": _Kind(Attachment, "complaint_id"),
    "duplicates": _Kind(Complaint, "duplicate_of_id", columns=("id", "number", "title")),
    "verdicts": _Kind(CustomerVerdict, "complaint_id", user="recorded_by"),
    "deadlines": _Kind(Deadline, "complaint_id"),
    "clock_pause": _Kind(ClockPause, "complaint_id", where={"ended_at__isnull": True}),
    "actions": _Kind(Action, "complaint_id", user="owner"),
    "handling_reports": _Kind(HandlingReport, "complaint_id", user="reviewed_by"),
}
_NAMES = list(_KINDS)
_USER_COLUMNS = ["id", *USER_NAME_FIELDS]


@dataclass
class PageRows:
    """The complaint's child rows, each list in the order the page shows it."""

    events: list[ComplaintEvent]  # newest first, at most the cap asked for
    attachments: list[Attachment]  # upload order
    duplicates: list[Complaint]  # by id; number and title only
    verdicts: list[CustomerVerdict]  # recording order
    deadlines: list[Deadline]  # unordered (deadline_rows orders them)
    clock_pause: ClockPause | None  # the open pause (at most one)
    actions: list[Action]  # due date, then id
    handling_reports: list[HandlingReport]  # newest version first


def _arm(number: int, kind: _Kind, cap: int | None) -> models.QuerySet[Any]:
    qs = kind.model._default_manager.filter(**{kind.key: _SENTINEL}, **kind.where)
    if kind.model is ComplaintEvent and cap is not None:
        # Only the newest ``cap``: LIMIT is refused in an arm of a compound statement on SQLite, not in
        # a subquery.
        newest = ComplaintEvent.objects.filter(complaint_id=_SENTINEL).order_by("-created_at", "-id")
        qs = qs.filter(pk__in=newest.values("pk")[:cap])
    row: dict[str, Any] = {a: F(a) for a in kind.attnames()}
    if kind.user is not None:
        row.update({f"u.{name}": F(f"{kind.user}__{name}") for name in USER_NAME_FIELDS})
    return qs.order_by().annotate(k=Value(number), j=JSONObject(**row)).values_list("k", "j")


# (alias, cap) -> (SQL, parameters, positions of the sentinel among them)
_COMPILED: dict[tuple[str, int | None], tuple[str, list[Any], list[int]]] = {}


def _statement(cap: int | None) -> tuple[str, list[Any], list[int]]:
    key = (connection.alias, cap)
    compiled = _COMPILED.get(key)
    if compiled is None:
        arms = [_arm(n, _KINDS[name], cap) for n, name in enumerate(_NAMES)]
        sql, params = arms[0].union(*arms[1:], all=True).query.sql_with_params()
        at = [i for i, p in enumerate(params) if p == _SENTINEL]
        compiled = _COMPILED[key] = (sql, list(params), at)
    return compiled


def _aware(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value)
    # SQLite keeps naive UTC text; PostgreSQL writes the offset.
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed


def _converter(f: models.Field[Any, Any], sqlite: bool) -> Callable[[Any], Any] | None:
    """How a JSON value of column ``f`` becomes what the ORM would have read; None: as it is."""
    if isinstance(f, models.DateTimeField):
        return _aware
    if isinstance(f, models.DateField):
        return lambda v: None if v is None else parse_date(v)
    if isinstance(f, models.BooleanField):
        return lambda v: None if v is None else bool(v)
    if isinstance(f, models.JSONField) and sqlite:
        # SQLite embeds a JSON column as its text; PostgreSQL nests the value itself.
        decoder = f.decoder
        return lambda v: v if v is None else json.loads(v, cls=decoder)
    return None


def _instances(kind: _Kind, rows: list[dict[str, Any]], alias: str, sqlite: bool) -> list[Any]:
    by_name = {f.attname: f for f in kind.model._meta.concrete_fields}
    names = kind.attnames()
    convert = [(a, _converter(by_name[a], sqlite)) for a in names]
    user_field = kind.model._meta.get_field(kind.user) if kind.user else None
    out = []
    for row in rows:
        values = [row[a] if fn is None else fn(row[a]) for a, fn in convert]
        obj = kind.model.from_db(alias, names, values)
        if user_field is not None:
            user_id = row[user_field.attname]  # type: ignore[union-attr]
            user = (
                None
                if user_id is None
                else User.from_db(alias, _USER_COLUMNS, [user_id, *(row[f"u.{n}"] for n in USER_NAME_FIELDS)])
            )
            user_field.set_cached_value(obj, user)  # type: ignore[union-attr]
        out.append(obj)
    return out


def complaint_page_rows(*, complaint_id: int, timeline_cap: int | None) -> PageRows:
    """The child rows of the complaint ``complaint_id`` in one statement; the timeline holds the newest
    ``timeline_cap`` events (every one with None). No permission check: see the module docstring."""
    sql, params, at = _statement(timeline_cap)
    bound = list(params)
    for i in at:
        bound[i] = complaint_id
    raw: dict[int, list[dict[str, Any]]] = {n: [] for n in range(len(_NAMES))}
    with plan_kept_cursor(connection.alias) as cursor:
        cursor.execute(sql, bound)
        for number, row in cursor.fetchall():
            raw[number].append(json.loads(row) if isinstance(row, str) else row)
    sqlite = connection.vendor == "sqlite"
    got = {name: _instances(_KINDS[name], raw[n], connection.alias, sqlite) for n, name in enumerate(_NAMES)}
    pauses = sorted(got["clock_pause"], key=lambda p: (p.started_at, p.pk))
    return PageRows(
        events=sorted(got["events"], key=lambda e: (e.created_at, e.pk), reverse=True),
        attachments=sorted(got["attachments"], key=lambda a: (a.uploaded_at, a.pk)),
        duplicates=sorted(got["duplicates"], key=lambda c: c.pk),
        verdicts=sorted(got["verdicts"], key=lambda v: (v.recorded_at, v.pk)),
        deadlines=got["deadlines"],
        clock_pause=pauses[0] if pauses else None,
        actions=sorted(got["actions"], key=lambda a: (a.due_date, a.pk)),
        handling_reports=sorted(got["handling_reports"], key=lambda r: r.version, reverse=True),
    )
