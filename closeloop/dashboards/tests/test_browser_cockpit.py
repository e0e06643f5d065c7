"""In a real browser: the cockpit draws its charts without console errors, a click on a Pareto bar
opens the list of exactly that bar's complaints, and switching to English relabels the charts — on
known data, and on the demo data ``make run`` loads."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.dashboards.tests.test_views import data, now  # noqa: F401 - fixtures
from closeloop.testing.plugin import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHART = "window.cockpitCharts && window.cockpitCharts['pareto-category']"


def _categories(page: Any) -> list[str]:
    return page.evaluate(f"{CHART}.getOption().xAxis[0].data")


def _errors_kept(page: Any) -> list[str]:
    """The page's console errors and uncaught exceptions, collected from now on."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _cockpit(page: Any, period: str) -> None:
    """Open the cockpit for ``period`` and wait until its charts exist; each on screen is drawn on a
    canvas."""
    page.goto(f"/dashboard/?period={period}")
    page.wait_for_function(f"!!({CHART})")
    for chart_id in ("pareto-category", "trend", "ageing"):
        assert page.locator(f"#chart-{chart_id} canvas").count() >= 1


def _first_bar_clicked(page: Any) -> int:
    """Click the category Pareto's first (tallest) bar, wait for the list it opens; its value."""
    value = page.evaluate(f"{CHART}.getOption().series[0].data[0].value")
    x, y = page.evaluate(f"{CHART}.convertToPixel({{seriesIndex: 0}}, [0, {value} / 2])")
    page.locator("#chart-pareto-category").scroll_into_view_if_needed()
    box = page.locator("#chart-pareto-category").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**/complaints/?**")
    return value


def _english(page: Any, period: str, first: str) -> str:
    """Back on the cockpit, switch the language; the server relabels the charts. The first bar's new
    label."""
    page.goto(f"/dashboard/?period={period}")
    page.wait_for_function(f"!!({CHART})")
    page.select_option("#language-select", "en")
    page.wait_for_load_state("load")
    page.wait_for_function(f"!!({CHART}) && {CHART}.getOption().xAxis[0].data[0] !== {first!r}")
    return _categories(page)[0]


def test_cockpit_charts_drill_down_and_relabel(page, gm, data):  # noqa: F811 - fixture
    errors = _errors_kept(page)
    login(page, "gm")
    _cockpit(page, "this_month")
    assert errors == []

    labels = _categories(page)
    assert labels[0] == "质量"
    # The table view holds the same numbers.
    page.locator("[data-table-toggle='pareto-category']").click()
    table = page.locator("#table-pareto-category")
    assert table.is_visible()
    assert table.locator("tbody tr").first.locator("th").inner_text() == "质量"
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == "4"
    page.locator("[data-table-toggle='pareto-category']").click()

    # The first bar (4 quality complaints): the list behind it shows exactly 4.
    value = _first_bar_clicked(page)
    assert value == 4
    assert page.locator("#result-count").get_attribute("data-count") == str(value)
    assert page.locator("#active-filters [data-filter='category']").count() == 1

    assert _english(page, "this_month", "质量") == "Quality"
    assert errors == []


def test_the_demo_cockpit_draws_its_charts_and_a_bar_opens_exactly_its_complaints(page):
    """The cockpit as ``make run`` shows it: the demo's complaints of the last twelve months, rolled up
    as the worker's first refresh does, seen by the demo's general manager."""
    from closeloop.core.demo import demo_load
    from closeloop.core.demo_data import DEMO_PASSWORD
    from closeloop.dashboards.rollups import rollups_rebuild_exclusive

    assert demo_load() == 150
    rollups_rebuild_exclusive()
    errors = _errors_kept(page)
    login(page, "gm", DEMO_PASSWORD)
    # The last 90 days: a period the demo fills whatever the date (it spreads over twelve months).
    _cockpit(page, "last_90")
    assert errors == []

    # The tallest bar: its value is a count of the demo's complaints, and its drill-down lists them.
    first = _categories(page)[0]
    value = _first_bar_clicked(page)
    assert value > 1
    assert page.locator("#result-count").get_attribute("data-count") == str(value)

    relabelled = _english(page, "last_90", first)
    assert relabelled.isascii() and relabelled, relabelled
    assert errors == []
