# ruff: noqa: S608, S611  (the table name is a constant; the query text is a parameter)
"""Full-text search over reports: FTS5 on SQLite, PostgreSQL's own text search.

One table, ``intel_report_fts``, keyed by the report's id, holds the title, summary, text and
tags (SQLite: an FTS5 table with diacritics folded; PostgreSQL: a ``tsvector`` of both the
Dutch and the simple configuration under a GIN index). The report services keep it in step
(``intel.services.report_changed``). The index knows nothing of who may read what: a search
is always the policy's queryset filtered by the ids the index matches (so a row left behind
by a report that no longer exists matches nothing).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

TABLE = "intel_report_fts"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def create_table(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TABLE {TABLE} (report_id bigint PRIMARY KEY, document tsvector NOT NULL)"
        )
        schema_editor.execute(f"CREATE INDEX {TABLE}_document ON {TABLE} USING gin(document)")
    else:
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, summary, body, tags, "
            f"tokenize = 'unicode61 remove_diacritics 2')"
        )


def drop_table(schema_editor: Any) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def _fields(report: Any) -> tuple[str, str, str, str]:
    tags = " ".join(t.name for t in report.tags.all()) if report.pk else ""
    return report.title, report.summary, report.body, tags


def update_report(report: Any, cursor: Any = None) -> None:
    """(Re)index one report."""
    title, summary, body, tags = _fields(report)
    own = cursor is None
    cursor = cursor or connection.cursor()
    try:
        if connection.vendor == "postgresql":
            text = "\n".join((title, title, summary, body, tags))
            cursor.execute(
                f"INSERT INTO {TABLE} (report_id, document) VALUES (%s, "
                f"setweight(to_tsvector('simple', %s), 'A') || to_tsvector('dutch', %s) || "
                f"to_tsvector('simple', %s)) ON CONFLICT (report_id) DO UPDATE SET "
                f"document = excluded.document",
                [report.pk, title, text, text],
            )
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid = %s", [report.pk])
            cursor.execute(
                f"INSERT INTO {TABLE} (rowid, title, summary, body, tags) "
                f"VALUES (%s, %s, %s, %s, %s)",
                [report.pk, title, summary, body, tags],
            )
    finally:
        if own:
            cursor.close()


def words(query: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(query or "")][:MAX_WORDS]


def _sqlite_query(terms: list[str]) -> str:
    return " AND ".join(f'"{t}"*' for t in terms)


def _pg_query(terms: list[str]) -> str:
    return " & ".join(f"'{t}':*" for t in terms)


def matching(query: str) -> tuple[RawSQL, RawSQL] | None:
    """``(ids, score)``: a subquery of the ids of matching reports (for ``pk__in``) and a
    relevance score per report row (higher is better), or None for an empty query."""
    terms = words(query)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        tsquery = _pg_query(terms)
        query_sql = "(to_tsquery('simple', %s) || to_tsquery('dutch', %s))"
        ids = RawSQL(f"SELECT report_id FROM {TABLE} WHERE document @@ {query_sql}",
                     [tsquery, tsquery])
        score = RawSQL(f"(SELECT ts_rank(document, {query_sql}) FROM {TABLE} "
                       f"WHERE report_id = reports_report.id)", [tsquery, tsquery])
        return ids, score
    match = _sqlite_query(terms)
    ids = RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [match])
    score = RawSQL(f"(SELECT -bm25({TABLE}) FROM {TABLE} WHERE {TABLE} MATCH %s "
                   f"AND rowid = reports_report.id)", [match])
    return ids, score
