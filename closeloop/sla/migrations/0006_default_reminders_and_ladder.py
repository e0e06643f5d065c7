"""The default reminders (50 % and 80 %) and escalation ladder (see ``closeloop.sla.defaults``); the
deadlines already running get their first check now, so the next scan plans the rest."""

from django.db import migrations
from django.db.models.functions import Now


def create(apps, schema_editor):
    from closeloop.sla.defaults import sla_defaults_ensure

    sla_defaults_ensure(apps)
    deadline = apps.get_model("sla", "Deadline")
    deadline.objects.filter(met_at__isnull=True, next_check_at__isnull=True).update(next_check_at=Now())


class Migration(migrations.Migration):
    dependencies = [("sla", "0005_clock_pauses_and_escalation")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
