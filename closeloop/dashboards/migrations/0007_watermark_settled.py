# Written by hand: the watermark's meaning changes (see dashboards.rollups._settled_before).

import datetime as dt

from django.db import migrations


def watermark_settled(apps, schema_editor):  # type: ignore[no-untyped-def]
    """The watermark was the start of the last refresh, and the next one looked five minutes before it;
    it is now the instant before which every change was seen, so the stored one moves back those five
    minutes and the first refresh after the upgrade misses nothing."""
    RollupState = apps.get_model("dashboards", "RollupState")
    for state in RollupState.objects.exclude(watermark=None):
        state.watermark -= dt.timedelta(minutes=5)
        state.save(update_fields=["watermark"])


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0006_footprint_repeat_key"),
    ]

    operations = [
        migrations.RunPython(watermark_settled, migrations.RunPython.noop),
    ]
