"""The default working calendar, and every year the chinese-calendar package knows (holidays and the
adjusted working days, 调休). Later years are loaded or entered in the admin."""

import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    import chinese_calendar

    WorkCalendar = apps.get_model("sla", "WorkCalendar")
    CalendarDay = apps.get_model("sla", "CalendarDay")
    CalendarYear = apps.get_model("sla", "CalendarYear")
    if not WorkCalendar.objects.filter(is_default=True).exists():
        WorkCalendar.objects.create(code="default", name="默认工作日历", is_default=True)
    rows = {}
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for date, name in table.items():
            rows[date] = CalendarDay(
                date=date, kind=kind, name=str(getattr(name, "value", name) or "")[:60], source="chinese-calendar"
            )
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarDay.objects.bulk_create([r for d, r in rows.items() if d not in existing])
    now = dt.datetime.now(dt.UTC)
    for year in sorted({d.year for d in rows}):
        CalendarYear.objects.get_or_create(year=year, defaults={"source": "chinese-calendar", "loaded_at": now})


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
