"""Default category tree and the database-level guard that keeps audit events append-only."""

from django.db import migrations

def create_categories(apps, schema_editor):
    from closeloop.complaints.defaults import categories_ensure_defaults

    categories_ensure_defaults(apps.get_model("complaints", "Category"))


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("""
            CREATE OR REPLACE FUNCTION closeloop_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'complaint events are append-only'; END; $$ LANGUAGE plpgsql;
        """)
        schema_editor.execute("""
            CREATE TRIGGER complaints_event_append_only BEFORE UPDATE OR DELETE
            ON complaints_complaintevent FOR EACH ROW EXECUTE FUNCTION closeloop_events_append_only();
        """)
    elif vendor == "sqlite":
        # UPDATE only: Django's test flush on SQLite uses DELETE, which must keep working there.
        schema_editor.execute("""
            CREATE TRIGGER complaints_event_append_only BEFORE UPDATE ON complaints_complaintevent
            BEGIN SELECT RAISE(ABORT, 'complaint events are append-only'); END;
        """)


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS complaints_event_append_only ON complaints_complaintevent")
        schema_editor.execute("DROP FUNCTION IF EXISTS closeloop_events_append_only()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS complaints_event_append_only")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [
        migrations.RunPython(create_categories, migrations.RunPython.noop),
        migrations.RunPython(create_guards, drop_guards),
    ]
