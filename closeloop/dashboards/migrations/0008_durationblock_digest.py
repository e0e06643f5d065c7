# The field is generated; the backfill is written by hand.

from django.db import migrations, models

from closeloop.dashboards.durations import digest_of

# Rows per read and write: a block's histogram is up to ~120 KB of JSON.
CHUNK = 500


def digests_fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Give every stored block its digest, so the cockpit can hold it decoded from the first read."""
    DurationBlock = apps.get_model("dashboards", "DurationBlock")
    last = 0
    while chunk := list(
        DurationBlock.objects.filter(pk__gt=last, digest="").order_by("pk").only("pk", "hist")[:CHUNK]
    ):
        for block in chunk:
            block.digest = digest_of(block.hist)
        DurationBlock.objects.bulk_update(chunk, ["digest"])
        last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0007_watermark_settled"),
    ]

    operations = [
        migrations.AddField(
            model_name="durationblock",
            name="digest",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(digests_fill, migrations.RunPython.noop),
    ]
