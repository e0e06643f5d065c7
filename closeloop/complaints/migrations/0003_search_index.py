"""GIN index for Chinese-aware search on PostgreSQL (search_text holds jieba tokens).

SQLite has no equivalent here; it matches the space-delimited tokens directly.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS cmp_search_tsv ON complaints_complaint "
            "USING gin (to_tsvector('simple', search_text))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cmp_search_tsv")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_defaults_and_append_only")]
    operations = [migrations.RunPython(create, drop)]
