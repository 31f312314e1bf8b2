"""The report full-text index (FTS5 on SQLite, tsvector on PostgreSQL), filled for the
reports that exist, and a row per shipped warninglist."""

from django.db import migrations


def create_index(apps, schema_editor):
    from vrisac.intel import search_index

    search_index.create_table(schema_editor)
    Report = apps.get_model("reports", "Report")
    with schema_editor.connection.cursor() as cursor:
        for report in Report.objects.using(schema_editor.connection.alias).iterator():
            search_index.update_report(report, cursor)


def drop_index(apps, schema_editor):
    from vrisac.intel import search_index

    search_index.drop_table(schema_editor)


def shipped_lists(apps, schema_editor):
    from vrisac.intel.warninglists import shipped_lists as lists

    Warninglist = apps.get_model("intel", "Warninglist")
    for key, data in lists().items():
        Warninglist.objects.get_or_create(
            key=key, defaults={"name": data.name, "description": data.description,
                               "source": data.source, "kind": data.kind, "shipped": True})


class Migration(migrations.Migration):
    dependencies = [
        ("intel", "0001_initial"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(shipped_lists, migrations.RunPython.noop),
    ]
