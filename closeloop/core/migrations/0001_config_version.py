import uuid

from django.db import migrations, models

# The scopes cached today (closeloop.complaints.config, closeloop.notifications.routing). A scope with
# no row is read from its tables every time until its first change stores a token, so a scope added
# later should get its row from a migration too.
SCOPES = ["complaints.assignment_rules", "complaints.priority_weights", "notifications.rules"]


def tokens_create(apps, schema_editor):
    ConfigVersion = apps.get_model("core", "ConfigVersion")
    ConfigVersion.objects.bulk_create([ConfigVersion(scope=s, token=uuid.uuid4().hex) for s in SCOPES])


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="ConfigVersion",
            fields=[
                ("scope", models.CharField(max_length=60, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(tokens_create, migrations.RunPython.noop),
    ]
