"""Keep ``IndicatorValue.occurrences`` in step inside the database.

SQLite: one trigger adds each inserted indicator, one takes off each deleted one, in the
engine itself, so a bulk insert pays no round trip for its counts. PostgreSQL: the bulk
writer counts the indicators it inserts in the same statement (``intel.store``), setting new
values' counts as they are created; a trigger per statement takes off deleted indicators
(``id = ANY(ARRAY(...))`` keeps that update on the primary key index whatever the planner
believes about the table's size)."""

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
    """CREATE FUNCTION intel_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS (SELECT value_id, count(*) AS n FROM intel_old_rows GROUP BY value_id)
  UPDATE intel_indicatorvalue AS v SET occurrences = v.occurrences - c.n
  FROM c WHERE v.id = c.value_id AND v.id = ANY(ARRAY(SELECT value_id FROM c));
  RETURN NULL;
END $$""",
    "CREATE TRIGGER intel_indicator_removed AFTER DELETE ON intel_indicator "
    "REFERENCING OLD TABLE AS intel_old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION intel_count_removed()",
]
POSTGRES_DROP = [
    "ALTER TABLE intel_indicatorvalue RESET (fillfactor)",
    "DROP TRIGGER IF EXISTS intel_indicator_removed ON intel_indicator",
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
