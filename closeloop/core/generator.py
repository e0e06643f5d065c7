"""Fast, realistic scale data for benchmarks: N complaints with the rows their lives wrote.

It bypasses the services on purpose — one service call per transition (jieba, locks, notifications)
would take days for a million complaints — and the ORM's row building too (``generator_rows``: COPY on
PostgreSQL). It keeps the invariants that matter to the rest of the system: numbers come from the same
per-year NumberSequence rows (a block per batch is reserved under the row lock, so live creates never
collide with generated ones), the assignment rules and the priority weights decide owner, department
and priority as on intake, ``search_text`` has the same jieba tokens the service would write
(tokenised once per text template and reused), and each complaint goes through the workflow
(``generator_timeline``) writing what the transition services write (``generator_lifecycle``):
timeline events, deadlines met on time, late or still running, clock pauses while the customer is
asked, and the customer's verdicts.

Left out: notifications (inbox rows of past events), the deadline scan's reminders and escalations
(``generator_deadlines``), attachments, and 8D cases (``generator_lifecycle``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.complaints.creation import complaint_site_for
from closeloop.complaints.models import (
    AssignmentRule,
    Category,
    Complaint,
    ComplaintEvent,
    CustomerVerdict,
    NumberSequence,
    PriorityWeights,
)
from closeloop.complaints.numbering import number_format
from closeloop.complaints.priority import PriorityInput, priority_compute
from closeloop.complaints.search import tokenize
from closeloop.core import clock
from closeloop.core.demo import demo_master_data
from closeloop.core.demo_data import ISSUES
from closeloop.core.generator_deadlines import DeadlineBook
from closeloop.core.generator_lifecycle import Cast, Life, Liver, NewComplaint
from closeloop.core.generator_rows import BatchWriter, JsonText, RowShape, rows_insert
from closeloop.core.generator_timeline import PROPOSAL_PACE, RESOLVE_MEDIAN_DAYS, timeline_plan
from closeloop.customers.models import Customer, Product
from closeloop.sla.models import ClockPause, Deadline

PLACES = ["客户仓库", "产线", "安装现场", "收货检验", "终端用户处", "售后网点"]
AMOUNTS = [3, 5, 8, 12, 20, 36, 50, 120, 300]
CHANNELS = ["phone", "email", "online_form", "sales_visit", "after_sales"]
SPAN = dt.timedelta(days=365)
EVENT_FIELDS = ("complaint", "verb", "actor", "created_at", "changes", "note", "data")
VERDICT_FIELDS = ("complaint", "satisfied", "score", "comment", "reopen_reason", "recorded_by", "recorded_at")
ID_CHUNK = 900  # numbers per id lookup: under SQLite's oldest limit of 999 parameters
PAUSE_FIELDS = ("complaint", "reason", "note", "started_at", "started_by", "ended_at", "ended_by")


def _reserve_numbers(year: int, count: int) -> int:
    """Reserve ``count`` numbers of ``year``; return the first sequence value of the block."""
    with transaction.atomic():
        NumberSequence.objects.get_or_create(scope="complaint", year=year)
        seq = NumberSequence.objects.select_for_update().get(scope="complaint", year=year)
        first = seq.last_value + 1
        NumberSequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + count)
    return first


def _ascii_tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", text.lower()) if t]


def _received_times(rng: random.Random, n: int, now: dt.datetime) -> Iterator[dt.datetime]:
    """``n`` instants drawn uniformly over the year before ``now``, yielded in ascending order without
    holding them: each is the smallest of the uniforms still to come (order statistics), so numbers
    follow time and memory stays at one batch."""
    x = 0.0
    start = now.astimezone(dt.UTC) - SPAN
    for k in range(n, 0, -1):
        x = 1.0 - (1.0 - x) * rng.random() ** (1.0 / k)
        yield start + SPAN * x


@dataclass
class _Master:
    """What every generated complaint draws from, read once per run."""

    customers: list[Customer]
    products: list[Product]
    templates: list[tuple[Category | None, str, str, str, str, list[str]]]
    customer_tokens: dict[int, list[str]]
    product_tokens: dict[int, list[str]]
    weights: PriorityWeights


def _master() -> _Master:
    if not Customer.objects.exists() or not Product.objects.exists():
        demo_master_data()  # idempotent: adds what is missing, keeps what exists
    customers = list(Customer.objects.order_by("pk"))
    products = list(Product.objects.select_related("site").order_by("pk"))
    categories = {c.code: c for c in Category.objects.all()}
    templates = []  # text templates, each tokenised once (jieba is the slow part)
    for category, severity, title, description, requirement in ISSUES:
        for place in PLACES:
            desc = f"{description}（发现于{place}）"
            tokens = tokenize(f"{title} {desc} {requirement}")
            templates.append((categories.get(category), severity, title, desc, requirement, tokens))
    return _Master(
        customers=customers,
        products=products,
        templates=templates,
        customer_tokens={c.pk: tokenize(f"{c.name} {c.code}") for c in customers},
        product_tokens={p.pk: tokenize(f"{p.name} {p.code}") for p in products},
        weights=PriorityWeights.current(),
    )


def _cast() -> Cast:
    people = User.objects.filter(is_active=True).select_related("department").order_by("pk")
    owners = list(
        people.filter(
            groups__name__in=[roles.QUALITY_ENGINEER, roles.QUALITY_MANAGER, roles.AGENT, roles.SALESPERSON]
        ).distinct()
    )
    triagers = list(
        people.filter(groups__name__in=[roles.QUALITY_ENGINEER, roles.QUALITY_MANAGER]).distinct()
    )
    agents = list(people.filter(groups__name=roles.AGENT))
    intake = (agents or owners)[0] if agents or owners else None
    return Cast(intake=intake, triagers=triagers, owners=owners)


class _Generator:
    """One run: master data, caches and the last valid complaint per customer (a duplicate's original)."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng, self.now = rng, now
        self.m = _master()
        self.book = DeadlineBook()
        self.liver = Liver(cast=_cast(), book=self.book)
        self.shape = RowShape(Complaint, skip=("created_at", "updated_at"))
        self.priorities: dict[tuple[str, str, int], tuple[int, JsonText]] = {}
        self.rules = list(
            AssignmentRule.objects.filter(is_active=True)
            .select_related("department", "owner__department")
            .order_by("order", "id")
        )
        # The latest valid complaint generated, per customer and overall (key None): a duplicate's
        # original, received before it.
        self.last_valid: dict[int | None, NewComplaint] = {}

    def _rule(self, category: Category | None, product: Product, customer: Customer) -> AssignmentRule | None:
        """``complaints.config.assignment_rule_match``, over the rules read once."""
        cats = self.book.lineage.get(category.pk, frozenset()) if category is not None else frozenset()
        for r in self.rules:
            if r.category_id is not None and r.category_id not in cats:
                continue
            if r.product_family and r.product_family != product.family:
                continue
            if r.customer_id is not None and r.customer_id != customer.pk:
                continue
            return r
        return None

    def _priority(self, severity: str, urgency: str, customer: Customer) -> tuple[int, JsonText]:
        key = (severity, urgency, customer.pk)
        if key not in self.priorities:
            facts = PriorityInput(
                severity=severity,
                urgency=urgency,
                customer_tier=customer.tier,
                customer_annual_value=customer.annual_value,
                safety_risk=False,
                impact_scope="single",
            )
            score, breakdown = priority_compute(facts, self.m.weights)
            self.priorities[key] = (score, JsonText(json.dumps(breakdown)))
        return self.priorities[key]

    def complaint(self, number: str, received: dt.datetime) -> tuple[Life, NewComplaint | None]:
        """One complaint as ``complaint_create`` makes it, lived to now; with its duplicate's original."""
        rng, m = self.rng, self.m
        cat, severity, title, desc, req, tokens = m.templates[rng.randrange(len(m.templates))]
        customer = m.customers[rng.randrange(len(m.customers))]
        product = m.products[rng.randrange(len(m.products))]
        urgency = "urgent" if severity == "serious" and rng.random() < 0.5 else "normal"
        score, breakdown = self._priority(severity, urgency, customer)
        rule = self._rule(cat, product, customer)
        search = dict.fromkeys(
            [*_ascii_tokens(number), *tokens, *m.customer_tokens[customer.pk], *m.product_tokens[product.pk]]
        )
        c = NewComplaint(
            number=number,
            channel=CHANNELS[rng.randrange(len(CHANNELS))],
            received_at=received,
            customer=customer,
            title=title,
            description=desc,
            customer_requirement=req,
            quantity_affected=AMOUNTS[rng.randrange(len(AMOUNTS))],
            product=product,
            site=complaint_site_for(site=None, product=product),
            category=cat,
            severity=severity,
            urgency=urgency,
            priority_score=score,
            priority_breakdown=breakdown,
            assignment_rule_id=rule.pk if rule else None,
            department=rule.department if rule else None,
            owner=rule.owner if rule else None,
            search_text=" " + " ".join(search) + " ",
        )
        proposal = self.book.proposal_days(
            severity=severity, urgency=urgency, category_id=cat.pk if cat else None, customer_id=customer.pk
        )
        timeline = timeline_plan(
            rng,
            received=received,
            now=self.now,
            urgent=urgency == "urgent",
            resolve_days=min(RESOLVE_MEDIAN_DAYS, PROPOSAL_PACE * proposal)
            if proposal
            else RESOLVE_MEDIAN_DAYS,
        )
        original = self.last_valid.get(customer.pk) or self.last_valid.get(None)
        if timeline.invalid is not None and timeline.invalid[0] == "merged" and original is None:
            timeline.invalid = ("rejected", timeline.invalid[1])  # nothing earlier to be a duplicate of
        life = self.liver.live(rng, c, timeline, rule.name if rule else None)
        if timeline.invalid is None:
            self.last_valid[customer.pk] = self.last_valid[None] = c
        return life, original if life.merged is not None else None

    def _insert(self, complaints: list[NewComplaint]) -> None:
        """Insert ``complaints`` and give each its id (read back by number)."""
        rows_insert(Complaint, self.shape.fields, (self.shape.values(c) for c in complaints))
        ids: dict[str, int] = {}
        for i in range(0, len(complaints), ID_CHUNK):
            numbers = [c.number for c in complaints[i : i + ID_CHUNK]]
            ids.update(Complaint.objects.filter(number__in=numbers).values_list("number", "id"))
        for c in complaints:
            c.pk = ids[c.number]

    def write(self, lives: list[tuple[Life, NewComplaint | None]]) -> int:
        """Insert one batch (in the caller's transaction): the complaints and their verdicts first,
        reading their ids back, then the rows naming them. Duplicates go in after the others, once
        their originals (perhaps in this batch) have ids."""
        plain = [life.complaint for life, original in lives if original is None]
        self._insert(plain)
        events: list[tuple[Any, ...]] = []
        for life, original in lives:
            c = life.complaint
            if original is not None and life.merged is not None and life.merge_data is not None:
                c.duplicate_of_id, life.merge_data["original"] = original.pk, original.number
                at, actor_id = life.merged
                events.append(
                    (original.pk, "duplicate_linked", actor_id, at, [], "", {"duplicate": c.number})
                )
        self._insert([life.complaint for life, original in lives if original is not None])
        verdicts = [(life.complaint.pk, *v) for life, _o in lives for v in life.verdicts]
        rows_insert(CustomerVerdict, VERDICT_FIELDS, verdicts)
        # Read back in insertion order: the rows are new, so nobody else's lie between them.
        pks = {life.complaint.pk for life, _o in lives}
        verdict_ids = [
            vid
            for vid, cid in CustomerVerdict.objects.filter(
                complaint_id__gte=min(pks), complaint_id__lte=max(pks)
            )
            .order_by("id")
            .values_list("id", "complaint_id")
            if cid in pks
        ]
        links = [data for life, _o in lives for data in life.links]
        for data, vid in zip(links, verdict_ids, strict=True):
            data["verdict"] = vid
        deadlines: list[tuple[Any, ...]] = []
        pauses: list[tuple[Any, ...]] = []
        for life, _o in lives:
            c = life.complaint
            events.extend(
                (c.pk, verb, actor, at, ch, note, data) for verb, at, actor, ch, note, data in life.events
            )
            deadlines.extend(
                self.book.rows(life.clocks, complaint_id=c.pk, received=c.received_at, severity=c.severity)
            )
            pauses.extend((c.pk, *p) for p in life.pauses)
        rows_insert(ComplaintEvent, EVENT_FIELDS, events)
        rows_insert(Deadline, DeadlineBook.COLUMNS, deadlines)
        rows_insert(ClockPause, PAUSE_FIELDS, pauses)
        return len(lives)


def complaints_generate(
    n: int, *, seed: int = 7, batch: int = 5000, progress: Callable[[int, float], None] | None = None
) -> int:
    """Create ``n`` complaints received over the last 365 days, each lived to ``clock.now()`` with its
    events, deadlines, clock pauses and verdicts. The same seed and clock give the same data (under new
    numbers). Returns the number created.

    Each batch is one transaction, and at most ``batch`` complaints are held in memory. On PostgreSQL,
    outside a transaction, half-batches are stored by a worker thread while the next half is built
    (``BatchWriter``); inside the caller's transaction (tests) or on SQLite, batches are written in
    turn."""
    rng = random.Random(seed)  # noqa: S311 — reproducible benchmark data, not security
    now = clock.now()
    gen = _Generator(rng, now)
    threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
    unit = max(1, batch // 2) if threaded else batch
    start_time = time.monotonic()
    made = built = 0
    times = _received_times(random.Random(f"{seed}:received"), n, now)  # noqa: S311
    with BatchWriter(gen.write, threaded=threaded) as writer:
        while built < n:
            chunk = list(itertools.islice(times, min(unit, n - built)))
            years = [timezone.localtime(r).year for r in chunk]
            firsts = {y: _reserve_numbers(y, years.count(y)) for y in dict.fromkeys(years)}
            lives = []
            for received, year in zip(chunk, years, strict=True):
                lives.append(gen.complaint(number_format(year, firsts[year]), received))
                firsts[year] += 1
            built += len(lives)
            done = writer.put(lives)
            made += done
            if progress and done:
                progress(made, made / max(time.monotonic() - start_time, 1e-6))
        done = writer.wait()
        made += done
        if progress and done:
            progress(made, made / max(time.monotonic() - start_time, 1e-6))
    _analyze()
    return made


def _analyze() -> None:
    """Refresh planner statistics after a bulk load; stale ones make PostgreSQL pick hash joins
    over the whole table for a 25-row page (measured: 180 ms instead of ~1 ms)."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for model in (Complaint, ComplaintEvent, Deadline, ClockPause, CustomerVerdict):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        elif connection.vendor == "sqlite":
            cur.execute("ANALYZE")
