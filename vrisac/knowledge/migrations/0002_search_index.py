"""The full-text index of the knowledge base and the ISAC products, with the triggers that
keep it in step (SQLite FTS5, or PostgreSQL tsvector + GIN). See vrisac/knowledge/search.py.
"""

from django.db import migrations


def install(apps, schema_editor):
    from vrisac.knowledge import search

    search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from vrisac.knowledge import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("reports", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
