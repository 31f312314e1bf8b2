# ruff: noqa: S608  (table names come from the models; every value is a query parameter)
"""The bulk writer under every indicator write: values and indicators in batches.

One batch is a handful of statements whatever its size: the new values (insert, ignoring
those already known), the indicators (insert, or move their first and last seen on a
repeat), and the recount of ``occurrences`` for the values touched. On PostgreSQL each is
one statement over arrays (``unnest``); on SQLite each is one prepared statement run over
the rows (``executemany``), which SQLite runs in-process without a round trip per row.
Callers (the services) hold the transaction and write the audit row per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from .models import Indicator, IndicatorValue
from .normalise import Normalised

VALUES = IndicatorValue._meta.db_table
INDICATORS = Indicator._meta.db_table


@dataclass(frozen=True, slots=True)
class Row:
    """One indicator to write: its source (a report or a feed id), value and fields."""

    source_id: int
    item: Normalised
    for_detection: bool
    comment: str
    first_seen: datetime
    last_seen: datetime
    group: int | None = None


def _dedupe(rows: Sequence[Row]) -> list[Row]:
    """One row per (source, value): a repeat in the same batch widens the seen times."""
    seen: dict[tuple[int, bytes], Row] = {}
    for row in rows:
        key = (row.source_id, row.item.digest)
        other = seen.get(key)
        if other is None:
            seen[key] = row
        else:
            seen[key] = Row(other.source_id, other.item, other.for_detection,
                            other.comment or row.comment,
                            min(other.first_seen, row.first_seen),
                            max(other.last_seen, row.last_seen), other.group or row.group)
    return list(seen.values())


def write_batch(rows: Sequence[Row], *, kind: str, now: datetime,
                added_by_id: int | None) -> int:
    """Write one batch of rows of one kind of source (``report`` or ``feed``); return how
    many indicators are new. Call inside a transaction."""
    assert kind in ("report", "feed")
    rows = _dedupe(rows)
    if not rows:
        return 0
    sources = sorted({r.source_id for r in rows})
    values = list({r.item.digest: r.item for r in rows}.values())
    with connection.cursor() as cursor:
        before = _count(cursor, kind, sources)
        if connection.vendor == "postgresql":
            _pg_values(cursor, values)
            _pg_indicators(cursor, rows, kind, now, added_by_id)
            _pg_occurrences(cursor, [v.digest for v in values])
        else:
            _sqlite_values(cursor, values)
            _sqlite_indicators(cursor, rows, kind, now, added_by_id)
            _sqlite_occurrences(cursor, [v.digest for v in values])
        return _count(cursor, kind, sources) - before


def _count(cursor: Any, kind: str, sources: list[int]) -> int:
    placeholders = ", ".join(["%s"] * len(sources))
    cursor.execute(f"SELECT COUNT(*) FROM {INDICATORS} WHERE {kind}_id IN ({placeholders})",
                   sources)
    return int(cursor.fetchone()[0])


def _conflict(kind: str, greatest: str, least: str) -> str:
    return (f"ON CONFLICT ({kind}_id, value_id) WHERE {kind}_id IS NOT NULL DO UPDATE SET "
            f"first_seen = {least}({INDICATORS}.first_seen, excluded.first_seen), "
            f"last_seen = {greatest}({INDICATORS}.last_seen, excluded.last_seen)")


# --- SQLite -------------------------------------------------------------------------------

def _sqlite_values(cursor: Any, values: list[Normalised]) -> None:
    cursor.executemany(
        f"INSERT OR IGNORE INTO {VALUES} (digest, type, value, ip_start, prefixlen, host_rev, "
        f"occurrences) VALUES (%s, %s, %s, %s, %s, %s, 0)",
        [(v.digest, v.type, v.value, v.ip_start, v.prefixlen, v.host_rev) for v in values],
    )


def _sqlite_indicators(cursor: Any, rows: list[Row], kind: str, now: datetime,
                       added_by_id: int | None) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(now)
    report = kind == "report"
    cursor.executemany(
        f"INSERT INTO {INDICATORS} (uuid, value_id, report_id, feed_id, file_group, "
        f"for_detection, comment, first_seen, last_seen, created_at, added_by_id) "
        f"VALUES (%s, (SELECT id FROM {VALUES} WHERE digest = %s), %s, %s, %s, %s, %s, %s, %s, "
        f"%s, %s) " + _conflict(kind, "max", "min"),
        [
            (uuid.uuid4().hex, r.item.digest, r.source_id if report else None,
             None if report else r.source_id, r.group, r.for_detection, r.comment,
             adapt(r.first_seen), adapt(r.last_seen), created, added_by_id)
            for r in rows
        ],
    )


def _sqlite_occurrences(cursor: Any, digests: list[bytes]) -> None:
    cursor.executemany(
        f"UPDATE {VALUES} SET occurrences = (SELECT COUNT(*) FROM {INDICATORS} "
        f"WHERE value_id = {VALUES}.id) WHERE digest = %s",
        [(d,) for d in digests],
    )


# --- PostgreSQL ---------------------------------------------------------------------------

def _pg_values(cursor: Any, values: list[Normalised]) -> None:
    cursor.execute(
        f"INSERT INTO {VALUES} (digest, type, value, ip_start, prefixlen, host_rev, occurrences) "
        f"SELECT d, t, v, i, p, h, 0 FROM unnest(%s::bytea[], %s::text[], %s::text[], "
        f"%s::bytea[], %s::smallint[], %s::text[]) AS u(d, t, v, i, p, h) "
        f"ON CONFLICT (digest) DO NOTHING",
        [[v.digest for v in values], [v.type for v in values], [v.value for v in values],
         [v.ip_start for v in values], [v.prefixlen for v in values],
         [v.host_rev for v in values]],
    )


def _pg_indicators(cursor: Any, rows: list[Row], kind: str, now: datetime,
                   added_by_id: int | None) -> None:
    report = kind == "report"
    cursor.execute(
        f"INSERT INTO {INDICATORS} (uuid, value_id, report_id, feed_id, file_group, "
        f"for_detection, comment, first_seen, last_seen, created_at, added_by_id) "
        f"SELECT u.id, v.id, u.r, u.f, u.g, u.d, u.c, u.fs, u.ls, %s, %s "
        f"FROM unnest(%s::uuid[], %s::bytea[], %s::bigint[], %s::bigint[], %s::smallint[], "
        f"%s::boolean[], %s::text[], %s::timestamptz[], %s::timestamptz[]) "
        f"AS u(id, digest, r, f, g, d, c, fs, ls) "
        f"JOIN {VALUES} v ON v.digest = u.digest " + _conflict(kind, "GREATEST", "LEAST"),
        [now, added_by_id,
         [uuid.uuid4() for _ in rows], [r.item.digest for r in rows],
         [r.source_id if report else None for r in rows],
         [None if report else r.source_id for r in rows],
         [r.group for r in rows], [r.for_detection for r in rows], [r.comment for r in rows],
         [r.first_seen for r in rows], [r.last_seen for r in rows]],
    )


def _pg_occurrences(cursor: Any, digests: list[bytes]) -> None:
    cursor.execute(
        f"UPDATE {VALUES} AS v SET occurrences = c.n FROM ("
        f"SELECT i.value_id, COUNT(*) AS n FROM {INDICATORS} i "
        f"JOIN {VALUES} w ON w.id = i.value_id WHERE w.digest = ANY(%s::bytea[]) "
        f"GROUP BY i.value_id) AS c WHERE v.id = c.value_id AND v.occurrences <> c.n",
        [digests],
    )


def recount(value_ids: Sequence[int]) -> None:
    """Recount ``occurrences`` of the given values (after indicators were removed)."""
    if not value_ids:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {VALUES} SET occurrences = (SELECT COUNT(*) FROM {INDICATORS} "
            f"WHERE value_id = {VALUES}.id) WHERE id = %s",
            [(v,) for v in value_ids],
        )
