# ruff: noqa: S608  (table names come from the models; every value is a query parameter)
"""The bulk writer under every indicator write: values and indicators in batches.

One batch is a handful of statements whatever its size: the batch is loaded into a
temporary table (SQLite: one ``executemany``, run in-process without a round trip per row;
PostgreSQL: one ``COPY``), then the new values go in (those already known are ignored) and
the indicators (a repeat only moves its first and last seen), each one set-based
statement. ``occurrences`` is counted in the same statements (SQLite: by triggers in the
engine; PostgreSQL: new values are created with their count, the others get what the
indicator insert really inserted), so the counts cost no extra round trip. Callers (the
services) hold the transaction and write the audit row per batch.
"""

from __future__ import annotations

import os
import time
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
    with connection.cursor() as cursor:
        before = _count(cursor, kind, sources)
        _stage(cursor, rows, kind, now, added_by_id)
        return _count(cursor, kind, sources) - before


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
_STAGE_COLUMNS = ("uuid", "digest", "type", "value", "ip_start", "prefixlen", "host_rev",
                  "source_id", "file_group", "for_detection", "comment", "first_seen",
                  "last_seen")
_STAGE_TYPES = ("uuid", "bytea", "text", "text", "bytea", "smallint", "text", "bigint",
                "smallint", "boolean", "text", "timestamptz", "timestamptz")


def _stage(cursor: Any, rows: list[Row], kind: str, now: datetime,
           added_by_id: int | None) -> None:
    """Load the batch into a temporary table without indexes (SQLite: one ``executemany``,
    run in-process; PostgreSQL: one ``COPY``), then let the database move it into the value
    and indicator tables in two set-based statements."""
    postgres = connection.vendor == "postgresql"
    columns = ", ".join(_STAGE_COLUMNS)
    if postgres:
        typed = ", ".join(f"{c} {t}" for c, t in zip(_STAGE_COLUMNS, _STAGE_TYPES, strict=True))
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ({typed}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {_STAGE}")
        with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((time_ordered_uuid(), r.item.digest, r.item.type, r.item.value,
                                r.item.ip_start, r.item.prefixlen, r.item.host_rev,
                                r.source_id, r.group, r.for_detection, r.comment,
                                r.first_seen, r.last_seen))
        created: Any = now
    else:
        adapted: dict[datetime, Any] = {}

        def adapt(moment: datetime) -> Any:
            found = adapted.get(moment)
            if found is None:
                found = adapted[moment] = connection.ops.adapt_datetimefield_value(moment)
            return found

        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ({columns})")
        cursor.execute(f"DELETE FROM {_STAGE}")
        cursor.executemany(
            f"INSERT INTO {_STAGE} ({columns}) VALUES ({', '.join(['%s'] * 13)})",
            [
                (time_ordered_uuid(), r.item.digest, r.item.type, r.item.value,
                 r.item.ip_start, r.item.prefixlen, r.item.host_rev, r.source_id, r.group,
                 r.for_detection, r.comment, adapt(r.first_seen), adapt(r.last_seen))
                for r in rows
            ],
        )
        created = adapt(now)
    report = kind == "report"
    insert_indicators = (
        f"INSERT INTO {INDICATORS} (uuid, value_id, report_id, feed_id, file_group, "
        f"for_detection, comment, first_seen, last_seen, created_at, added_by_id) "
        # The value id by a scalar subquery: the value table is probed through its unique
        # index row by row, never scanned, whatever the planner believes about its size.
        f"SELECT s.uuid, (SELECT v.id FROM {VALUES} v WHERE v.digest = s.digest), "
        f"{'s.source_id' if report else 'NULL'}, {'NULL' if report else 's.source_id'}, "
        f"s.file_group, s.for_detection, s.comment, s.first_seen, s.last_seen, %s, %s "
        f"FROM {_STAGE} s WHERE true "
    )
    if not postgres:
        # SQLite: the triggers of migration 0003 count the indicators as they go in.
        cursor.execute(
            f"INSERT INTO {VALUES} (digest, type, value, ip_start, prefixlen, host_rev, "
            f"occurrences) SELECT digest, type, value, ip_start, prefixlen, host_rev, 0 "
            f"FROM {_STAGE} WHERE true ON CONFLICT (digest) DO NOTHING"
        )
        cursor.execute(insert_indicators + _conflict(kind, "max", "min"),
                       [created, added_by_id])
        return
    # PostgreSQL: a new value is created with the count of its staged rows (a value that did
    # not exist has no indicator yet, and the batch holds each source and value once); the
    # values that existed get the indicators this statement really inserted added (an
    # inserted row has xmax 0, a repeat that only moved its seen times has not).
    cursor.execute(
        f"INSERT INTO {VALUES} (digest, type, value, ip_start, prefixlen, host_rev, "
        f"occurrences) SELECT DISTINCT ON (digest) digest, type, value, ip_start, prefixlen, "
        f"host_rev, count(*) OVER (PARTITION BY digest) FROM {_STAGE} ORDER BY digest "
        f"ON CONFLICT (digest) DO NOTHING RETURNING id"
    )
    new_values = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        f"WITH added AS ({insert_indicators}{_conflict(kind, 'GREATEST', 'LEAST')} "
        f"RETURNING value_id, (xmax = 0) AS inserted), "
        # Values created by the statement above already hold their count: leave them out
        # (a hash anti-join, not a scan of the array per row).
        f"counted AS (SELECT added.value_id, count(*) AS n FROM added "
        f"LEFT JOIN unnest(%s::bigint[]) AS created(id) ON created.id = added.value_id "
        f"WHERE added.inserted AND created.id IS NULL GROUP BY added.value_id) "
        f"UPDATE {VALUES} AS v SET occurrences = v.occurrences + counted.n FROM counted "
        f"WHERE v.id = counted.value_id AND v.id = ANY(ARRAY(SELECT value_id FROM counted))",
        [created, added_by_id, new_values],
    )
