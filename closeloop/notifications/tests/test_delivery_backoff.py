"""backoff_delay: capped exponential backoff with equal jitter (pure)."""

import datetime as dt
import random

import pytest

from closeloop.notifications.delivery import backoff_delay


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, 3600), (9, 3600), (60, 3600)],
)
def test_each_wait_lies_between_half_and_all_of_the_capped_exponential_step(attempt, ceiling):
    rng = random.Random(attempt)
    for _ in range(200):
        wait = backoff_delay(attempt, rng=rng)
        assert dt.timedelta(seconds=ceiling / 2) <= wait <= dt.timedelta(seconds=ceiling)


def test_a_seeded_random_reproduces_the_same_waits():
    first = [backoff_delay(n, rng=random.Random(42)) for n in range(1, 10)]
    again = [backoff_delay(n, rng=random.Random(42)) for n in range(1, 10)]
    assert first == again


def test_jitter_spreads_rows_that_failed_together():
    rng = random.Random(3)
    waits = {backoff_delay(4, rng=rng) for _ in range(50)}
    assert len(waits) == 50


def test_base_and_cap_are_parameters():
    rng = random.Random(1)
    assert backoff_delay(1, rng=rng, base=2, cap=10) <= dt.timedelta(seconds=2)
    assert dt.timedelta(seconds=5) <= backoff_delay(30, rng=rng, base=2, cap=10) <= dt.timedelta(seconds=10)


def test_attempts_count_from_one():
    with pytest.raises(ValueError, match="from 1"):
        backoff_delay(0)
