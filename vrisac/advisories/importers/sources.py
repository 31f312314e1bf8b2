"""Where the importers read from: local files and directories, and URLs fetched through the
one guarded client (``vrisac.core.http.fetch``).

A CSAF provider is followed from its ``provider-metadata.json``: each distribution's
``directory_url`` (its ``changes.csv``, newest first, or else its ``index.txt``) and each
ROLIE feed (``feed.entry[].content.src``). Only documents changed since the last successful
run of that provider are fetched again; a re-import of an unchanged document changes nothing
anyway.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import orjson

from vrisac.core.http import FetchError, fetch

from .common import FileError, ImportReport, limit_bytes, open_stream, parse_datetime

MAX_INDEX_BYTES = 20 * 1024 * 1024
MAX_DOCUMENTS_PER_RUN = 20_000


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def local_files(path: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """A file, or every file with one of ``suffixes`` under a directory, in name order."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.name.lower().endswith(suffixes) and \
                    child.name != "provider-metadata.json":
                yield child
    else:
        yield path


def with_url(url: str, kind: str, handle: Callable[[IO[bytes]], None],
             headers: dict[str, str] | None = None) -> None:
    """Fetch ``url`` and hand its (un-gzipped, size-capped) body to ``handle``."""
    limit = limit_bytes(kind)
    with fetch(url, max_bytes=limit, headers=headers) as got:
        stream = open_stream(_ChunkReader(got.chunks), name=url, limit=limit)  # type: ignore[arg-type]
        handle(stream)


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.buffer:
            try:
                self.buffer = next(self.chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data = self.buffer + b"".join(self.chunks)
            self.buffer = b""
            return data
        return super().read(size) or b""


def fetch_bytes(url: str, max_bytes: int) -> bytes:
    with fetch(url, max_bytes=max_bytes) as got:
        return got.read()


def csaf_document_urls(url: str, report: ImportReport, since: datetime | None
                       ) -> tuple[list[str], datetime | None]:
    """The advisory URLs a provider-metadata.json, a ROLIE feed, a directory (its
    changes.csv or index.txt) or a single document URL lead to, changed after ``since``;
    and the newest change date seen."""
    if url.endswith("provider-metadata.json"):
        metadata = orjson.loads(fetch_bytes(url, MAX_INDEX_BYTES))
        urls: list[str] = []
        newest = None
        for i, distribution in enumerate(metadata.get("distributions") or []):
            targets = []
            if distribution.get("directory_url"):
                targets.append(distribution["directory_url"].rstrip("/") + "/")
            for feed in (distribution.get("rolie") or {}).get("feeds") or []:
                label = str(feed.get("tlp_label", "")).upper()
                if label == "RED":
                    report.notes.append(f"{feed.get('url')}: TLP:RED feed not read")
                    continue
                targets.append(feed.get("url", ""))
            for target in targets:
                try:
                    found, latest = csaf_document_urls(target, report, since)
                except (FetchError, FileError, ValueError) as exc:
                    report.skip(url, f"distributions[{i}]", target, str(exc)[:300])
                    continue
                urls.extend(found)
                if latest and (newest is None or latest > newest):
                    newest = latest
        return _unique(urls), newest
    if url.endswith("/"):
        try:
            return _from_changes(url, since)
        except FetchError:
            text = fetch_bytes(urljoin(url, "index.txt"), MAX_INDEX_BYTES).decode("utf-8")
            return [urljoin(url, line.strip()) for line in text.splitlines()
                    if line.strip().endswith(".json")], None
    if url.endswith(".json"):
        body = fetch_bytes(url, limit_bytes("csaf"))
        parsed = orjson.loads(body)
        if isinstance(parsed, dict) and "feed" in parsed:
            return _from_rolie(parsed, url, since)
        return [url], None
    raise FileError(f"{url} is not a provider-metadata.json, a directory URL (ending in /), "
                    "a ROLIE feed or a CSAF document")


def _from_changes(url: str, since: datetime | None) -> tuple[list[str], datetime | None]:
    text = fetch_bytes(urljoin(url, "changes.csv"), MAX_INDEX_BYTES).decode("utf-8")
    urls = []
    newest = None
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or not row[0].endswith(".json"):
            continue
        changed = parse_datetime(row[1].strip(), "changes.csv")
        if changed and (newest is None or changed > newest):
            newest = changed
        if since is None or changed is None or changed > since:
            urls.append(urljoin(url, row[0].strip()))
    return urls, newest


def _from_rolie(feed: dict[str, Any], url: str, since: datetime | None
                ) -> tuple[list[str], datetime | None]:
    urls = []
    newest = None
    for entry in (feed.get("feed") or {}).get("entry") or []:
        updated = parse_datetime(entry.get("updated"), "feed.entry.updated")
        if updated and (newest is None or updated > newest):
            newest = updated
        if since is not None and updated is not None and updated <= since:
            continue
        src = (entry.get("content") or {}).get("src")
        if not src:
            src = next((link.get("href") for link in entry.get("link") or []
                        if link.get("rel") == "self"), None)
        if src:
            urls.append(urljoin(url, src))
    return urls, newest


def _unique(urls: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for u in urls:
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out[:MAX_DOCUMENTS_PER_RUN]
