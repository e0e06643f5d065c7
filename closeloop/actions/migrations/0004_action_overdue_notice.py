from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_comments_evidence"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="overdue_notified_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="overdue notice sent"
            ),
        ),
    ]
