from typing import Any

from django.db import migrations, models


TARGETS = [
    ("response", "First response (handling started)"),
    ("proposal", "Handling proposal (quality complaints)"),
    ("containment", "D3 containment"),
    ("root_cause", "D4 root cause"),
    ("corrective", "D5/D6 corrective action"),
    ("prevention", "D7 prevention"),
    ("closure", "Closure"),
]


def add_proposal_policy(apps: Any, schema_editor: Any) -> None:
    from closeloop.sla.defaults import category_policies_ensure

    category_policies_ensure(apps.get_model("sla", "DeadlinePolicy"), model_of=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0006_default_reminders_and_ladder"),
        ("complaints", "0002_defaults_and_append_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deadline",
            name="target",
            field=models.CharField(
                choices=TARGETS,
                max_length=20,
                verbose_name="target",
            ),
        ),
        migrations.AlterField(
            model_name="deadlinepolicy",
            name="target",
            field=models.CharField(
                choices=TARGETS,
                max_length=20,
                verbose_name="target",
            ),
        ),
        migrations.RunPython(add_proposal_policy, migrations.RunPython.noop),
    ]
