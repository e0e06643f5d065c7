"""``manage.py rollups_rebuild``: master-data edits carry no complaint event, so the worker's refresh does
not see them; the command brings the sliced rollups back to the live answer."""

import datetime as dt
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from closeloop.core import clock
from closeloop.customers.models import Product
from closeloop.dashboards import rollups, selectors
from closeloop.dashboards.kpi import DashFilters
from closeloop.dashboards.tests.test_rollup_equals_live import NOW, _generate, counted_live

pytestmark = pytest.mark.django_db

PERIOD = DashFilters(date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 6, 10), product_family="fam-a")


def _figures(user) -> tuple:
    return (
        selectors.kpis_get(user=user, f=PERIOD),
        selectors.pareto_get(user=user, f=PERIOD, dimension="product"),
    )


def _live(user) -> tuple:
    return counted_live(lambda: _figures(user))


def test_a_rebuild_picks_up_a_product_moved_to_another_family(gm):
    clock.freeze(NOW)
    try:
        _generate(random.Random(7), gm)
        rollups.rollups_rebuild(now=NOW)
        # The product joins fam-a: its complaints now count there, live at once, in the rollups not yet.
        Product.objects.filter(code="RP2").update(family="fam-a")
        stale, live_now = _figures(gm), _live(gm)
        assert live_now[0]["received"].value > stale[0]["received"].value
        out = StringIO()
        call_command("rollups_rebuild", stdout=out)
        assert "rolled up 134 days" in out.getvalue()  # from the first receipt (1 February) to yesterday
        assert _figures(gm) == live_now
        # From a day on: only the days from it are recomputed (a repair after a known date).
        out = StringIO()
        call_command("rollups_rebuild", "--since", "2026-06-01", stdout=out)
        assert "rolled up 14 days" in out.getvalue()
        assert _figures(gm) == live_now
    finally:
        clock.freeze(None)


def test_a_bad_since_is_refused_naming_the_option():
    with pytest.raises(CommandError, match="--since"):
        call_command("rollups_rebuild", "--since", "2026-13-01", stdout=StringIO())
