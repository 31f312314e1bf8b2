"""Keep ``IndicatorValue.occurrences`` in step inside the database: one trigger adds the
indicators a statement inserted, one takes off those it deleted. On PostgreSQL they run once
per statement over its transition table, on SQLite once per row in the engine itself, so a
bulk insert pays no round trip for its counts. (``id = ANY(ARRAY(...))`` keeps the update on
the primary key index whatever the planner believes about the table's size.)"""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER intel_indicator_added AFTER INSERT ON intel_indicator BEGIN "
    "UPDATE intel_indicatorvalue SET occurrences = occurrences + 1 WHERE id = NEW.value_id; "
    "END",
    "CREATE TRIGGER intel_indicator_removed AFTER DELETE ON intel_indicator BEGIN "
    "UPDATE intel_indicatorvalue SET occurrences = occurrences - 1 WHERE id = OLD.value_id; "
    "END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS intel_indicator_added",
               "DROP TRIGGER IF EXISTS intel_indicator_removed"]

POSTGRES = [
    # Room on each page so that a count update stays on its page (a HOT update) and does
    # not add entries to every index of the table.
    "ALTER TABLE intel_indicatorvalue SET (fillfactor = 70)",
    """CREATE FUNCTION intel_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS (SELECT value_id, count(*) AS n FROM intel_new_rows GROUP BY value_id)
  UPDATE intel_indicatorvalue AS v SET occurrences = v.occurrences + c.n
  FROM c WHERE v.id = c.value_id AND v.id = ANY(ARRAY(SELECT value_id FROM c));
  RETURN NULL;
END $$""",
    """CREATE FUNCTION intel_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS (SELECT value_id, count(*) AS n FROM intel_old_rows GROUP BY value_id)
  UPDATE intel_indicatorvalue AS v SET occurrences = v.occurrences - c.n
  FROM c WHERE v.id = c.value_id AND v.id = ANY(ARRAY(SELECT value_id FROM c));
  RETURN NULL;
END $$""",
    "CREATE TRIGGER intel_indicator_added AFTER INSERT ON intel_indicator "
    "REFERENCING NEW TABLE AS intel_new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION intel_count_added()",
    "CREATE TRIGGER intel_indicator_removed AFTER DELETE ON intel_indicator "
    "REFERENCING OLD TABLE AS intel_old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION intel_count_removed()",
]
POSTGRES_DROP = [
    "ALTER TABLE intel_indicatorvalue RESET (fillfactor)",
    "DROP TRIGGER IF EXISTS intel_indicator_added ON intel_indicator",
    "DROP TRIGGER IF EXISTS intel_indicator_removed ON intel_indicator",
    "DROP FUNCTION IF EXISTS intel_count_added()",
    "DROP FUNCTION IF EXISTS intel_count_removed()",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = (POSTGRES_DROP if schema_editor.connection.vendor == "postgresql"
                  else SQLITE_DROP)
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("intel", "0002_search_and_warninglists")]

    operations = [migrations.RunPython(forwards, backwards)]
