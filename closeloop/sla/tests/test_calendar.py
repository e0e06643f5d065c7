"""Working time on the Chinese working calendar, with frozen time: holidays, 调休, provisional years,
and a paused clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.sla import selectors, services
from closeloop.sla.calendar import Schedule, add_working_days, add_working_time, working_time_between
from closeloop.sla.models import CalendarDay, CalendarYear

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def test_the_first_migration_loaded_the_library_years_with_their_adjusted_working_days():
    assert (
        CalendarYear.objects.filter(year=2026).exists()
        and not CalendarYear.objects.filter(year=2027).exists()
    )
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).kind == "workday"  # a Saturday, 调休
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 1)).kind == "holiday"


def test_five_working_days_from_national_day_eve_fall_on_13_october():
    schedule = selectors.schedule_get()
    due = add_working_days(schedule, at(2026, 9, 30, 15, 0), 5)
    # 10-01..07 off; 10-08, 10-09, Saturday 10-10 (adjusted working day), 10-12, 10-13
    assert due.at.astimezone(SH) == at(2026, 10, 13, 15, 0)
    assert due.provisional is False


def test_a_start_outside_working_hours_counts_from_the_next_working_moment():
    schedule = selectors.schedule_get()
    assert add_working_days(schedule, at(2026, 9, 30, 20, 0), 1).at.astimezone(SH) == at(2026, 10, 8, 17, 30)
    assert add_working_time(schedule, at(2026, 10, 8, 12, 15), dt.timedelta(hours=1)).at.astimezone(SH) == at(
        2026, 10, 8, 14, 0
    )  # the lunch hour does not count
    assert add_working_time(schedule, at(2026, 10, 11, 9, 0), dt.timedelta(hours=2)).at.astimezone(SH) == at(
        2026, 10, 12, 10, 30
    )  # a Sunday


def test_a_deadline_in_a_year_without_data_is_provisional_until_that_year_is_loaded():
    start = at(2026, 12, 28, 10, 0)
    before = add_working_days(selectors.schedule_get(), start, 5)
    assert before.provisional is True
    assert before.at.astimezone(SH) == at(2027, 1, 4, 10, 0)  # weekdays only: 1 January counted
    clock.freeze(at(2026, 12, 1, 9, 0))
    try:
        assert selectors.calendar_years_missing() == [2027]  # the administrators are told to load it
    finally:
        clock.freeze(None)
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_year_load(year=2027)  # the package has no 2027 schedule yet
    assert "2027" in str(exc.value.fields["year"][0])
    with pytest.raises(ValidationFailed):
        services.calendar_year_complete(year=2027)  # no holidays entered yet
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind="holiday", name="元旦", source="admin")
    services.calendar_year_complete(year=2027)
    after = add_working_days(selectors.schedule_get(), start, 5)
    assert after.provisional is False
    assert after.at.astimezone(SH) == at(2027, 1, 5, 10, 0)


def test_pausing_for_the_customer_moves_the_deadline_by_the_paused_working_time():
    schedule = selectors.schedule_get()
    due = add_working_days(schedule, at(2026, 10, 8, 9, 0), 5).at
    paused = working_time_between(schedule, at(2026, 10, 9, 10, 0), at(2026, 10, 12, 10, 0))
    # Friday 10:00-17:30 less lunch (6.5 h), the adjusted-working Saturday (8 h), Monday 08:30-10:00 (1.5 h)
    assert paused == dt.timedelta(hours=16)
    moved = add_working_time(schedule, due, paused).at
    assert working_time_between(schedule, due, moved) == paused
    assert due.astimezone(SH) == at(2026, 10, 14, 9, 0)
    assert moved.astimezone(SH) == at(2026, 10, 16, 9, 0)  # 16 working hours later


def test_the_schedule_is_pure_and_refuses_naive_times():
    s = Schedule(tz=SH, special_days={dt.date(2030, 1, 1): False}, known_years=frozenset({2030}))
    assert s.is_working_day(dt.date(2030, 1, 1)) == (False, True)
    assert s.is_working_day(dt.date(2031, 1, 1)) == (True, False)
    assert s.day_length == dt.timedelta(hours=8)
    with pytest.raises(ValueError):
        add_working_time(s, dt.datetime(2030, 1, 2, 9, 0), dt.timedelta(hours=1))


def test_loading_a_year_keeps_days_entered_by_hand():
    CalendarYear.objects.filter(year=2025).delete()
    CalendarDay.objects.filter(date=dt.date(2025, 10, 1)).update(name="国庆（手工）", source="admin")
    CalendarDay.objects.filter(date=dt.date(2025, 10, 2)).delete()
    added = services.calendar_year_load(year=2025)
    assert added == 1
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 1)).source == "admin"
    assert CalendarYear.objects.filter(year=2025).exists()


def test_the_admin_warns_when_next_years_schedule_is_missing(client, db):
    from closeloop.accounts.models import User

    clock.freeze(at(2026, 11, 23, 9, 0))
    try:
        admin = User.objects.create_superuser("root", "root@example.com", "pass12345!")
        client.force_login(admin)
        page = client.get("/admin/sla/calendaryear/").content.decode()
        assert "2027" in page and ("provisional" in page or "暂定" in page)
    finally:
        clock.freeze(None)


def test_the_load_command_loads_a_known_year_and_refuses_an_unknown_one():
    from io import StringIO

    from django.core.management import CommandError, call_command

    CalendarYear.objects.filter(year=2024).delete()
    out = StringIO()
    call_command("calendar_load", "2024", stdout=out)
    assert "2024: 0 days added" in out.getvalue() and CalendarYear.objects.filter(year=2024).exists()
    with pytest.raises(CommandError, match="2027"):
        call_command("calendar_load", "2027")


def test_policies_are_edited_and_deadlines_read_in_the_admin(client):
    from closeloop.accounts.models import User

    client.force_login(User.objects.create_superuser("root2", "r@example.com", "pass12345!"))
    page = client.get("/admin/sla/deadlinepolicy/").content.decode()
    assert page.count('class="field-target"') >= 8
    assert client.get("/admin/sla/deadline/").status_code == 200
    assert client.get("/admin/sla/deadline/add/").status_code == 403
