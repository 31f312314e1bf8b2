"""The database cache's table, created by ``vrisac migrate``.

Without Redis the cache (login lock-outs, token failures, cached figures) lives in a table of
the database (``CACHES`` in config/settings/base.py). Django leaves that table to a command of
its own, ``createcachetable``; a platform set up with ``migrate`` alone then answered every
page with 500 (``no such table: vrisac_cache``). This migration creates the table of every
database cache the settings configure, with Django's own definition (idempotent: a table made
by ``createcachetable`` before is kept). A cache configured later (Redis taken away) still
needs ``vrisac createcachetable`` once, which ``make setup`` runs.
"""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations

DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"


def create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for cache in settings.CACHES.values():
        if cache.get("BACKEND") == DATABASE_CACHE and cache["LOCATION"] in existing:
            schema_editor.execute(
                f"DROP TABLE {schema_editor.quote_name(cache['LOCATION'])}")


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
