"""Reading a MISP feed (a directory or a URL) as an indicator feed.

The manifest says which events the feed holds and their timestamps; only events that are new
or whose timestamp moved since the last import are read (``MispFeedEvent``), each in its own
transaction: an event that does not fit is refused whole, naming the file and the place, and
the events before it stay imported. Attributes of types the platform does not keep are
skipped and counted; deleted attributes are not taken. When the feed has a ``hashes.csv``,
every value taken must be listed there for its event, or the feed is inconsistent and the
event is refused.

Nothing in the feed chooses a file name: the manifest's keys must be uuids, and event files
are named from them.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import orjson
from django.db import transaction
from django.utils.dateparse import parse_datetime

from vrisac.core.errors import DomainError
from vrisac.core.http import FetchError, fetch
from vrisac.intel import services as intel_services
from vrisac.intel import store
from vrisac.intel.feeds import FeedResult
from vrisac.intel.models import Feed

from .mapping import MispInputError, read_value
from .models import MispFeedEvent

MAX_MANIFEST_BYTES = 20 * 1024 * 1024
MAX_EVENT_BYTES = 50 * 1024 * 1024
MAX_HASHES_BYTES = 200 * 1024 * 1024
MAX_EVENTS = 100_000
MAX_ATTRIBUTES_PER_EVENT = 200_000
MAX_DEPTH = 32
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class FeedSource:
    """Where a MISP feed lives: a directory or a base URL (with an optional key)."""

    location: str
    key: str = ""

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))

    def label(self, name: str) -> str:
        return f"{self.location.rstrip('/')}/{name}"

    def read(self, name: str, limit: int) -> bytes:
        if self.is_url:
            headers = {"Authorization": self.key} if self.key else None
            base = self.location if self.location.endswith("/") else self.location + "/"
            with fetch(urljoin(base, name), max_bytes=limit, headers=headers) as got:
                return got.read()
        base_dir = Path(self.location).resolve()
        path = (base_dir / name).resolve()
        if path.parent != base_dir:
            raise DomainError(f"{self.label(name)}: outside the feed's directory.")
        if not path.is_file():
            raise DomainError(f"{self.label(name)}: no such file.")
        if path.stat().st_size > limit:
            raise DomainError(f"{self.label(name)} is larger than {limit // (1024 * 1024)} MB.")
        return path.read_bytes()

    def exists(self, name: str) -> bool:
        if self.is_url:
            return True
        return (Path(self.location) / name).is_file()


def _json(source: FeedSource, name: str, limit: int) -> Any:
    raw = source.read(name, limit)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DomainError(f"{source.label(name)}: not valid JSON ({exc}).") from None
    if _too_deep(data):
        raise DomainError(f"{source.label(name)}: nested deeper than {MAX_DEPTH} levels.")
    return data


def _too_deep(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return False


def read_manifest(source: FeedSource) -> dict[str, int]:
    """The feed's events with their timestamps; a manifest that does not fit is refused."""
    data = _json(source, "manifest.json", MAX_MANIFEST_BYTES)
    label = source.label("manifest.json")
    if not isinstance(data, dict):
        raise DomainError(f"{label}: an object of events by uuid was expected.")
    if len(data) > MAX_EVENTS:
        raise DomainError(f"{label}: more than {MAX_EVENTS} events.")
    events: dict[str, int] = {}
    for key, entry in data.items():
        ref = str(key).lower()
        if not _UUID.match(ref):
            raise DomainError(f"{label}: the key {str(key)[:60]!r} is not a uuid.")
        if not isinstance(entry, dict):
            raise DomainError(f"{label}, event {ref}: an object was expected.")
        stamp = str(entry.get("timestamp", ""))
        if not stamp.isdigit() or len(stamp) > 12:
            raise DomainError(f"{label}, event {ref}: the timestamp is not a number of "
                              "seconds.")
        events[ref] = int(stamp)
    return events


def read_hashes(source: FeedSource, wanted: set[str]) -> dict[str, set[str]] | None:
    """The MD5s ``hashes.csv`` lists for the wanted events (``None``: the feed has none)."""
    if not source.exists("hashes.csv"):
        return None
    try:
        raw = source.read("hashes.csv", MAX_HASHES_BYTES)
    except FetchError as exc:
        if "HTTP 404" in exc.message:
            return None
        raise
    label = source.label("hashes.csv")
    listed: dict[str, set[str]] = defaultdict(set)
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        digest, _sep, ref = line.strip().partition(",")
        digest, ref = digest.strip().lower(), ref.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{32}", digest) or not _UUID.match(ref):
            raise DomainError(f"{label}, line {number}: not an MD5 and an event uuid.")
        if ref in wanted:
            listed[ref].add(digest)
    return listed


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _seen(raw: Any, default: datetime) -> datetime:
    if raw in (None, ""):
        return default
    if isinstance(raw, (int, float)) or (isinstance(raw, str) and raw.isdigit()):
        try:
            return datetime.fromtimestamp(int(raw), tz=UTC)
        except (ValueError, OverflowError, OSError):
            return default
    parsed = parse_datetime(str(raw)) if isinstance(raw, str) else None
    if parsed is None:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class EventRows:
    rows: list[store.Row]
    skipped: int
    errors: list[str]


def event_rows(feed: Feed, data: Any, ref: str, label: str,
               hashes: set[str] | None) -> EventRows:
    """The indicators of one feed event; raise ``DomainError`` naming the place when the
    event does not fit (an invalid value refuses it unless the feed skips invalid ones)."""
    if not isinstance(data, dict) or not isinstance(data.get("Event"), dict):
        raise DomainError(f"{label}: an object with an Event was expected.")
    event = data["Event"]
    if str(event.get("uuid", "")).lower() != ref:
        raise DomainError(f"{label}: the event's uuid is not {ref}, the name it is listed "
                          "under.")
    attributes: list[tuple[str, Any]] = []
    raw_attributes = event.get("Attribute") or []
    raw_objects = event.get("Object") or []
    if not isinstance(raw_attributes, list) or not isinstance(raw_objects, list):
        raise DomainError(f"{label}: Attribute and Object are lists.")
    attributes.extend((f"Attribute[{i}]", a) for i, a in enumerate(raw_attributes))
    for index, obj in enumerate(raw_objects):
        inner = obj.get("Attribute") if isinstance(obj, dict) else None
        if not isinstance(inner, list):
            raise DomainError(f"{label}: Object[{index}].Attribute is a list.")
        attributes.extend((f"Object[{index}].Attribute[{i}]", a) for i, a in enumerate(inner))
    if len(attributes) > MAX_ATTRIBUTES_PER_EVENT:
        raise DomainError(f"{label}: more than {MAX_ATTRIBUTES_PER_EVENT} attributes.")
    stamp = _seen(event.get("timestamp"), datetime.now(tz=UTC))
    result = EventRows([], 0, [])
    for where, attribute in attributes:
        if not isinstance(attribute, dict):
            raise DomainError(f"{label}, {where}: an object was expected.")
        if attribute.get("deleted") in (True, 1, "1", "true"):
            continue
        misp_type = attribute.get("type")
        value = attribute.get("value")
        if not isinstance(misp_type, str) or not isinstance(value, str):
            raise DomainError(f"{label}, {where}: type and value are text.")
        try:
            readings = read_value(misp_type, value, where)
        except MispInputError as exc:
            if exc.field and exc.field.endswith(".type"):
                result.skipped += 1  # a type the platform does not keep
                continue
            if not feed.skip_invalid:
                raise DomainError(f"{label}, {exc.message}") from None
            result.skipped += 1
            result.errors.append(f"{label}, {exc.message}")
            continue
        if hashes is not None and _md5(value) not in hashes and not all(
                _md5(part) in hashes for part in value.split("|")):
            raise DomainError(f"{label}, {where}: hashes.csv does not list this value for "
                              "the event; the feed is inconsistent.")
        to_ids = attribute.get("to_ids")
        detection = (feed.for_detection if to_ids is None
                     else to_ids in (True, 1, "1", "true"))
        comment = str(attribute.get("comment") or "")[:1000]
        seen = _seen(attribute.get("timestamp"), stamp)
        first = _seen(attribute.get("first_seen"), seen)
        last = max(first, _seen(attribute.get("last_seen"), seen))
        group = index_group(where) if len(readings) > 1 else None
        for reading in readings:
            result.rows.append(store.Row(feed.pk, reading, detection, comment, first, last,
                                         group))
    return result


def index_group(where: str) -> int:
    digits = re.findall(r"\d+", where)
    return (int(digits[-1]) % 30000) + 1 if digits else 1


def misp_feed_import(*, feed: Feed, acting_user: Any = None,
                     progress: Callable[[int], None] | None = None, force: bool = False,
                     key: str = "") -> FeedResult:
    """Import the events of the MISP feed ``feed`` that are new or changed."""
    source = FeedSource(feed.url or feed.path, key=key)
    manifest = read_manifest(source)
    known = dict(MispFeedEvent.objects.filter(feed=feed).values_list("uuid", "timestamp"))
    known_text = {str(k): v for k, v in known.items()}
    todo = sorted(ref for ref, stamp in manifest.items()
                  if force or known_text.get(ref, -1) < stamp)
    result = FeedResult(status="unchanged" if not todo else "ok", lines=len(manifest))
    if not todo:
        return result
    hashes = read_hashes(source, set(todo))
    for ref in todo:
        name = f"{ref}.json"
        label = source.label(name)
        data = _json(source, name, MAX_EVENT_BYTES)
        rows = event_rows(feed, data, ref, label,
                          hashes.get(ref, set()) if hashes is not None else None)
        with transaction.atomic():
            ingest = intel_services.bulk_ingest(acting_user=acting_user, kind="feed",
                                                audit_obj=feed, rows=rows.rows)
            MispFeedEvent.objects.update_or_create(
                feed=feed, uuid=ref, defaults={"timestamp": manifest[ref],
                                               "attributes": len(rows.rows)})
        result.rows += ingest.rows
        result.added += ingest.added
        result.skipped += rows.skipped
        result.errors.extend(rows.errors[:20 - len(result.errors)])
        if progress is not None:
            progress(1)
    return result


def events_imported(feed: Feed) -> Iterator[MispFeedEvent]:
    return MispFeedEvent.objects.filter(feed=feed).order_by("uuid").iterator()
