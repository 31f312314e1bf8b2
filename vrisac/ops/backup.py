"""Backups and restores: the database, the uploaded files and so the audit chain, online.

A backup is one ``.tar.gz`` file:

* ``database/sqlite.db``: SQLite's own online backup (the sqlite3 backup API copies every page
  in one read transaction, so writers may go on); or, on PostgreSQL, ``database/<table>.copy``
  per table: a logical dump through psycopg's COPY, all tables read in ONE REPEATABLE READ,
  READ ONLY transaction, so they are one consistent snapshot while the platform keeps writing
  (no pg_dump binaries needed, and the dump does not depend on the server's major version).
* ``files/...``: every file in the attachments folder (reports' attachments and every other
  upload kept in that storage), read after the database snapshot: uploads are written before
  the row naming them commits, so each file the snapshot names is there.
* ``manifest.json``: what is inside, with the rows and a SHA-256 of every table's content
  (its rows in primary-key order) and of every file, the migrations applied, and the head of
  the audit chain. ``restore`` checks all of it before and after loading.

Restores go into an empty database (or replace a non-empty one only when told, after taking a
backup of it first), in one transaction, and check every table and file against the manifest
before committing: a restore either completes exactly or changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from vrisac.core.errors import DomainError

FORMAT = 1
NAME_PATTERN = re.compile(r"^vrisac-(\d{8}T\d{6}Z)\.tar\.gz$")
CHUNK = 1024 * 1024
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/sqlite.db"
#: Rows that tell whether a database holds anything worth keeping.
_CONTENT_TABLES = ("accounts_user", "core_auditevent")

Progress = Callable[[str], None]


class BackupError(DomainError):
    code = "backup"


@dataclass
class TableDigest:
    rows: int
    sha256: str
    columns: list[str] = field(default_factory=list)


@dataclass
class BackupResult:
    path: Path
    size: int
    tables: int
    rows: int
    files: int
    audit_head: int


def _quiet(_message: str) -> None:
    return None


# --- what is in the database ---------------------------------------------------------------

def _excluded_tables() -> set[str]:
    """The database cache holds nothing that must survive (login counters, rate limits)."""
    excluded = set()
    for cache in settings.CACHES.values():
        if cache.get("BACKEND", "").endswith("DatabaseCache"):
            excluded.add(cache["LOCATION"])
    return excluded


def _tables(conn: Any = None) -> list[str]:
    conn = conn or connection
    with conn.cursor() as cursor:
        names = conn.introspection.table_names(cursor)
    excluded = _excluded_tables()
    return sorted(n for n in names if n not in excluded and not n.startswith("sqlite_"))


def _columns(cursor: Any, table: str) -> list[str]:
    return sorted(c.name for c in connection.introspection.get_table_description(cursor, table))


def _order(cursor: Any, table: str) -> list[str]:
    keys = connection.introspection.get_primary_key_columns(cursor, table) or []
    return keys or _columns(cursor, table)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _copy_out_sql(table: str, columns: list[str], order: list[str]) -> str:
    cols = ", ".join(_q(c) for c in columns)
    return (f"COPY (SELECT {cols} FROM {_q(table)} "  # noqa: S608
            f"ORDER BY {', '.join(_q(c) for c in order)}) TO STDOUT")


def _digest_rows(rows: Iterable[tuple[Any, ...]]) -> TableDigest:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                      .encode())
        digest.update(b"\n")
        count += 1
    return TableDigest(rows=count, sha256=digest.hexdigest())


def _sqlite_digests(db: sqlite3.Connection) -> dict[str, TableDigest]:
    excluded = _excluded_tables()
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    found = {}
    for table in names:
        if table in excluded:
            continue
        info = list(db.execute(f'PRAGMA table_info("{table}")'))
        columns = sorted(r[1] for r in info)
        keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or columns
        cols = ", ".join(f'"{c}"' for c in columns)
        order = ", ".join(f'"{c}"' for c in keys)
        rows = db.execute(f'SELECT {cols} FROM "{table}" ORDER BY {order}')  # noqa: S608
        found[table] = _digest_rows(rows)
        found[table].columns = columns
    return found


def _pg_copy_digest(cursor: Any, table: str, columns: list[str], order: list[str],
                    out: IO[bytes] | None = None) -> TableDigest:
    digest = hashlib.sha256()
    rows = 0
    with cursor.copy(_copy_out_sql(table, columns, order)) as copy:
        for data in copy:
            chunk = bytes(data)
            digest.update(chunk)
            rows += chunk.count(b"\n")
            if out is not None:
                out.write(chunk)
    return TableDigest(rows=rows, sha256=digest.hexdigest(), columns=columns)


def table_digests() -> dict[str, TableDigest]:
    """Rows and SHA-256 of every table of the live database, as the manifest records them."""
    if connection.vendor == "sqlite":
        # Plain values, as stored (Django's own connection converts some on reading).
        db = _sqlite_file_connection()
        try:
            return _sqlite_digests(db)
        finally:
            db.close()
    found = {}
    with connection.cursor() as wrapper:
        raw = wrapper.cursor
        for table in _tables():
            columns = _columns(wrapper, table)
            found[table] = _pg_copy_digest(raw, table, columns, _order(wrapper, table))
    return found


# --- files ---------------------------------------------------------------------------------

def files_root() -> Path:
    return Path(settings.ATTACHMENT_ROOT)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digests(root: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every kept file under the attachments folder (not half-written uploads)."""
    root = root or files_root()
    found: dict[str, dict[str, Any]] = {}
    if not root.exists():
        return found
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".upload-"):
            found[path.relative_to(root).as_posix()] = {"size": path.stat().st_size,
                                                        "sha256": _file_digest(path)}
    return found


# --- making a backup -----------------------------------------------------------------------

def default_name(now: datetime | None = None) -> str:
    return f"vrisac-{(now or timezone.now()).astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def _target(path: Path | None) -> Path:
    if path is None:
        path = Path(settings.VRISAC_BACKUP_DIR)
    if path.is_dir() or not path.name.endswith((".tar.gz", ".tgz")):
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = path / default_name()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never overwrites one.")
    return path


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _migrations_in(rows: Iterable[tuple[str, str]]) -> list[list[str]]:
    return sorted([app, name] for app, name in rows)


def _sqlite_file_connection() -> sqlite3.Connection:
    return sqlite3.connect(connection.settings_dict["NAME"], timeout=30)


def _snapshot_sqlite(tar: tarfile.TarFile, work: Path, progress: Progress) -> dict[str, Any]:
    snapshot = work / "snapshot.sqlite3"
    # A connection of its own, as another process would have: it reads committed data only.
    source = _sqlite_file_connection()
    target = sqlite3.connect(snapshot)
    try:
        progress("database: SQLite online backup")
        source.backup(target)
    finally:
        target.close()
        source.close()
    db = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        tables = _sqlite_digests(db)
        migrations = _migrations_in(db.execute("SELECT app, name FROM django_migrations"))
        head = db.execute("SELECT seq, hash FROM core_auditchainhead WHERE id = 1").fetchone()
    finally:
        db.close()
    tar.add(snapshot, arcname=SQLITE_MEMBER)
    return {"tables": tables, "migrations": migrations, "audit_head": head}


def _snapshot_postgresql(tar: tarfile.TarFile, work: Path, progress: Progress
                         ) -> dict[str, Any]:
    import psycopg

    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        tables: dict[str, TableDigest] = {}
        with raw.cursor() as cursor, connection.cursor() as wrapper:
            # The first statement fixes the snapshot every COPY below reads.
            cursor.execute("SELECT 1")
            for table in _tables():
                columns = _columns(wrapper, table)
                order = _order(wrapper, table)
                progress(f"database: {table}")
                part = work / f"{table}.copy"
                with part.open("wb") as out:
                    tables[table] = _pg_copy_digest(cursor, table, columns, order, out)
                tar.add(part, arcname=f"database/{table}.copy")
                part.unlink()
            cursor.execute("SELECT app, name FROM django_migrations")
            migrations = _migrations_in(cursor.fetchall())
            cursor.execute("SELECT seq, hash FROM core_auditchainhead WHERE id = 1")
            head = cursor.fetchone()
        raw.rollback()
    finally:
        raw.close()
    return {"tables": tables, "migrations": migrations, "audit_head": head}


def backup_create(*, path: Path | None = None, progress: Progress = _quiet) -> BackupResult:
    """Write a backup while the platform runs; the file appears under its name only when
    complete (written beside it first, then renamed)."""
    target = _target(path)
    partial = target.with_name(f".{target.name}.partial")
    created = timezone.now()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as tmp:
        work = Path(tmp)
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw_out, \
                    tarfile.open(fileobj=raw_out, mode="w:gz", compresslevel=6) as tar:
                if connection.vendor == "sqlite":
                    db = _snapshot_sqlite(tar, work, progress)
                elif connection.vendor == "postgresql":
                    db = _snapshot_postgresql(tar, work, progress)
                else:
                    raise BackupError(f"backups of {connection.vendor} are not supported")
                root = files_root()
                files = file_digests(root)
                progress(f"files: {len(files)}")
                for rel in files:
                    tar.add(root / rel, arcname=f"files/{rel}")
                head = db["audit_head"] or (0, "0" * 64)
                manifest = {
                    "format": FORMAT,
                    "created_at": created.isoformat(),
                    "engine": connection.vendor,
                    "migrations": db["migrations"],
                    "tables": {name: vars(d) for name, d in db["tables"].items()},
                    "files": files,
                    "audit_head": {"seq": head[0], "hash": head[1]},
                }
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
                raw_out.flush()
                os.fsync(raw_out.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    tables: dict[str, Any] = manifest["tables"]
    return BackupResult(path=target, size=target.stat().st_size, tables=len(tables),
                        rows=sum(t["rows"] for t in tables.values()), files=len(files),
                        audit_head=int(head[0]))


# --- reading and checking a backup ---------------------------------------------------------

@contextlib.contextmanager
def opened(path: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Unpack a backup into a private temporary folder and check every member against the
    manifest; yields (manifest, folder)."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with tempfile.TemporaryDirectory(prefix="vrisac-restore-") as tmp:
        folder = Path(tmp)
        try:
            with tarfile.open(path, mode="r:gz") as tar:
                tar.extractall(folder, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{path} is not a readable backup ({exc}).") from None
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise BackupError(f"{path} has no {MANIFEST}: not a VR-ISAC backup.")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path} has format {manifest.get('format')!r}; this version "
                              f"reads format {FORMAT}.")
        for rel, facts in manifest["files"].items():
            member = folder / "files" / rel
            if not member.is_file() or _file_digest(member) != facts["sha256"]:
                raise BackupError(f"{path}: the file {rel} is missing or damaged.")
        if manifest["engine"] == "sqlite":
            db = sqlite3.connect(f"file:{folder / SQLITE_MEMBER}?mode=ro", uri=True)
            try:
                found = _sqlite_digests(db)
            finally:
                db.close()
            _compare(manifest["tables"], found, where=str(path))
        else:
            for table, facts in manifest["tables"].items():
                member = folder / "database" / f"{table}.copy"
                if not member.is_file() or _file_digest(member) != facts["sha256"]:
                    raise BackupError(f"{path}: the table {table} is missing or damaged.")
        yield manifest, folder


def _compare(expected: dict[str, Any], found: dict[str, TableDigest], *, where: str) -> None:
    for table, facts in expected.items():
        got = found.get(table)
        if got is None:
            raise BackupError(f"{where}: the table {table} is missing.")
        if got.sha256 != facts["sha256"] or got.rows != facts["rows"]:
            raise BackupError(f"{where}: the table {table} differs from the backup "
                              f"({got.rows} rows, {facts['rows']} expected).")


def backup_check(path: Path) -> dict[str, Any]:
    """Check a backup without restoring it: every table and file against its manifest."""
    with opened(path) as (manifest, _folder):
        return manifest


# --- restoring -----------------------------------------------------------------------------

def database_is_empty() -> bool:
    existing = set(_tables())
    with connection.cursor() as cursor:
        for table in _CONTENT_TABLES:
            if table in existing:
                cursor.execute(f"SELECT 1 FROM {_q(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return False
    return True


def _migrate_to(applied: list[list[str]]) -> None:
    """Bring the schema to exactly the migrations the backup was made with."""
    wanted = {(app, name) for app, name in applied}
    loader = MigrationLoader(connection)
    unknown = sorted(f"{a}.{n}" for a, n in wanted - set(loader.graph.nodes))
    if unknown:
        raise BackupError("The backup was made by a newer version of the platform (migrations "
                          f"{', '.join(unknown[:5])} are unknown here); restore it with that "
                          "version.")
    targets: list[tuple[str, str | None]] = []
    for app in sorted({a for a, _n in loader.graph.nodes}):
        mine = [n for n in loader.graph.leaf_nodes(app)]
        plan = loader.graph.forwards_plan(mine[0]) if mine else []
        last = None
        for node in plan:
            if node[0] == app and node in wanted:
                last = node[1]
        targets.append((app, last))
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    now_applied = {k for k in executor.loader.applied_migrations}
    if now_applied != wanted:
        raise BackupError("This database cannot be brought to the backup's migrations; "
                          "restore into a new, empty database.")


def _stage_files(folder: Path, manifest: dict[str, Any]) -> Path:
    root = files_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=".restore-files-"))
    for rel in manifest["files"]:
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / "files" / rel, target)
    return staging


def _place_files(staging: Path) -> None:
    root = files_root()
    if root.exists():
        aside = root.with_name(f".{root.name}-replaced-{timezone.now():%Y%m%d%H%M%S}")
        root.rename(aside)
        shutil.rmtree(aside)
    staging.rename(root)


def _restore_sqlite(folder: Path, manifest: dict[str, Any]) -> None:
    source = sqlite3.connect(f"file:{folder / SQLITE_MEMBER}?mode=ro", uri=True)
    target = _sqlite_file_connection()
    try:
        connection.close()
        # One step: the whole database is replaced in a single write transaction.
        source.backup(target)
    finally:
        target.close()
        source.close()
    _compare(manifest["tables"], table_digests(), where="the restored database")


def _user_triggers(cursor: Any, tables: Iterable[str], *, enabled: bool) -> None:
    """Switch the tables' own triggers off or on (ALTER TABLE, which the tables' owner may
    do; no superuser needed), inside the restore's transaction."""
    action = "ENABLE" if enabled else "DISABLE"
    for table in tables:
        cursor.execute(f"ALTER TABLE {_q(table)} {action} TRIGGER USER")


def _restore_postgresql(folder: Path, manifest: dict[str, Any], progress: Progress) -> None:
    _migrate_to(manifest["migrations"])
    tables = manifest["tables"]
    with transaction.atomic():
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            present = set(_tables())
            missing = sorted(set(tables) - present)
            if missing:
                raise BackupError(f"the tables {', '.join(missing[:5])} are missing here.")
            names = ", ".join(_q(t) for t in tables)
            wrapper.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            # The rows go in as they were, triggers off: a trigger that derives rows (the
            # search index from knowledge items and reports) would write rows that the
            # backup holds too (a duplicate key) or a value of its own. Constraint triggers
            # (foreign keys, checked at commit) stay on. Back on before the commit.
            _user_triggers(wrapper, tables, enabled=False)
            for table, facts in tables.items():
                progress(f"database: {table}")
                cols = ", ".join(_q(c) for c in facts["columns"])
                with (folder / "database" / f"{table}.copy").open("rb") as handle, \
                        raw.copy(f"COPY {_q(table)} ({cols}) FROM STDIN") as copy:
                    while chunk := handle.read(CHUNK):
                        copy.write(chunk)
            # The foreign keys are checked now (they wait for the commit otherwise, and a
            # table with checks pending cannot have its triggers switched back on).
            wrapper.execute("SET CONSTRAINTS ALL IMMEDIATE")
            _user_triggers(wrapper, tables, enabled=True)
            for table in tables:
                for column in connection.introspection.get_sequences(wrapper, table):
                    col = column["column"]
                    highest = f"SELECT MAX({_q(col)}) FROM {_q(table)}"  # noqa: S608
                    wrapper.execute("SELECT setval(pg_get_serial_sequence(%s, %s), "
                                    f"COALESCE(({highest}), 0) + 1, false)", [_q(table), col])
        _compare(tables, table_digests(), where="the restored database")


def backup_restore(*, path: Path, replace: bool = False, progress: Progress = _quiet
                   ) -> dict[str, Any]:
    """Restore ``path`` into this (empty) database and attachments folder. With ``replace``
    a database holding data is replaced, after a backup of it is taken (its path is in the
    answer). Either everything is restored and checked, or nothing changes."""
    safety: BackupResult | None = None
    with opened(path) as (manifest, folder):
        if manifest["engine"] != connection.vendor:
            raise BackupError(f"{path} is a {manifest['engine']} backup; this platform runs on "
                              f"{connection.vendor}.")
        if not database_is_empty():
            if not replace:
                raise BackupError("This database holds data. Restore into an empty database, "
                                  "or pass --replace to replace it (a backup of it is taken "
                                  "first).")
            safety = backup_create(progress=progress)
            progress(f"backup of the replaced data: {safety.path}")
        staging = _stage_files(folder, manifest)
        try:
            if connection.vendor == "sqlite":
                _restore_sqlite(folder, manifest)
            else:
                _restore_postgresql(folder, manifest, progress)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _place_files(staging)
    for alias in connections:
        connections[alias].close()
    return {"tables": len(manifest["tables"]), "files": len(manifest["files"]),
            "audit_head": manifest["audit_head"]["seq"], "created_at": manifest["created_at"],
            "replaced_backup": str(safety.path) if safety else None}


# --- rotation ------------------------------------------------------------------------------

def backup_time(path: Path) -> datetime | None:
    match = NAME_PATTERN.match(path.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def to_keep(stamps: Iterable[datetime], *, daily: int, weekly: int, monthly: int
            ) -> set[datetime]:
    """Grandfather-father-son: the newest backup of each of the last ``daily`` days,
    ``weekly`` ISO weeks and ``monthly`` months that have one (Amsterdam calendar); the newest
    backup is always kept."""
    ordered = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set(ordered[:1])
    local_tz = timezone.get_default_timezone()

    def pick(key: Callable[[date], Any], count: int) -> None:
        seen: list[Any] = []
        for stamp in ordered:
            bucket = key(stamp.astimezone(local_tz).date())
            if bucket in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(bucket)
            keep.add(stamp)

    pick(lambda d: d, daily)
    pick(lambda d: d.isocalendar()[:2], weekly)
    pick(lambda d: (d.year, d.month), monthly)
    return keep


def _backups_in(directory: Path) -> dict[datetime, Path]:
    """The backups in ``directory`` by their time: files named as this platform names them."""
    return {stamp: path for path in directory.iterdir()
            if (stamp := backup_time(path)) is not None and path.is_file()}


def backup_newest(path: Path) -> Path:
    """``path`` itself, or for a folder its newest backup (by the time in its name)."""
    if not path.is_dir():
        return path
    found = _backups_in(path)
    if not found:
        raise BackupError(f"{path} holds no backup (no file named vrisac-<UTC time>.tar.gz, "
                          "as `vrisac backup` names them).")
    return found[max(found)]


def backups_rotate(*, directory: Path | None = None, daily: int | None = None,
                   weekly: int | None = None, monthly: int | None = None) -> list[Path]:
    """Remove the backups in ``directory`` that the rotation no longer keeps (only files named
    as this platform names them); returns what was removed."""
    directory = directory or Path(settings.VRISAC_BACKUP_DIR)
    if not directory.is_dir():
        return []
    found = _backups_in(directory)
    keep = to_keep(found, daily=settings.VRISAC_BACKUP_KEEP_DAILY if daily is None else daily,
                   weekly=settings.VRISAC_BACKUP_KEEP_WEEKLY if weekly is None else weekly,
                   monthly=settings.VRISAC_BACKUP_KEEP_MONTHLY if monthly is None else monthly)
    removed = []
    for stamp, path in sorted(found.items()):
        if stamp not in keep:
            path.unlink()
            removed.append(path)
    return removed
