"""Default category tree and the database-level guard that keeps audit events append-only."""

from django.db import migrations

CATEGORIES = [
    ("quality", "质量", "Quality", [
        ("quality-appearance", "外观不良", "Appearance defect"),
        ("quality-dimension", "尺寸超差", "Dimension out of tolerance"),
        ("quality-function", "功能/性能失效", "Function / performance failure"),
        ("quality-material", "材料问题", "Material problem"),
        ("quality-corrosion", "锈蚀", "Rust / corrosion"),
        ("quality-leakage", "泄漏", "Leakage"),
    ]),
    ("delivery", "交付", "Delivery", [
        ("delivery-late", "延期交货", "Late delivery"),
        ("delivery-quantity", "数量不符", "Wrong quantity"),
        ("delivery-wrong-item", "错发货", "Wrong item shipped"),
    ]),
    ("logistics", "物流运输", "Logistics / transport", [
        ("logistics-damage", "运输破损", "Damaged in transit"),
        ("logistics-packaging", "包装不良", "Packaging problem"),
    ]),
    ("service", "服务态度", "Service attitude", [
        ("service-response", "响应慢", "Slow response"),
        ("service-attitude", "态度问题", "Staff attitude"),
    ]),
    ("price", "价格", "Price", [
        ("price-error", "价格错误", "Pricing error"),
        ("price-invoice", "发票问题", "Invoice problem"),
    ]),
    ("documentation", "资料", "Documentation", [
        ("documentation-certificate", "质检报告/合格证", "Certificate / inspection report"),
        ("documentation-manual", "说明书", "Manual"),
        ("documentation-label", "标识标签", "Labels and marking"),
    ]),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    for i, (code, name, name_en, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": i * 10})
        for j, (ccode, cname, cname_en) in enumerate(children):
            Category.objects.get_or_create(code=ccode, defaults={
                "name": cname, "name_en": cname_en, "parent": parent, "sort_order": j})


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
