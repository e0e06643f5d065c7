"""100 concurrent creates on PostgreSQL give 100 distinct, gap-free numbers.

Twenty threads, each with its own connection, start together and create five complaints apiece:
enough contention on the NumberSequence row lock to expose a race, while staying well under the
server's connection limit (other suites may share the server).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_hundred_concurrent_creates_get_distinct_numbers(agent, customer):
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    numbers: list[str] = []
    lock = threading.Lock()

    def worker(start: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(start, start + 5):
                c = complaint_intake(
                    draft=ComplaintDraft(
                        channel="api", customer="C001", title=f"并发{i}", description="并发创建"
                    ),
                    actor=agent,
                )
                with lock:
                    numbers.append(c.number)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(t * 5,)) for t in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(numbers) == 100 and len(set(numbers)) == 100
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, 101))  # no gaps, no repeats
    assert Complaint.objects.count() == 100
    # each create wrote its own `created` event in the same transaction
    assert ComplaintEvent.objects.filter(verb="created").count() == 100
    assert set(Complaint.objects.values_list("title", flat=True)) == {f"并发{i}" for i in range(100)}
