"""A generated complaint lives its timeline: the fields each transition service sets, and the rows it
writes — timeline events (same verbs, changes, notes and data as ``complaints.services`` /
``complaints.handling`` / ``sla.services.pauses``), deadlines, clock pauses and customer verdicts.

The complaint is a plain object and the rows plain tuples, inserted without the ORM: building a model
instance per row was half the generator's time. Only the quick-resolution path is lived: an 8D case is
dozens of rows (steps, team, actions, sign-offs, its own timeline mirrored on the complaint's) that
must pass the case's gates, so no case is opened and the 8D deadlines never apply.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from closeloop.accounts.models import Department, User
from closeloop.complaints.events import AUDITED_FIELDS
from closeloop.complaints.models import Category, Complaint
from closeloop.complaints.workflow import HandlingPath, Status
from closeloop.core.generator_deadlines import Clock, DeadlineBook
from closeloop.core.generator_rows import JsonText
from closeloop.core.generator_timeline import Timeline
from closeloop.customers.models import Customer, Product, Site
from closeloop.sla.models import PauseReason, Target

INVALID_REASONS = ["重复录入的测试数据", "客户误操作，非产品问题", "不属于本公司供货范围", "客户已撤回投诉"]
RESOLUTIONS = [
    "已补发良品并承担运费",
    "已安排换货，客户已签收",
    "已退货退款",
    "工程师现场处理完毕，设备恢复正常",
    "已重开发票并寄出",
    "已补寄质检报告及材质证明",
    "已调整包装方式并通知仓库执行",
]
COMMENTS = ["处理及时，满意", "问题已解决", "希望以后加强检验", "", "", "沟通顺畅"]
REOPEN_REASONS = ["更换后问题仍然存在", "补发数量不足", "未收到书面说明", "处理结果与要求不符"]
# Satisfied answers lean high, as real satisfaction surveys do.
SCORES = ([5, 4, 3, 2, 1], [45, 35, 14, 4, 2])
AWAITING = PauseReason.AWAITING_CONFIRMATION.value

# The audited fields a generated life changes after creation, in AUDITED_FIELDS' order: the services'
# diff over all audited fields equals the diff over these (the others never change here).
CHANGING = [
    f for f in AUDITED_FIELDS if f in {"handling_path", "reopen_count", "department", "owner", "status"}
]

# (verb, at, actor id, changes, note, data) — a ComplaintEvent without its complaint.
Event = tuple[str, dt.datetime, int | None, list[Any] | JsonText, str, dict[str, Any] | JsonText]
# [reason, note, started_at, started_by id, ended_at, ended_by id] — a ClockPause without its complaint.
Pause = list[Any]
# [satisfied, score, comment, reopen_reason, recorded_by id, recorded_at] — a CustomerVerdict, likewise.
Verdict = tuple[bool, int | None, str, str, int | None, dt.datetime]


@dataclass(slots=True, eq=False)
class NewComplaint:
    """A complaint as ``complaint_create`` makes it, then as its life leaves it; not a model instance
    (building one per row, with its descriptors, cost more than the rest of a row's work). Attribute
    names are the model's field names, relations as objects; a field it lacks takes the model field's
    default (see ``Labels`` and ``generator_rows.RowShape``)."""

    number: str
    channel: str
    received_at: dt.datetime
    customer: Customer
    title: str
    description: str
    customer_requirement: str
    quantity_affected: int
    product: Product
    site: Site | None
    category: Category | None
    severity: str
    urgency: str
    priority_score: int
    priority_breakdown: list[dict[str, Any]] | JsonText
    assignment_rule_id: int | None
    department: Department | None
    owner: User | None
    search_text: str
    status: str = Status.NEW.value
    handling_path: str = ""
    reopen_count: int = 0
    version: int = 1
    triaged_at: dt.datetime | None = None
    resolution: str = ""
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    invalid_reason: str = ""
    duplicate_of_id: int | None = None
    created_by_id: int | None = None
    pk: int = 0  # set once inserted


_MISSING = object()


class Labels:
    """``complaints.events.snapshot`` of generated complaints: the same display values (choice codes,
    numbers, ``str()`` of related objects and dates), each related object's text computed once."""

    # Fields whose values hardly repeat: their JSON is not kept for reuse.
    UNCACHED = frozenset({"received_at"})
    CACHE_MAX = 50_000

    def __init__(self) -> None:
        # by id(): the objects are the run's master data, kept alive here with their text
        self._objs: dict[int, tuple[models.Model, str]] = {}
        self._pieces: dict[tuple[str, Any], str] = {}
        self._diffs: dict[tuple[tuple[str, Any, Any], ...], JsonText] = {}
        self._created_data: dict[tuple[str | None, str], JsonText] = {}  # rules x channels
        fields = {f: Complaint._meta.get_field(f) for f in AUDITED_FIELDS}
        self._defaults = {name: self._show(f.get_default()) for name, f in fields.items()}  # type: ignore[union-attr]

    def _show(self, value: Any) -> Any:
        """``events.display_value`` of a value already read."""
        if value is None or type(value) in _PLAIN:
            return value
        if isinstance(value, models.Model):
            hit = self._objs.get(id(value))
            if hit is None:
                hit = self._objs[id(value)] = (value, str(value))
            return hit[1]
        if isinstance(value, bool | int | str | float):
            return value
        return str(value)

    def snapshot(self, c: NewComplaint, fields: list[str]) -> dict[str, Any]:
        out = {}
        for f in fields:
            value = getattr(c, f, _MISSING)
            out[f] = self._defaults[f] if value is _MISSING else self._show(value)
        return out

    def created_data(self, rule_name: str | None, channel: str) -> JsonText:
        """The ``created`` event's data: complaint_create's rule, with intake's channel."""
        text = self._created_data.get((rule_name, channel))
        if text is None:
            text = JsonText(json.dumps({"rule": rule_name, "channel": channel}))
            self._created_data[(rule_name, channel)] = text
        return text

    def changing(self, c: NewComplaint) -> dict[str, Any]:
        """``snapshot(c, CHANGING)``, read directly (it is taken twice per transition)."""
        return {
            "handling_path": c.handling_path,
            "reopen_count": c.reopen_count,
            "department": self._show(c.department),
            "owner": self._show(c.owner),
            "status": c.status,
        }

    def diff(self, before: dict[str, Any], after: dict[str, Any]) -> JsonText:
        """``complaints.events.diff`` over CHANGING (in its order), serialised; the few distinct
        changes (status moves, an owner set) are encoded once each."""
        key = tuple((f, before[f], after[f]) for f in CHANGING if before[f] != after[f])
        text = self._diffs.get(key)
        if text is None:
            text = JsonText(json.dumps([{"field": f, "old": old, "new": new} for f, old, new in key]))
            if len(self._diffs) < self.CACHE_MAX:
                self._diffs[key] = text
        return text

    def created(self, c: NewComplaint) -> JsonText:
        """The ``created`` event's changes as ``complaint_create`` writes them (every audited field
        with a value, old None), serialised: one entry's JSON is kept per field and value, so the big
        texts (description, customer) are encoded once per run, not once per complaint."""
        pieces = []
        for f, v in self.snapshot(c, AUDITED_FIELDS).items():
            if v in (None, ""):
                continue
            piece = self._pieces.get((f, v))
            if piece is None:
                piece = json.dumps({"field": f, "old": None, "new": v})
                if f not in self.UNCACHED and len(self._pieces) < self.CACHE_MAX:
                    self._pieces[(f, v)] = piece
            pieces.append(piece)
        return JsonText("[" + ", ".join(pieces) + "]")


_PLAIN = frozenset({str, int, bool, float})


# Event data that never varies, serialised once.
PATH_QUICK = JsonText(json.dumps({"path": HandlingPath.QUICK.value}))
PAUSED = JsonText(json.dumps({"reason": AWAITING}))


@dataclass
class Cast:
    """Who acts: the intake user, the triagers (quality roles) and the owners triage may assign."""

    intake: User | None
    triagers: list[User]
    owners: list[User]


@dataclass
class Life:
    """The rows one complaint's life wrote, waiting for its id (and its verdicts' ids).

    ``merged`` is when and by whom it was marked a duplicate: the caller links the original, fills in
    ``merge_data["original"]`` and writes the original's ``duplicate_linked`` event."""

    complaint: NewComplaint
    events: list[Event] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    # per verdict, in order: the data of the event that names it (filled once the verdict has an id)
    links: list[dict[str, Any]] = field(default_factory=list)
    merged: tuple[dt.datetime, int | None] | None = None
    merge_data: dict[str, Any] | None = None


def _pk(user: User | None) -> int | None:
    return user.pk if user is not None else None


class Liver:
    """Applies timelines to complaints (one instance per generation run)."""

    def __init__(self, *, cast: Cast, book: DeadlineBook) -> None:
        self.cast, self.book, self.labels = cast, book, Labels()

    def live(self, rng: random.Random, c: NewComplaint, t: Timeline, rule_name: str | None) -> Life:
        """Set ``c``'s fields to where ``t`` leaves it and return the rows written on the way. ``c`` is
        as ``complaint_create`` left it (number, assignment, priority, search text), not saved yet."""
        life = Life(complaint=c)
        intake = self.cast.intake
        c.created_by_id = _pk(intake)
        created = self.labels.created(c)
        data = self.labels.created_data(rule_name, c.channel)
        life.events.append(("created", c.received_at, _pk(intake), created, "", data))
        cast = self.cast
        triager = cast.triagers[rng.randrange(len(cast.triagers))] if cast.triagers else intake
        assignee = cast.owners[rng.randrange(len(cast.owners))] if cast.owners else None
        reason, resolution = rng.choice(INVALID_REASONS), rng.choice(RESOLUTIONS)
        if t.triaged_at is not None:
            self._triage(life, t.triaged_at, triager, assignee)
        if t.invalid is not None:
            self._invalid(life, t.invalid[0], t.invalid[1], triager, reason)
            return life
        if t.started_at is not None:
            self._start(life, t.started_at, triager)
        pauses: list[tuple[dt.datetime, dt.datetime]] = []
        for cycle in t.cycles:
            self._resolve(life, cycle.resolved_at, resolution)
            if cycle.verdict_at is not None:
                pauses.append((cycle.resolved_at, cycle.verdict_at))
                self._verdict(rng, life, cycle.verdict_at, cycle.satisfied, pauses)
        return life

    def _transition(
        self,
        life: Life,
        verb: str,
        at: dt.datetime,
        actor: User | None,
        before: dict[str, Any],
        *,
        note: str = "",
        data: dict[str, Any] | JsonText | None = None,
    ) -> None:
        """Write the event of the change just made to ``life.complaint`` (``before`` is its snapshot
        beforehand) and bump its version, as every transition service does."""
        c = life.complaint
        c.version += 1
        changes = self.labels.diff(before, self.labels.changing(c))
        life.events.append((verb, at, _pk(actor), changes, note, data or {}))

    def _triage(self, life: Life, at: dt.datetime, actor: User | None, assignee: User | None) -> None:
        c = life.complaint
        before = self.labels.changing(c)
        if c.owner is None and c.department is None and assignee is not None:
            c.owner, c.department = assignee, assignee.department  # triage with reassign
        c.status, c.triaged_at = Status.TRIAGED.value, at
        self._transition(life, "triaged", at, actor, before)
        life.clocks = self.book.plan(
            received=c.received_at,
            severity=c.severity,
            urgency=c.urgency,
            category_id=c.category.pk if c.category is not None else None,
            customer_id=c.customer.pk,
        )

    def _invalid(self, life: Life, status: str, at: dt.datetime, actor: User | None, reason: str) -> None:
        c = life.complaint
        before = self.labels.changing(c)
        c.status = status
        if status == Status.REJECTED:
            c.invalid_reason = reason
            self._transition(life, "marked_invalid", at, actor, before, note=reason)
        else:
            life.merged, life.merge_data = (at, _pk(actor)), {"original": None}
            self._transition(life, "marked_duplicate", at, actor, before, data=life.merge_data)

    def _start(self, life: Life, at: dt.datetime, triager: User | None) -> None:
        c = life.complaint
        actor = c.owner or triager
        before = self.labels.changing(c)
        c.status, c.handling_path = Status.IN_PROGRESS.value, HandlingPath.QUICK.value
        if c.owner is None and actor is not None:
            c.owner, c.department = actor, c.department or actor.department
        self._transition(life, "handling_started", at, actor, before, data=PATH_QUICK)
        self.book.meet(life.clocks, Target.RESPONSE, at)

    def _resolve(self, life: Life, at: dt.datetime, resolution: str) -> None:
        c = life.complaint
        before = self.labels.changing(c)
        c.status, c.resolution, c.resolved_at = Status.AWAITING_CUSTOMER.value, resolution, at
        self._transition(life, "resolved", at, c.owner, before, note=resolution)
        owner_id = _pk(c.owner)
        self.book.meet(life.clocks, Target.PROPOSAL, at)
        life.pauses.append([AWAITING, "", at, owner_id, None, None])
        self.book.pause(life.clocks, at)
        life.events.append(("clock_paused", at, owner_id, [], "", PAUSED))

    def _verdict(
        self,
        rng: random.Random,
        life: Life,
        at: dt.datetime,
        satisfied: bool,
        pauses: list[tuple[dt.datetime, dt.datetime]],
    ) -> None:
        c = life.complaint
        if satisfied:
            score: int | None = rng.choices(*SCORES)[0]
            comment, reason = rng.choice(COMMENTS), ""
        else:
            score = rng.choice([None, None, 1, 2])
            comment, reason = "", rng.choice(REOPEN_REASONS)
        owner_id = _pk(c.owner)
        life.verdicts.append((satisfied, score, comment, reason, owner_id, at))
        before = self.labels.changing(c)
        c.status = Status.CLOSED.value if satisfied else Status.IN_PROGRESS.value
        pause = life.pauses[-1]
        pause[4], pause[5] = at, owner_id
        moved = self.book.resume(life.clocks, c.received_at, pauses)
        # paused_since as the service reads the pause back from the database: in UTC
        since = pause[2].astimezone(dt.UTC).isoformat()
        data = {"reason": AWAITING, "paused_since": since, "moved": moved}
        life.events.append(("clock_resumed", at, owner_id, [], "", data))
        if satisfied:
            c.closed_at = at
            self.book.meet(life.clocks, Target.CLOSURE, at)
        else:
            c.reopen_count += 1
            c.resolved_at = None
        data = {"verdict": None, "satisfied": satisfied, "score": score}
        life.links.append(data)
        verb, note = ("closed", comment) if satisfied else ("reopened", reason)
        self._transition(life, verb, at, c.owner, before, note=note, data=data)
