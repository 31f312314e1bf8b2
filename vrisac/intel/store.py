# ruff: noqa: S608  (table names come from the models; every value is a query parameter)
"""The bulk writer under every indicator write: values and indicators in batches.

One batch is a handful of statements whatever its size: the new values (insert, ignoring
those already known) and the indicators (insert, or move their first and last seen on a
repeat). On PostgreSQL each is one statement over arrays (``unnest``); on SQLite each is one
prepared statement run over the rows (``executemany``), which SQLite runs in-process
without a round trip per row. ``occurrences`` is kept by triggers in the database
(migration 0003), so the counts cost no extra statement.
Callers (the services) hold the transaction and write the audit row per batch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from .models import Indicator, IndicatorValue
from .normalise import Normalised

BULK_CACHE_KIB = 256 * 1024
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


_last_stamp = 0
_sequence = 0


def time_ordered_uuid() -> str:
    """A version 7 UUID (RFC 9562) as 32 hex digits: millisecond time first, then
    randomness. New indicators append to the end of the uuid index instead of landing at
    random places in it."""
    global _last_stamp, _sequence
    stamp = time.time_ns() // 1_000_000
    if stamp <= _last_stamp:
        _sequence = (_sequence + 1) & 0xFFF
        if _sequence == 0:
            _last_stamp += 1
        stamp = _last_stamp
    else:
        _last_stamp = stamp
        _sequence = int.from_bytes(os.urandom(2), "big") & 0x7FF
    tail = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
    return f"{(stamp << 80) | (0x7 << 76) | (_sequence << 64) | tail:032x}"


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
        else:
            _sqlite_stage(cursor, rows, kind, now, added_by_id)
        return _count(cursor, kind, sources) - before


@contextmanager
def bulk_session() -> Iterator[None]:
    """For a long bulk write on SQLite, a larger page cache (256 MB, a fixed cap whatever
    the input size) for this connection, so index pages are not spilled and rewritten over
    and over; the old size is restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        old = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(old)}")


#: After these batches of one bulk write, PostgreSQL's planner statistics are refreshed.
_ANALYZE_AFTER = frozenset({1, 3, 10, 30, 100, 300, 1000, 3000})


def refresh_statistics(batch: int | None = None) -> None:
    """Refresh PostgreSQL's statistics of the value and indicator tables during and after a
    bulk write. Inside one long transaction autovacuum cannot see the new rows, and a
    planner that still believes the tables empty joins by scanning them, batch after batch;
    ANALYZE in the writing transaction counts its own rows. SQLite needs none of this."""
    if connection.vendor != "postgresql" or (batch is not None and batch not in _ANALYZE_AFTER):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {VALUES}, {INDICATORS}")


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

_STAGE = "intel_stage"
_STAGE_COLUMNS = ("uuid, digest, type, value, ip_start, prefixlen, host_rev, source_id, "
                  "file_group, for_detection, comment, first_seen, last_seen")


def _sqlite_stage(cursor: Any, rows: list[Row], kind: str, now: datetime,
                  added_by_id: int | None) -> None:
    """Stage the batch in a temporary table without indexes (one ``executemany``), then let
    SQLite move it into the value and indicator tables in two set-based statements."""
    adapted: dict[datetime, Any] = {}

    def adapt(moment: datetime) -> Any:
        found = adapted.get(moment)
        if found is None:
            found = adapted[moment] = connection.ops.adapt_datetimefield_value(moment)
        return found

    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ({_STAGE_COLUMNS})")
    cursor.execute(f"DELETE FROM {_STAGE}")
    cursor.executemany(
        f"INSERT INTO {_STAGE} ({_STAGE_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})",
        [
            (time_ordered_uuid(), r.item.digest, r.item.type, r.item.value, r.item.ip_start,
             r.item.prefixlen, r.item.host_rev, r.source_id, r.group, r.for_detection,
             r.comment, adapt(r.first_seen), adapt(r.last_seen))
            for r in rows
        ],
    )
    cursor.execute(
        f"INSERT OR IGNORE INTO {VALUES} (digest, type, value, ip_start, prefixlen, host_rev, "
        f"occurrences) SELECT digest, type, value, ip_start, prefixlen, host_rev, 0 "
        f"FROM {_STAGE}"
    )
    report = kind == "report"
    cursor.execute(
        f"INSERT INTO {INDICATORS} (uuid, value_id, report_id, feed_id, file_group, "
        f"for_detection, comment, first_seen, last_seen, created_at, added_by_id) "
        f"SELECT s.uuid, v.id, {'s.source_id' if report else 'NULL'}, "
        f"{'NULL' if report else 's.source_id'}, s.file_group, s.for_detection, s.comment, "
        f"s.first_seen, s.last_seen, %s, %s FROM {_STAGE} s "
        f"JOIN {VALUES} v ON v.digest = s.digest WHERE true " + _conflict(kind, "max", "min"),
        [adapt(now), added_by_id],
    )
    cursor.execute(f"DELETE FROM {_STAGE}")


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
        f"SELECT u.id, (SELECT v.id FROM {VALUES} v WHERE v.digest = u.digest), u.r, u.f, "
        f"u.g, u.d, u.c, u.fs, u.ls, %s, %s "
        f"FROM unnest(%s::uuid[], %s::bytea[], %s::bigint[], %s::bigint[], %s::smallint[], "
        f"%s::boolean[], %s::text[], %s::timestamptz[], %s::timestamptz[]) "
        # The value id by a scalar subquery: the value table is probed through its unique
        # index row by row, never scanned, whatever the planner believes about its size.
        f"AS u(id, digest, r, f, g, d, c, fs, ls) "
        + _conflict(kind, "GREATEST", "LEAST"),
        [now, added_by_id,
         [time_ordered_uuid() for _ in rows], [r.item.digest for r in rows],
         [r.source_id if report else None for r in rows],
         [None if report else r.source_id for r in rows],
         [r.group for r in rows], [r.for_detection for r in rows], [r.comment for r in rows],
         [r.first_seen for r in rows], [r.last_seen for r in rows]],
    )
