"""What every importer shares: limits, opening (gzip or not) and streaming JSON, the report
of what was read, written and skipped, and the batched upsert of vulnerability records.

A record is parsed and checked completely before anything is written; a batch of checked
records is written in one transaction, and should the database refuse the batch, each of
its records is written in a transaction of its own, so a bad record never half-writes and
never takes the good ones with it.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from vrisac.advisories.models import AffectedProduct, Vulnerability
from vrisac.advisories.versions import affected_bound

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
MAX_DEPTH = 40
MAX_NODES_PER_RECORD = 500_000


class RecordError(Exception):
    """One record cannot be imported; ``field`` names where in the record."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class FileError(Exception):
    """The file as a whole cannot be read (too large, not JSON, truncated)."""


@dataclass(frozen=True)
class Skipped:
    file: str
    record: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.field}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "record": self.record, "field": self.field,
                "reason": self.reason}


@dataclass
class ImportReport:
    """What one import run did; the job's result and the command's summary."""

    source: str
    files: int = 0
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    changed_vulnerabilities: set[int] = field(default_factory=set)
    changed_advisories: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    #: Fields read past (unknown to the format): the record itself was imported.
    ignored: list[Skipped] = field(default_factory=list)

    def skip(self, file: str, record: str, field_: str, reason: str) -> None:
        self.skipped.append(Skipped(file, record, field_, reason))

    def ignore(self, file: str, record: str, field_: str, reason: str) -> None:
        self.ignored.append(Skipped(file, record, field_, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "files": self.files, "read": self.read,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": [s.as_dict() for s in self.skipped[:1000]],
            "skipped_count": len(self.skipped),
            "ignored": [s.as_dict() for s in self.ignored[:200]],
            "changed_vulnerabilities": len(self.changed_vulnerabilities),
            "changed_advisories": len(self.changed_advisories),
            "notes": self.notes,
        }


# --- limits and files ---------------------------------------------------------------------


def limit_bytes(kind: str) -> int:
    """The size limit for one file of this kind (settings ``VRISAC_IMPORT_MAX_MB``)."""
    limits: dict[str, int] = getattr(settings, "VRISAC_IMPORT_MAX_MB", {})
    defaults = {"csaf": 20, "nvd": 4096, "cve5": 50, "cve5_zip": 2048, "kev": 50,
                "epss": 500, "csv": 10}
    return int(limits.get(kind, defaults.get(kind, 50))) * 1024 * 1024


class _Capped(io.RawIOBase):
    """A stream that fails once more than ``limit`` bytes were read from it."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self.raw = raw
        self.limit = limit
        self.total = 0
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            # Un-gzipping a damaged or cut-off file: the file's fault, not the platform's.
            raise FileError(f"is not a complete gzip file ({exc})") from exc
        self.total += len(data)
        if self.total > self.limit:
            raise FileError(f"larger than the limit of {self.limit // (1024 * 1024)} MB")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_stream(raw: IO[bytes], *, name: str, limit: int) -> IO[bytes]:
    """Wrap ``raw`` (a file or a fetched body), un-gzipping it when it starts as gzip, so
    that neither the compressed nor the uncompressed size may pass ``limit``."""
    buffered = io.BufferedReader(_Capped(raw, limit, name), buffer_size=256 * 1024)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return io.BufferedReader(_Capped(gzip.GzipFile(fileobj=buffered), limit, name),  # type: ignore[arg-type]
                                 buffer_size=256 * 1024)
    return buffered


def open_path(path: Path, kind: str) -> IO[bytes]:
    limit = limit_bytes(kind)
    size = path.stat().st_size
    if size > limit:
        raise FileError(f"is {size / 1024 / 1024:.0f} MB, larger than the limit of "
                        f"{limit // (1024 * 1024)} MB for {kind} files")
    return open_stream(path.open("rb"), name=str(path), limit=limit)


def check_shape(value: Any, where: str = "") -> None:
    """Depth and size limits on one parsed record (iteratively: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        current, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise RecordError(where or "(record)", f"nested deeper than {MAX_DEPTH} levels")
        if nodes > MAX_NODES_PER_RECORD:
            raise RecordError(where or "(record)",
                              f"more than {MAX_NODES_PER_RECORD} values in one record")
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current)


_HEAD = 1024 * 1024


def stream_json(fp: IO[bytes], item_prefix: str) -> Iterator[tuple[str, Any]]:
    """Yield ``("item", obj)`` for each element of the top-level list named in
    ``item_prefix`` (``vulnerabilities.item``) as it is read (ijson's C parser), then
    ``("top", dict)`` with the document's top-level numbers and strings before that list.
    A document without that list (a bare CVE object, one CVE 5 record) is small: it is read
    whole and yields only ``("top", obj)``. Truncated or malformed JSON raises
    ``FileError`` naming the place, after the good items before it."""
    name = item_prefix.split(".", 1)[0]
    head = fp.peek(_HEAD)[:_HEAD] if hasattr(fp, "peek") else b""
    marker = re.search(rb'"' + re.escape(name.encode()) + rb'"\s*:\s*\[', head)
    if marker is None:
        data = fp.read()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FileError(f"is not valid JSON ({exc})") from None
        if isinstance(document, dict) and isinstance(document.get(name), list):
            for item in document[name]:
                yield "item", item
            yield "top", {k: v for k, v in document.items() if k != name}
            return
        yield "top", document if isinstance(document, dict) else {}
        return
    top: dict[str, Any] = {}
    for key, value in re.findall(rb'"(\w+)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)',
                                 head[:marker.start()]):
        try:
            top[key.decode()] = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
    count = 0
    try:
        for item in ijson.items(fp, item_prefix, use_float=True):
            yield "item", item
            count += 1
    except ijson.IncompleteJSONError as exc:
        raise FileError(f"the JSON ends early or is malformed after item {count} ({exc})"
                        ) from None
    except ijson.JSONError as exc:
        raise FileError(f"not valid JSON after item {count} ({exc})") from None
    yield "top", top


def fast_update(model: Any, rows: list[Any], fields: list[str]) -> None:
    """``UPDATE ... SET <fields> WHERE id = %s`` with ``executemany``, for model instances
    carrying the new values. ``bulk_update`` builds a CASE per field and row, which costs
    seconds per thousand rows."""
    if not rows:
        return
    from django.db import connection

    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c.column)} = %s" for c in columns)
    table, key = quote(meta.db_table), quote(str(meta.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    params = [
        [c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def fast_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows with ``executemany``; every column not given takes its default.
    ``bulk_create`` spends most of a large import building SQL per row."""
    if not rows:
        return
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    defaults = {f.attname: f.get_default() for f in fields}
    plain = {f.attname for f in fields if f.get_internal_type() in (
        "CharField", "TextField", "BooleanField", "BigIntegerField", "IntegerField",
        "FloatField", "PositiveIntegerField", "PositiveSmallIntegerField")}
    params = []
    for row in rows:
        values = []
        for f in fields:
            value = row.get(f.attname, defaults[f.attname])
            values.append(value if f.attname in plain else f.get_db_prep_save(value,
                                                                              connection))
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- parsing helpers ----------------------------------------------------------------------


def parse_datetime(value: Any, field_: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(field_, "is not a date and time")
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(field_, f"{value!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_date(value: Any, field_: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RecordError(field_, f"{value!r} is not a date") from None


def text_of(value: Any, field_: str, *, max_length: int, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise RecordError(field_, "is missing")
        return ""
    if not isinstance(value, str):
        raise RecordError(field_, "is not text")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        value = "".join(c for c in value if ord(c) >= 32 or c in "\n\r\t")
    return value[:max_length]


def english(descriptions: Any, field_: str) -> str:
    if not descriptions:
        return ""
    if not isinstance(descriptions, list):
        raise RecordError(field_, "is not a list")
    for i, d in enumerate(descriptions):
        if isinstance(d, dict) and str(d.get("lang", "")).lower().startswith("en"):
            return text_of(d.get("value"), f"{field_}[{i}].value", max_length=20_000)
    first = descriptions[0]
    return text_of(first.get("value") if isinstance(first, dict) else None,
                   f"{field_}[0].value", max_length=20_000)


@lru_cache(maxsize=65536)
def cvss_base(vector: str) -> tuple[str, float]:
    """(normalised vector, base score) computed with the ``cvss`` library; ValueError when
    the vector is not CVSS v3.x or v4.0."""
    from cvss import CVSS3, CVSS4

    vector = vector.strip()
    try:
        if vector.startswith("CVSS:4.0/"):
            c4 = CVSS4(vector)
            return c4.clean_vector(), float(c4.base_score)
        if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            c3 = CVSS3(vector)
            return c3.clean_vector(), float(c3.scores()[0])
    except Exception as exc:
        raise ValueError(str(exc)) from None
    raise ValueError("not a CVSS v3.x or v4.0 vector")


def cvss_fields(vectors: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``vectors``: (field path, vector) in order of preference; the first valid v3 and v4."""
    out: dict[str, Any] = {}
    for where, vector in vectors:
        if not vector:
            continue
        try:
            clean, score = cvss_base(vector)
        except ValueError as exc:
            raise RecordError(where, f"invalid CVSS vector {vector[:80]!r}: {exc}") from None
        if clean.startswith("CVSS:4.0/") and "cvss4_vector" not in out:
            out["cvss4_vector"], out["cvss4_score"] = clean, score
        elif clean.startswith("CVSS:3") and "cvss3_vector" not in out:
            out["cvss3_vector"], out["cvss3_score"] = clean, score
    return out


# --- writing vulnerability records --------------------------------------------------------


@dataclass
class Parsed:
    """One vulnerability record, parsed and checked, ready to be written."""

    cve_id: str
    record: str
    modified: datetime | None
    fields: dict[str, Any]
    affected: list[dict[str, Any]]


_VERSIONED = (
    Q(version_exact__gt="") | Q(version_start__gt="") | Q(version_end__gt="")
    | Q(version_expr__gt="") | Q(all_versions=True)
)


def refresh_has_versions(vulnerability_ids: Iterable[int]) -> None:
    ids = list(vulnerability_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        Vulnerability.objects.filter(pk__in=chunk).update(has_versions=Exists(
            AffectedProduct.objects.filter(_VERSIONED, vulnerability=OuterRef("pk"),
                                           source__in=["nvd", "cve5", "csaf"])
        ))


class VulnerabilityWriter:
    """Upserts parsed records of one source (``nvd``, ``cve5`` or ``kev``) in batches."""

    BATCH = 1000

    def __init__(self, source: str, report: ImportReport, file: str,
                 modified_field: str | None, *, cvss_rank: int = 0) -> None:
        self.source = source
        self.report = report
        self.file = file
        self.modified_field = modified_field
        self.cvss_rank = cvss_rank
        self.pending: list[Parsed] = []

    def add(self, parsed: Parsed) -> None:
        self.pending.append(parsed)
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        # The same CVE twice in one batch: the newest wins.
        unique: dict[str, Parsed] = {}
        for p in batch:
            current = unique.get(p.cve_id)
            if current is None or (p.modified or datetime.min.replace(tzinfo=UTC)) >= (
                current.modified or datetime.min.replace(tzinfo=UTC)
            ):
                unique[p.cve_id] = p
        try:
            with transaction.atomic():
                self._write(list(unique.values()))
        except DatabaseError:
            for p in unique.values():
                try:
                    with transaction.atomic():
                        self._write([p])
                except DatabaseError as exc:
                    self.report.skip(self.file, p.record, "(record)",
                                     f"the database refused it: {exc}"[:300])

    def _is_newer(self, parsed: Parsed, existing: dict[str, Any]) -> bool:
        if self.modified_field is None:
            return True
        stored = existing.get(self.modified_field)
        return stored is None or parsed.modified is None or parsed.modified > stored

    def _write(self, records: list[Parsed]) -> None:
        now = timezone.now()
        source_fields = sorted({k for p in records for k in p.fields})
        existing = {
            row["cve_id"]: row
            for row in Vulnerability.objects.filter(
                cve_id__in=[p.cve_id for p in records]
            ).values("pk", "cve_id", "cvss_source", *([self.modified_field]
                                                      if self.modified_field else []),
                     *source_fields)
        }
        new: list[Vulnerability] = []
        changed: list[tuple[int, Parsed]] = []
        for p in records:
            row = existing.get(p.cve_id)
            if row is None:
                fields = dict(p.fields)
                if self.modified_field:
                    fields[self.modified_field] = p.modified
                new.append(Vulnerability(cve_id=p.cve_id, **fields))
            elif self._is_newer(p, row):
                if self.modified_field is None and all(
                    row.get(k) == v for k, v in p.fields.items()
                ):
                    self.report.unchanged += 1
                    continue
                changed.append((row["pk"], p))
            else:
                self.report.unchanged += 1
        fast_insert(Vulnerability, [{"cve_id": v.cve_id, **{
            f.attname: getattr(v, f.attname) for f in Vulnerability._meta.concrete_fields
            if not f.primary_key and f.attname != "updated_at"}, "updated_at": now}
            for v in new])
        by_id = dict(Vulnerability.objects.filter(cve_id__in=[v.cve_id for v in new])
                     .values_list("cve_id", "pk")) if new else {}
        created = new
        updates: list[Vulnerability] = []
        field_sets: list[tuple[str, ...]] = []
        for pk, p in changed:
            fields = dict(p.fields)
            row = existing[p.cve_id]
            if "cvss_source" in fields and row.get("cvss_source") and _rank(
                row["cvss_source"]
            ) > _rank(fields["cvss_source"]):
                for key in ("cvss3_vector", "cvss3_score", "cvss4_vector", "cvss4_score",
                            "cvss_source"):
                    fields.pop(key, None)
            if self.modified_field:
                fields[self.modified_field] = p.modified
            updates.append(Vulnerability(pk=pk, cve_id=p.cve_id, updated_at=now, **fields))
            field_sets.append(tuple(sorted(fields)))
            by_id[p.cve_id] = pk
        if updates:
            by_fields: dict[tuple[str, ...], list[Vulnerability]] = {}
            for update, names in zip(updates, field_sets, strict=True):
                by_fields.setdefault(names, []).append(update)
            for names, group in by_fields.items():
                fast_update(Vulnerability, group, [*names, "updated_at"])
        touched = [by_id[p.cve_id] for _pk, p in changed]
        if touched:
            AffectedProduct.objects.filter(vulnerability_id__in=touched, source=self.source,
                                           advisory__isnull=True).delete()
        fast_insert(AffectedProduct, [
            {"vulnerability_id": by_id[p.cve_id], "source": self.source,
             "bound_major": affected_bound(a), **a}
            for p in records if p.cve_id in by_id
            for a in p.affected
        ])
        refresh_has_versions(by_id.values())
        self.report.created += len(created)
        self.report.updated += len(changed)
        self.report.changed_vulnerabilities |= set(by_id.values())


_CVSS_RANK = {"nvd": 3, "cve5": 2, "adp": 1, "csaf": 1}


def _rank(source: str) -> int:
    return _CVSS_RANK.get(source, 0)


def each_record(items: Iterable[tuple[str, Any]], on_item: Callable[[int, Any], None],
                on_top: Callable[[dict[str, Any]], None] | None = None) -> int:
    count = 0
    for kind, value in items:
        if kind == "item":
            on_item(count, value)
            count += 1
        elif on_top is not None:
            on_top(value)
    return count
