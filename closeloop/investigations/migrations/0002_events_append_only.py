"""The database-level guard that keeps 8D events append-only (as for complaint events)."""

from django.db import migrations


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("""
            CREATE OR REPLACE FUNCTION closeloop_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'complaint events are append-only'; END; $$ LANGUAGE plpgsql;
        """)
        schema_editor.execute("""
            CREATE TRIGGER investigations_event_append_only BEFORE UPDATE OR DELETE
            ON investigations_investigationevent FOR EACH ROW EXECUTE FUNCTION closeloop_events_append_only();
        """)
    elif vendor == "sqlite":
        # UPDATE only: Django's test flush on SQLite uses DELETE, which must keep working there.
        schema_editor.execute("""
            CREATE TRIGGER investigations_event_append_only BEFORE UPDATE ON investigations_investigationevent
            BEGIN SELECT RAISE(ABORT, '8D events are append-only'); END;
        """)


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS investigations_event_append_only ON investigations_investigationevent"
        )
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS investigations_event_append_only")


class Migration(migrations.Migration):
    dependencies = [("investigations", "0001_initial"), ("complaints", "0002_defaults_and_append_only")]
    operations = [migrations.RunPython(create_guards, drop_guards)]
