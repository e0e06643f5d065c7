"""Creating many complaints at once, for the bulk import.

:func:`complaints_create_many` writes, for each :class:`ComplaintData`, exactly what
:func:`closeloop.complaints.creation.complaint_create` writes for it — the complaint (fields,
assignment, priority, number from the same sequence, search text), its ``created`` event and the
``complaint_received`` notifications with their outbox deliveries — but with set-based reads and writes:
the assignment rules and priority weights read once, the numbers of a batch taken in one step per year,
one insert per table (COPY on PostgreSQL), one dispatch of the outbox after commit. Only ids and
timestamps differ from the one-by-one path (and numbers, which follow the order the complaints are created
in, as they do there).

It is done in two steps, so that the import can build one batch while the database stores the one before:
:func:`complaints_build` (no writes, no locks: the Python-heavy part, down to the rows' ``COPY`` text on
PostgreSQL) and :func:`complaints_save` (numbers and inserts, in the caller's transaction, which holds the
number sequence's lock from the numbers to its commit: as little work as possible is left inside it).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from closeloop.accounts.models import User
from closeloop.complaints.config import assignment_rule_pick, assignment_rules_active
from closeloop.complaints.creation import ComplaintData, complaint_fields, complaint_search_parts
from closeloop.complaints.events import AUDITED_FIELDS
from closeloop.complaints.models import Complaint, ComplaintEvent, PriorityWeights
from closeloop.complaints.numbering import number_format, sequence_take
from closeloop.complaints.search import Tokenizer, document_join, tokenize
from closeloop.core import clock
from closeloop.core.bulk_insert import RowsPrepared, instances_make, rows_insert, rows_prepare
from closeloop.notifications.batch import ComplaintNotice, complaint_notifications_send
from closeloop.notifications.imports import DigestBatch, ImportDigest, import_digest_add


@dataclass
class ComplaintsBuilt:
    """Complaints built by :func:`complaints_build`, to be saved by :func:`complaints_save`: everything
    that needs neither a number nor a lock, in item order."""

    items: list[ComplaintData]
    actor: User | None
    complaints: list[Complaint]  # unsaved, without number and search text
    years: list[int]  # each complaint's receipt year, in the time zone active when built
    tails: list[_Tail]  # each complaint's search tokens but its number's, and their text
    # Each complaint's ``created`` event, without its time; on PostgreSQL without its changes and data
    # either, which are in ``event_rows`` already (see complaints_build).
    events: list[ComplaintEvent]
    # Their rows written as far as they can be before a number is taken (``core.bulk_insert``), so the
    # transaction that holds the numbers only adds them, the search text and the times.
    rows: RowsPrepared[Complaint]
    event_rows: RowsPrepared[ComplaintEvent]
    # An import's: whom they concern, routed before the transaction (``notifications.imports``).
    routed: DigestBatch | None = None


def complaints_build(
    *, items: Sequence[ComplaintData], actor: User | None, tokenizer: Tokenizer | None = None
) -> ComplaintsBuilt:
    """Build one complaint per item as ``complaint_create`` builds it — fields, assignment (the
    assignment rules read once), priority (the weights read once), the search tokens but the number's and
    the ``created`` event's content — in the active language and time zone, and their rows as far as
    they go without a number (``core.bulk_insert.rows_prepare``). Writes no row and takes no lock; on
    PostgreSQL it takes the complaints' and events' ids from their sequences (ids of a build never saved
    are skipped, as those of a rolled-back insert are).

    Preconditions: each item is resolved and valid (as ``intake.services.draft_resolve`` makes it) and its
    related objects are loaded — the customer with its salesperson, the product, an owner with their
    department, the category with its ancestors — or they are read one by one. A contact may still be
    unsaved: :func:`complaints_save` takes its id. ``tokenizer`` keeps jieba's cuts across calls.
    """
    tokenizer = tokenizer or Tokenizer()
    rules = assignment_rules_active()
    weights = PriorityWeights.current()

    def fields(data: ComplaintData) -> dict[str, Any]:
        rule = None
        if data.owner is None and data.department is None:
            rule = assignment_rule_pick(
                rules, category=data.category, product=data.product, customer=data.customer
            )
        return complaint_fields(data=data, actor=actor, rule=rule, weights=weights)

    complaints = instances_make(Complaint, map(fields, items))
    tz = timezone.get_current_timezone()
    # A contact may be saved only after this (the import's new ones), so its id is read when saving.
    rows = rows_prepare(complaints, late=("number", "search_text", "contact_id"))
    actor_saved = actor if getattr(actor, "pk", None) else None
    common = {"verb": "created", "actor": actor_saved, "created_at": None, "note": ""}
    events = instances_make(
        ComplaintEvent,
        (
            {"complaint": c, **common, **event}
            for c, event in zip(complaints, _created_events(complaints, items), strict=True)
        ),
    )
    event_rows = rows_prepare(events, late=("complaint_id", "created_at"))
    if event_rows.lines is not None:
        # Written into the rows' COPY text: the instances need not hold them while the batch waits to
        # be saved, and then is saved (a fifth of an import's objects in flight were these changes).
        for event in events:
            event.changes = event.data = None
    return ComplaintsBuilt(
        items=list(items),
        actor=actor,
        complaints=complaints,
        years=[timezone.localtime(c.received_at, tz).year for c in complaints],
        # jieba is the slow part of the search text; only the number is left for complaints_save.
        tails=_search_tails(complaints, tokenizer),
        events=events,
        rows=rows,
        event_rows=event_rows,
    )


def _created_events(complaints: Sequence[Complaint], items: Sequence[ComplaintData]) -> list[dict[str, Any]]:
    """``complaint_created_event(complaint=c, data=data)`` for each complaint and its item, at a fraction
    of the cost: each field's kind is looked up once, and each related object is made text once (the
    rows of a batch share their customers, products, categories and owners; ``str`` of a category
    reads the active language, which does not change during the call). As ``events.display_value``: a
    relation is its object's text, a bool, int, str or float itself, anything else its text."""
    relations = [isinstance(Complaint._meta.get_field(name), models.ForeignKey) for name in AUDITED_FIELDS]
    values_of = operator.attrgetter(*AUDITED_FIELDS)  # the fields' values as a tuple, in one call
    texts: dict[int, tuple[Any, str]] = {}  # id(object) -> (the object, kept alive so ids stay unique; text)
    out: list[dict[str, Any]] = []
    for c, data in zip(complaints, items, strict=True):
        changes: list[dict[str, Any]] = []
        for name, is_relation, value in zip(AUDITED_FIELDS, relations, values_of(c), strict=True):
            if value is None:
                continue
            if is_relation:
                known = texts.get(id(value))
                if known is None:
                    known = texts[id(value)] = (value, str(value))
                value = known[1]
            elif not isinstance(value, bool | int | str | float):
                value = str(value)
            if value != "":
                changes.append({"field": name, "old": None, "new": value})
        rule = c.assignment_rule
        out.append(
            {"changes": changes, "data": {"rule": rule.name if rule else None, **data.extra_event_data}}
        )
    return out


def _search_tails(complaints: Sequence[Complaint], tokenizer: Tokenizer) -> list[_Tail]:
    """``tokenizer.tokens(complaint_search_parts(c)[1:])`` for each complaint, with their text. The
    tokens of each part are remembered for the batch: customer and product names and codes, order
    numbers and stock titles repeat from row to row, and a part's tokens do not depend on the other
    parts (``tokens`` is the first-seen, distinct union of its parts' tokens)."""
    memo: dict[str, list[str]] = {}
    tails: list[_Tail] = []
    for c in complaints:
        seen: dict[str, None] = {}
        for part in complaint_search_parts(c)[1:]:
            text = part or ""
            tokens = memo.get(text)
            if tokens is None:
                tokens = memo[text] = tokenizer.tokenize(text)
            seen.update(dict.fromkeys(tokens))
        tokens = list(seen)
        tails.append(_Tail(tokens, f" {' '.join(tokens)} " if tokens else " "))
    return tails


@dataclass
class _Tail:
    """A complaint's search tokens but its number's (distinct, in order), and their stored text."""

    tokens: list[str]
    text: str  # " a b c ", or " " for none


def _search_text(number_tokens: list[str], tail: _Tail) -> str:
    """``document_join([*number_tokens, *tail.tokens])``, joined from the tail's text already made
    unless one of the number's tokens is also in the tail (then the first is kept, as there)."""
    if not number_tokens:
        return document_join(tail.tokens)
    if any(f" {token} " in tail.text for token in number_tokens):
        return document_join([*number_tokens, *tail.tokens])
    return " " + " ".join(number_tokens) + tail.text


def complaints_save(built: ComplaintsBuilt, *, digest: ImportDigest | None = None) -> list[Complaint]:
    """Number and save the built complaints, write their ``created`` events and their
    ``complaint_received`` notifications and outbox deliveries (one dispatch after commit); return them.
    With ``digest`` (an import's), the notifications are counted into it instead: one per person for
    the whole import (see ``notifications.imports``). Numbers follow item order within each receipt
    year. The items' contacts must be saved by now.

    Must run inside ``transaction.atomic``: all of it is written or none. Locks the number-sequence rows
    of the receipt years (ascending) until the caller commits, so creates elsewhere wait until then.
    Needs no active language or time zone (what depends on them was built).
    """
    complaints = built.complaints
    if not complaints:
        return []
    contact = Complaint._meta.get_field("contact")
    first: dict[int, int] = {}
    for year, count in sorted(Counter(built.years).items()):
        first[year] = sequence_take(scope="complaint", year=year, count=count)
    for c, year, tail in zip(complaints, built.years, built.tails, strict=True):
        if c.contact_id is None and contact.is_cached(c) and c.contact is not None:
            c.contact_id = c.contact.pk  # a contact saved after the complaint was built
        c.number = number_format(year, first[year])
        first[year] += 1
        c.search_text = _search_text(tokenize(c.number), tail)
    rows_insert(built.rows)
    now = clock.now()
    actor = built.actor
    for event, c in zip(built.events, complaints, strict=True):
        event.complaint_id = c.pk  # taken when the complaints were built (PostgreSQL) or just now
        event.created_at = now
    rows_insert(built.event_rows)
    if digest is not None:
        import_digest_add(digest, complaints=complaints, routed=built.routed)
        return complaints
    complaint_notifications_send(
        verb="complaint_received",
        notices=[
            ComplaintNotice(
                complaint=c,
                recipients={c.owner: "owner"} if c.owner is not None else {},
                data={"number": c.number, "title": c.title, "customer": c.customer.name},
            )
            for c in complaints
        ],
        actor=actor,
    )
    return complaints


def complaints_create_many(
    *, items: Sequence[ComplaintData], actor: User | None, tokenizer: Tokenizer | None = None
) -> list[Complaint]:
    """Create one complaint per item, in order, as ``complaint_create`` would one after another:
    :func:`complaints_build` then :func:`complaints_save` (their preconditions hold; contacts saved).
    Must run inside ``transaction.atomic``; locks as ``complaints_save``."""
    return complaints_save(complaints_build(items=items, actor=actor, tokenizer=tokenizer))
