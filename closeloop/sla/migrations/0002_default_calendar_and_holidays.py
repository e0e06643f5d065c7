"""The default working calendar and every year the chinese-calendar package knows (holidays and the
adjusted working days, 调休). Later years are loaded or entered in the admin."""

from django.db import migrations


def load(apps, schema_editor):
    from closeloop.sla.defaults import sla_defaults_ensure

    sla_defaults_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
