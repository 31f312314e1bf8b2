"""Full-text search over the knowledge base and the ISAC's own products.

One index holds the knowledge items and the reports that can be ISAC products (advice,
warnings, threat pictures). It is SQLite's FTS5 on the embedded default and a ``tsvector``
column with a GIN index (Dutch stemming) on PostgreSQL. Database triggers keep it in step
with every write, whichever app makes it, so the reports app needs to know nothing of it;
``vrisac run_job knowledge.reindex`` rebuilds it from scratch.

The index only finds candidates: who may see what is decided afterwards by the sharing
policy (``visible_to``), so a hit never shows, or counts, anything its reader may not see.
An index row's id says what it is: ``2 * pk`` for a knowledge item, ``2 * pk + 1`` for a
report.
"""

# ruff: noqa: S608  (every statement here is built from this module's constants; the
#                    searcher's words are always passed as a query parameter)
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

#: The kinds of report that can be an ISAC product (and so are in the index).
PRODUCT_KINDS = ("advice", "warning", "threat")
#: Candidates read from the index per search, best first.
MAX_CANDIDATES = 2000
_MAX_TERMS = 12
_WORD = re.compile(r"\w+", re.UNICODE)

_KINDS_SQL = ", ".join(f"'{k}'" for k in PRODUCT_KINDS)

# ---------------------------------------------------------------------------- SQLite (FTS5)

_SQLITE_ITEM_TAGS = (
    "COALESCE((SELECT group_concat(t.name, ' ') FROM reports_tag t "
    "JOIN knowledge_knowledgeitem_tags it ON it.tag_id = t.id "
    "WHERE it.knowledgeitem_id = {ref}), '')"
)
_SQLITE_REPORT_TAGS = (
    "COALESCE((SELECT group_concat(t.name, ' ') FROM reports_tag t "
    "JOIN reports_report_tags rt ON rt.tag_id = t.id WHERE rt.report_id = {ref}), '')"
)
_SQLITE_ITEM_ROW = (
    "DELETE FROM knowledge_search WHERE rowid = {row}.id * 2; "
    "INSERT INTO knowledge_search(rowid, title, body, tags) VALUES ({row}.id * 2, {row}.title, "
    "{row}.description || ' ' || {row}.filename || ' ' || {row}.url, "
    + _SQLITE_ITEM_TAGS.format(ref="{row}.id") + ");"
)
_SQLITE_REPORT_ROW = (
    "DELETE FROM knowledge_search WHERE rowid = {row}.id * 2 + 1; "
    "INSERT INTO knowledge_search(rowid, title, body, tags) SELECT {row}.id * 2 + 1, "
    "{row}.title, {row}.summary || ' ' || {row}.body, "
    + _SQLITE_REPORT_TAGS.format(ref="{row}.id")
    + " WHERE {row}.kind IN (" + _KINDS_SQL + ");"
)

SQLITE_INSTALL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_search USING fts5("
    "title, body, tags, tokenize = 'unicode61 remove_diacritics 2')",
    # knowledge items
    "DROP TRIGGER IF EXISTS knowledge_search_item_ai",
    "CREATE TRIGGER knowledge_search_item_ai AFTER INSERT ON knowledge_knowledgeitem BEGIN "
    + _SQLITE_ITEM_ROW.format(row="NEW") + " END",
    "DROP TRIGGER IF EXISTS knowledge_search_item_au",
    "CREATE TRIGGER knowledge_search_item_au AFTER UPDATE OF title, description, filename, url "
    "ON knowledge_knowledgeitem BEGIN " + _SQLITE_ITEM_ROW.format(row="NEW") + " END",
    "DROP TRIGGER IF EXISTS knowledge_search_item_ad",
    "CREATE TRIGGER knowledge_search_item_ad AFTER DELETE ON knowledge_knowledgeitem BEGIN "
    "DELETE FROM knowledge_search WHERE rowid = OLD.id * 2; END",
    "DROP TRIGGER IF EXISTS knowledge_search_item_tag_ai",
    "CREATE TRIGGER knowledge_search_item_tag_ai AFTER INSERT ON knowledge_knowledgeitem_tags "
    "BEGIN UPDATE knowledge_search SET tags = "
    + _SQLITE_ITEM_TAGS.format(ref="NEW.knowledgeitem_id")
    + " WHERE rowid = NEW.knowledgeitem_id * 2; END",
    "DROP TRIGGER IF EXISTS knowledge_search_item_tag_ad",
    "CREATE TRIGGER knowledge_search_item_tag_ad AFTER DELETE ON knowledge_knowledgeitem_tags "
    "BEGIN UPDATE knowledge_search SET tags = "
    + _SQLITE_ITEM_TAGS.format(ref="OLD.knowledgeitem_id")
    + " WHERE rowid = OLD.knowledgeitem_id * 2; END",
    # reports
    "DROP TRIGGER IF EXISTS knowledge_search_report_ai",
    "CREATE TRIGGER knowledge_search_report_ai AFTER INSERT ON reports_report BEGIN "
    + _SQLITE_REPORT_ROW.format(row="NEW") + " END",
    "DROP TRIGGER IF EXISTS knowledge_search_report_au",
    "CREATE TRIGGER knowledge_search_report_au AFTER UPDATE OF kind, title, summary, body "
    "ON reports_report BEGIN " + _SQLITE_REPORT_ROW.format(row="NEW") + " END",
    "DROP TRIGGER IF EXISTS knowledge_search_report_ad",
    "CREATE TRIGGER knowledge_search_report_ad AFTER DELETE ON reports_report BEGIN "
    "DELETE FROM knowledge_search WHERE rowid = OLD.id * 2 + 1; END",
    "DROP TRIGGER IF EXISTS knowledge_search_report_tag_ai",
    "CREATE TRIGGER knowledge_search_report_tag_ai AFTER INSERT ON reports_report_tags BEGIN "
    "UPDATE knowledge_search SET tags = " + _SQLITE_REPORT_TAGS.format(ref="NEW.report_id")
    + " WHERE rowid = NEW.report_id * 2 + 1; END",
    "DROP TRIGGER IF EXISTS knowledge_search_report_tag_ad",
    "CREATE TRIGGER knowledge_search_report_tag_ad AFTER DELETE ON reports_report_tags BEGIN "
    "UPDATE knowledge_search SET tags = " + _SQLITE_REPORT_TAGS.format(ref="OLD.report_id")
    + " WHERE rowid = OLD.report_id * 2 + 1; END",
]

SQLITE_REBUILD = [
    "DELETE FROM knowledge_search",
    "INSERT INTO knowledge_search(rowid, title, body, tags) SELECT i.id * 2, i.title, "
    "i.description || ' ' || i.filename || ' ' || i.url, "
    + _SQLITE_ITEM_TAGS.format(ref="i.id") + " FROM knowledge_knowledgeitem i",
    "INSERT INTO knowledge_search(rowid, title, body, tags) SELECT r.id * 2 + 1, r.title, "
    "r.summary || ' ' || r.body, " + _SQLITE_REPORT_TAGS.format(ref="r.id")
    + " FROM reports_report r WHERE r.kind IN (" + _KINDS_SQL + ")",
]

SQLITE_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS knowledge_search_{name}" for name in (
        "item_ai", "item_au", "item_ad", "item_tag_ai", "item_tag_ad",
        "report_ai", "report_au", "report_ad", "report_tag_ai", "report_tag_ad")),
    "DROP TABLE IF EXISTS knowledge_search",
]

# ------------------------------------------------------------------------- PostgreSQL

POSTGRES_INSTALL = [
    "CREATE TABLE IF NOT EXISTS knowledge_search (id bigint PRIMARY KEY, "
    "document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS knowledge_search_document ON knowledge_search "
    "USING gin (document)",
    """CREATE OR REPLACE FUNCTION knowledge_search_vector(title text, body text, tags text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
      SELECT setweight(to_tsvector('dutch', coalesce(title, '')), 'A')
          || setweight(to_tsvector('dutch', coalesce(tags, '')), 'A')
          || setweight(to_tsvector('dutch', coalesce(body, '')), 'B')
    $$""",
    """CREATE OR REPLACE FUNCTION knowledge_item_tags(ref bigint) RETURNS text
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(string_agg(t.name, ' '), '') FROM reports_tag t
      JOIN knowledge_knowledgeitem_tags it ON it.tag_id = t.id WHERE it.knowledgeitem_id = ref
    $$""",
    """CREATE OR REPLACE FUNCTION knowledge_report_tags(ref bigint) RETURNS text
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(string_agg(t.name, ' '), '') FROM reports_tag t
      JOIN reports_report_tags rt ON rt.tag_id = t.id WHERE rt.report_id = ref
    $$""",
    """CREATE OR REPLACE FUNCTION knowledge_search_item_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM knowledge_search WHERE id = OLD.id * 2;
        RETURN OLD;
      END IF;
      INSERT INTO knowledge_search (id, document) VALUES (NEW.id * 2, knowledge_search_vector(
        NEW.title, NEW.description || ' ' || NEW.filename || ' ' || NEW.url,
        knowledge_item_tags(NEW.id)))
      ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document;
      RETURN NEW;
    END $$""",
    """CREATE OR REPLACE FUNCTION knowledge_search_report_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM knowledge_search WHERE id = OLD.id * 2 + 1;
        RETURN OLD;
      END IF;
      IF NEW.kind IN (""" + _KINDS_SQL + """) THEN
        INSERT INTO knowledge_search (id, document) VALUES (NEW.id * 2 + 1,
          knowledge_search_vector(NEW.title, NEW.summary || ' ' || NEW.body,
                                  knowledge_report_tags(NEW.id)))
        ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document;
      ELSE
        DELETE FROM knowledge_search WHERE id = NEW.id * 2 + 1;
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE OR REPLACE FUNCTION knowledge_search_item_tags_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE ref bigint;
    BEGIN
      ref := CASE WHEN TG_OP = 'DELETE' THEN OLD.knowledgeitem_id ELSE NEW.knowledgeitem_id END;
      UPDATE knowledge_search SET document = knowledge_search_vector(i.title,
          i.description || ' ' || i.filename || ' ' || i.url, knowledge_item_tags(i.id))
        FROM knowledge_knowledgeitem i WHERE i.id = ref AND knowledge_search.id = ref * 2;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION knowledge_search_report_tags_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE ref bigint;
    BEGIN
      ref := CASE WHEN TG_OP = 'DELETE' THEN OLD.report_id ELSE NEW.report_id END;
      UPDATE knowledge_search SET document = knowledge_search_vector(r.title,
          r.summary || ' ' || r.body, knowledge_report_tags(r.id))
        FROM reports_report r WHERE r.id = ref AND knowledge_search.id = ref * 2 + 1;
      RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS knowledge_search_item ON knowledge_knowledgeitem",
    "CREATE TRIGGER knowledge_search_item AFTER INSERT OR DELETE OR UPDATE OF title, "
    "description, filename, url ON knowledge_knowledgeitem FOR EACH ROW "
    "EXECUTE FUNCTION knowledge_search_item_row()",
    "DROP TRIGGER IF EXISTS knowledge_search_item_tags ON knowledge_knowledgeitem_tags",
    "CREATE TRIGGER knowledge_search_item_tags AFTER INSERT OR DELETE "
    "ON knowledge_knowledgeitem_tags FOR EACH ROW "
    "EXECUTE FUNCTION knowledge_search_item_tags_row()",
    "DROP TRIGGER IF EXISTS knowledge_search_report ON reports_report",
    "CREATE TRIGGER knowledge_search_report AFTER INSERT OR DELETE OR UPDATE OF kind, title, "
    "summary, body ON reports_report FOR EACH ROW EXECUTE FUNCTION knowledge_search_report_row()",
    "DROP TRIGGER IF EXISTS knowledge_search_report_tags ON reports_report_tags",
    "CREATE TRIGGER knowledge_search_report_tags AFTER INSERT OR DELETE ON reports_report_tags "
    "FOR EACH ROW EXECUTE FUNCTION knowledge_search_report_tags_row()",
]

POSTGRES_REBUILD = [
    "DELETE FROM knowledge_search",
    "INSERT INTO knowledge_search (id, document) SELECT i.id * 2, knowledge_search_vector("
    "i.title, i.description || ' ' || i.filename || ' ' || i.url, knowledge_item_tags(i.id)) "
    "FROM knowledge_knowledgeitem i",
    "INSERT INTO knowledge_search (id, document) SELECT r.id * 2 + 1, knowledge_search_vector("
    "r.title, r.summary || ' ' || r.body, knowledge_report_tags(r.id)) FROM reports_report r "
    "WHERE r.kind IN (" + _KINDS_SQL + ")",
]

POSTGRES_UNINSTALL = [
    "DROP TRIGGER IF EXISTS knowledge_search_item ON knowledge_knowledgeitem",
    "DROP TRIGGER IF EXISTS knowledge_search_item_tags ON knowledge_knowledgeitem_tags",
    "DROP TRIGGER IF EXISTS knowledge_search_report ON reports_report",
    "DROP TRIGGER IF EXISTS knowledge_search_report_tags ON reports_report_tags",
    *(f"DROP FUNCTION IF EXISTS {name}" for name in (
        "knowledge_search_item_row()", "knowledge_search_report_row()",
        "knowledge_search_item_tags_row()", "knowledge_search_report_tags_row()",
        "knowledge_item_tags(bigint)", "knowledge_report_tags(bigint)",
        "knowledge_search_vector(text, text, text)")),
    "DROP TABLE IF EXISTS knowledge_search",
]

_STATEMENTS = {
    "sqlite": (SQLITE_INSTALL, SQLITE_REBUILD, SQLITE_UNINSTALL),
    "postgresql": (POSTGRES_INSTALL, POSTGRES_REBUILD, POSTGRES_UNINSTALL),
}


def _statements(conn: BaseDatabaseWrapper) -> tuple[list[str], list[str], list[str]]:
    try:
        return _STATEMENTS[conn.vendor]
    except KeyError:
        raise RuntimeError(f"full-text search supports SQLite and PostgreSQL, not "
                           f"{conn.vendor}") from None


def _run(conn: BaseDatabaseWrapper, statements: list[str]) -> None:
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(conn: BaseDatabaseWrapper) -> None:
    """Create the index and its triggers (idempotent), then fill it."""
    install_sql, rebuild_sql, _ = _statements(conn)
    _run(conn, install_sql)
    _run(conn, rebuild_sql)


def uninstall(conn: BaseDatabaseWrapper) -> None:
    _run(conn, _statements(conn)[2])


def rebuild(conn: BaseDatabaseWrapper | None = None) -> int:
    """Refill the index from the tables; returns the number of rows indexed."""
    conn = conn or connection
    _run(conn, _statements(conn)[1])
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM knowledge_search")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def terms(query: str) -> list[str]:
    """The words of a query (letters and digits only: no operator syntax gets through)."""
    return _WORD.findall(query or "")[:_MAX_TERMS]


@dataclass(frozen=True)
class Candidates:
    """Index hits, best first: knowledge item and report primary keys with their scores."""

    items: dict[int, float]
    reports: dict[int, float]


def candidates(query: str, limit: int = MAX_CANDIDATES) -> Candidates:
    """Every word must match (the last one as a prefix, so "ransom" finds "ransomware")."""
    words = terms(query)
    items: dict[int, float] = {}
    reports: dict[int, float] = {}
    if not words:
        return Candidates(items, reports)
    if connection.vendor == "postgresql":
        expression = " & ".join([*words[:-1], words[-1] + ":*"])
        sql = ("SELECT id, ts_rank_cd(document, q) AS score FROM knowledge_search, "
               "to_tsquery('dutch', %s) q WHERE document @@ q ORDER BY score DESC, id LIMIT %s")
    else:
        expression = " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'
        # bm25 is lower for better matches; the weights favour title, then tags, then text.
        sql = ("SELECT rowid, -bm25(knowledge_search, 10.0, 2.0, 5.0) AS score FROM "
               "knowledge_search WHERE knowledge_search MATCH %s ORDER BY score DESC, rowid "
               "LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression.strip(), limit])
        for row_id, score in cursor.fetchall():
            target = reports if row_id % 2 else items
            target[row_id // 2] = float(score)
    return Candidates(items, reports)
