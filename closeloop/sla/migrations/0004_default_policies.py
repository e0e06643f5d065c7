"""The default deadline policies (see ``closeloop.sla.defaults.POLICIES``)."""

from django.db import migrations


def create(apps, schema_editor):
    from closeloop.sla.defaults import sla_defaults_ensure

    sla_defaults_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_deadlines")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
