"""Import digests: the people and robots an import's new complaints concern are told once per import,
not once per complaint.

A complaint entered alone tells whoever ``complaint_received`` routes it to (its owner, and the people
and robots of the matching notification rules). An import of thousands of rows would tell them
thousands of times: an owner with 2,000 emails, a group robot rate-limited after its first twenty
posts. Instead each person gets one ``complaints_imported`` notification for the import, counting the
complaints that would each have told them (and the serious ones among them), linked to the list of the
import's complaints; each robot gets one post counting those that would have posted to it.

The in-app notification is written with the first batch that concerns its recipient and kept up to date
in each later batch's transaction, so the inbox never says more than what was saved. The emails and
robot posts are written once, when the import ends (also when it stops half-way), so they give the
final counts. The routing, the people's email preferences and their muted events are those of
``complaint_received``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint, Severity
from closeloop.core import clock
from closeloop.core.bulk_insert import instances_make, objects_insert
from closeloop.notifications.batch import ComplaintNotice, complaint_notices_routed
from closeloop.notifications.models import (
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)
from closeloop.notifications.outbox import deliveries_build, deliveries_kick

DIGEST_VERB = "complaints_imported"
SOURCE_VERB = "complaint_received"


@dataclass
class _Told:
    """What one person or robot has been told of so far: complaints, and serious ones among them."""

    count: int = 0
    serious: int = 0


@dataclass
class ImportDigest:
    """The digest of one import job, carried from batch to batch by the importer (one batch at a time).

    ``people`` holds each recipient's saved notification and its counts; ``robots`` each robot's counts.
    Take a :meth:`checkpoint` before a batch's transaction and :meth:`restore` it if the transaction is
    rolled back: the digest then holds exactly what was committed."""

    job_id: int
    file: str
    actor: User | None
    people: dict[int, tuple[Notification, _Told]] = field(default_factory=dict)
    robots: dict[int, tuple[WebhookEndpoint, _Told]] = field(default_factory=dict)
    sent: bool = False

    def data(self, told: _Told) -> dict[str, Any]:
        return {"import_job": self.job_id, "file": self.file, "count": told.count, "serious": told.serious}

    def checkpoint(self) -> Any:
        return (
            {pk: (n, _Told(t.count, t.serious)) for pk, (n, t) in self.people.items()},
            {pk: (e, _Told(t.count, t.serious)) for pk, (e, t) in self.robots.items()},
        )

    def restore(self, saved: Any) -> None:
        self.people, self.robots = saved
        for notification, told in self.people.values():
            notification.data = self.data(told)

    def state(self) -> dict[str, Any]:
        """What the digest holds, as JSON: kept on the import job in each batch's transaction, so a run
        that resumes the import after its worker stopped goes on from what was committed
        (:meth:`from_state`)."""
        return {
            "people": {str(pk): [n.pk, t.count, t.serious] for pk, (n, t) in self.people.items()},
            "robots": {str(pk): [t.count, t.serious] for pk, (_e, t) in self.robots.items()},
            "sent": self.sent,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], *, job_id: int, file: str, actor: User | None) -> ImportDigest:
        """The digest :meth:`state` described. A notification or robot deleted since is left out: a
        later batch that concerns its person writes a new notification, counting from that batch."""
        people = state.get("people", {})
        robots = state.get("robots", {})
        notifications = Notification.objects.in_bulk([row[0] for row in people.values()])
        endpoints = WebhookEndpoint.objects.in_bulk([int(pk) for pk in robots])
        digest = cls(job_id=job_id, file=file, actor=actor, sent=bool(state.get("sent")))
        for pk, (notification_id, count, serious) in people.items():
            if notification_id in notifications:
                digest.people[int(pk)] = (notifications[notification_id], _Told(count, serious))
        for pk, (count, serious) in robots.items():
            if int(pk) in endpoints:
                digest.robots[int(pk)] = (endpoints[int(pk)], _Told(count, serious))
        return digest


@dataclass
class DigestBatch:
    """What a batch of new complaints adds to an import's digest (:func:`import_digest_route`): per
    person told, their user, first reason, rule and counts; per robot, its endpoint and counts."""

    actor: User | None
    people: dict[int, tuple[User, str, Any, _Told]] = field(default_factory=dict)
    robots: dict[int, tuple[WebhookEndpoint, _Told]] = field(default_factory=dict)


def _pk(user: User | None) -> int | None:
    return user.pk if user is not None else None


def import_digest_route(complaints: Sequence[Complaint], *, actor: User | None) -> DigestBatch:
    """Whom the ``complaint_received`` routing would tell about each of ``complaints`` (the import's
    new complaints, by ``actor``), counted together. Reads only (the rules, once), and reads nothing of
    a complaint that saving gives it (id, number), so it may run before they are saved: the import
    routes a batch while the batch before is written, outside the transaction that holds the numbers.
    The complaints' customer, owner, department and creator must be loaded."""
    routed = DigestBatch(actor=actor)
    notices = [
        ComplaintNotice(complaint=c, recipients={c.owner: "owner"} if c.owner is not None else {}, data={})
        for c in complaints
    ]
    for notice, chosen, webhooks in complaint_notices_routed(verb=SOURCE_VERB, notices=notices, actor=actor):
        serious = int(notice.complaint.severity == Severity.SERIOUS)
        for pk, (user, reason, rule) in chosen.items():
            told = routed.people.setdefault(pk, (user, reason, rule, _Told()))[3]
            told.count += 1
            told.serious += serious
        for endpoint in webhooks if chosen else ():
            robot = routed.robots.setdefault(endpoint.pk, (endpoint, _Told()))[1]
            robot.count += 1
            robot.serious += serious
    return routed


def import_digest_add(
    digest: ImportDigest, *, complaints: Sequence[Complaint], routed: DigestBatch | None = None
) -> None:
    """Count ``complaints``, just created by the import, into ``digest``: each person the
    ``complaint_received`` routing would tell about one of them gets their digest notification written
    (the first time) or its counts updated. ``routed`` is :func:`import_digest_route` of them, when it
    was done before (for the digest's actor); otherwise it is done here. Call inside the batch's
    transaction, after the complaints are saved (with their customer, owner, department and creator
    loaded); takes no lock. Writes no delivery: see :func:`import_digest_send`."""
    if not complaints:
        return
    if routed is None or _pk(routed.actor) != _pk(digest.actor):
        routed = import_digest_route(complaints, actor=digest.actor)
    for pk, (endpoint, told) in routed.robots.items():
        robot = digest.robots.setdefault(pk, (endpoint, _Told()))[1]
        robot.count += told.count
        robot.serious += told.serious
    now = clock.now()
    actor = digest.actor if digest.actor is not None and digest.actor.pk is not None else None
    new: list[Notification] = []
    changed: list[Notification] = []
    for pk, (user, reason, rule, batch) in routed.people.items():
        known = digest.people.get(pk)
        if known is None:
            total = _Told(batch.count, batch.serious)
            row = instances_make(
                Notification,
                [
                    {
                        "recipient": user,
                        "verb": DIGEST_VERB,
                        "reason": reason,
                        "complaint": None,
                        "investigation_id": None,
                        "actor": actor,
                        "data": digest.data(total),
                        "rule": rule,
                        "created_at": now,
                    }
                ],
            )[0]
            digest.people[pk] = (row, total)
            new.append(row)
        else:
            row, total = known
            total.count += batch.count
            total.serious += batch.serious
            row.data = digest.data(total)
            changed.append(row)
    if new:
        objects_insert(new)
    if changed:
        Notification.objects.bulk_update(changed, ["data"])


def import_digest_send(digest: ImportDigest) -> list[Delivery]:
    """Write the digest's outbox, once: an email to each person told who wants immediate email for
    ``complaint_received`` (and has an address), and one post to each robot, with the final counts.
    Call when the import ends, inside a transaction; the dispatch is queued after commit. A second call
    writes nothing."""
    if digest.sent:
        return []
    digest.sent = True
    now = clock.now()
    rows = [notification for notification, _told in digest.people.values()]
    deliveries: list[Delivery] = []
    if rows:
        prefs = {
            p.user_id: p
            for p in NotificationPreference.objects.filter(user_id__in=[n.recipient_id for n in rows])
        }
        deliveries += deliveries_build(rows, [], prefs, now)
    actor = digest.actor if digest.actor is not None and digest.actor.pk is not None else None
    deliveries += instances_make(
        Delivery,
        [
            {
                "channel": Channel.WEBHOOK,
                "event_id": uuid.uuid4(),
                "verb": DIGEST_VERB,
                "notification": None,
                "endpoint": endpoint,
                "payload": {
                    "verb": DIGEST_VERB,
                    "data": digest.data(told),
                    "complaint": None,
                    "investigation_id": None,
                    "actor": str(actor) if actor is not None else None,
                    "created_at": now,
                },
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint, told in digest.robots.values()
        ],
    )
    if deliveries:
        objects_insert(deliveries)
        transaction.on_commit(deliveries_kick)
    return deliveries
