"""The cockpit says how current its figures are: as of the worker's last run while it keeps up, a
warning naming that run once it falls behind (the figures then counted live, still right), a notice
before the first run, and nothing for a reader whose scope is always counted live. The KPI API
carries the same facts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.test import Client

from closeloop.accounts.models import User
from closeloop.accounts.services import api_token_create
from closeloop.core import clock
from closeloop.dashboards import freshness, rollup_reads, rollups
from closeloop.intake.drafts import ComplaintDraft
from closeloop.intake.services import complaint_intake

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, the company's zone


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.freeze(None)


def _receive(agent: User, at: dt.datetime, title: str = "漏油") -> None:
    draft = ComplaintDraft(
        channel="phone",
        customer="C001",
        title=title,
        description=title,
        category="quality-leakage",
        received_at=at,
    )
    complaint_intake(draft=draft, actor=agent)


@pytest.fixture
def received(frozen, agent, customer) -> None:
    for day in (2, 9, 20):
        _receive(agent, dt.datetime(2026, 6, day, 1, 0, tzinfo=dt.UTC))


def _page(client: Client, user: User, language: str = "en") -> str:
    """The cockpit as ``user`` reads it in ``language`` (the user's own setting picks the language)."""
    User.objects.filter(pk=user.pk).update(language=language)
    client.force_login(user)
    return client.get("/dashboard/?period=this_month").content.decode()


def _received_card(body: str) -> str:
    card = body[body.index('data-kpi="received"') :]
    m = re.search(r'<span class="cl-kpi-number" data-value>([^<]*)</span>', card)
    assert m, "the received card shows its number"
    return m.group(1)


def _api(client: Client, user: User) -> dict:
    _t, raw = api_token_create(user=user, name="t")
    return client.get(
        "/api/v1/dashboard/kpis?from=2026-06-01&to=2026-06-20", HTTP_AUTHORIZATION=f"Bearer {raw}"
    ).json()


def test_before_the_first_run_the_page_says_every_figure_is_counted_live(client, gm, received):
    body = _page(client, gm)
    assert 'id="cockpit-freshness" data-state="never"' in body
    assert "has not rolled them up yet" in body
    assert _received_card(body) == "3"
    assert _api(client, gm)["freshness"] == {"state": "never", "as_of": None}


def test_while_the_worker_keeps_up_the_figures_are_as_of_its_last_run(client, gm, received):
    rollups.rollups_refresh(now=NOW)
    body = _page(client, gm)
    assert 'data-state="current"' in body and "Figures as of 2026-06-20 10:00" in body
    assert "The worker is behind" not in body
    assert _received_card(body) == "3"
    assert "数据截至 2026-06-20 10:00" in _page(client, gm, "zh-hans")
    assert _api(client, gm)["freshness"] == {"state": "current", "as_of": "2026-06-20T02:00:00Z"}


def test_the_run_exactly_five_minutes_ago_is_still_current(gm, frozen):
    rollups.rollups_refresh(now=NOW)
    clock.freeze(NOW + dt.timedelta(minutes=5))
    with rollup_reads.one_reading():
        assert freshness.freshness_get(gm).state == freshness.CURRENT
    clock.freeze(NOW + dt.timedelta(minutes=5, microseconds=1))
    with rollup_reads.one_reading():
        assert freshness.freshness_get(gm) == freshness.Freshness(freshness.BEHIND, NOW)


def test_a_worker_that_stopped_is_named_and_the_figures_stay_right(client, gm, agent, received):
    rollups.rollups_refresh(now=NOW)
    later = NOW + dt.timedelta(minutes=40)
    clock.freeze(later)
    # A complaint arrives after the worker's last run: the page counts it live, so it is not lost.
    _receive(agent, later, "异响")
    body = _page(client, gm)
    assert 'id="cockpit-freshness" data-state="behind"' in body
    assert "The worker last brought these figures up to date at 2026-06-20 10:00." in body
    assert _received_card(body) == "4"
    zh = _page(client, gm, "zh-hans")
    assert "后台任务处理滞后" in zh and "2026-06-20 10:00" in zh
    assert _api(client, gm)["freshness"] == {"state": "behind", "as_of": "2026-06-20T02:00:00Z"}


def test_a_reader_counted_live_by_scope_sees_no_notice(client, sales, received):
    """A salesperson's scope is never rolled up (rollup_reads.usable_until): the worker's state does not
    change what they read, so the page says nothing about it."""
    rollups.rollups_refresh(now=NOW)
    clock.freeze(NOW + dt.timedelta(hours=2))
    body = _page(client, sales)
    assert "cockpit-freshness" not in body
    assert _api(client, sales)["freshness"] == {"state": "live", "as_of": None}
