"""External indicator feeds: configured by coordinators, fetched by the task worker on the
schedule (``intel.fetch_feeds``) or by hand (``vrisac import_feed NAME|PATH``).

A fetch reads the feed from its URL (through the one guarded HTTP client) or local path into
a temporary file while hashing it, so an unchanged feed costs nothing; then parses it line
by line (CSV or free text, one value per line) and writes it through the bulk path in ONE
transaction: an invalid line refuses the whole import (naming the line) unless the feed is
set to skip invalid lines, and nothing already stored changes. Re-importing the same feed
adds nothing: an indicator is stored once per feed, a repeat only moves its last seen.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.core.http import fetch
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import viewer_for
from vrisac.sharing.rules import validate_sharing

from . import services, store
from .models import Feed
from .normalise import TYPES, InvalidValue, normalise, normalise_any

MAX_FEED_BYTES = 100 * 1024 * 1024
MAX_LINE_CHARS = 8192
MAX_ERRORS_SHOWN = 20
_COMMENT_PREFIXES = ("#", "//", ";")
_UNRECOGNISABLE = frozenset({"filename", "mutex", "user_agent"})


def feed_dir() -> Path:
    """Where local feed files may live when a feed is configured on the web or the API."""
    return Path(getattr(settings, "VRISAC_FEED_DIR", settings.DATA_DIR / "feeds"))


@dataclass
class FeedResult:
    status: str
    lines: int = 0
    rows: int = 0
    added: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "lines": self.lines, "rows": self.rows,
                "added": self.added, "skipped": self.skipped, "errors": self.errors}


# --- configuration --------------------------------------------------------------------------

@transaction.atomic
def feed_save(*, acting_user: Any, feed: Feed | None = None, name: str, title: str,
              url: str = "", path: str = "", format: str = "text", value_column: str = "",
              type_column: str = "", comment_column: str = "", delimiter: str = ",",
              has_header: bool = True, default_type: str = "", for_detection: bool = True,
              skip_invalid: bool = False, interval_minutes: int = 60, enabled: bool = True,
              tlp: str = "TLP:GREEN", audience: str = Audience.PARTICIPANTS,
              description: str = "", trusted_path: bool = False) -> Feed:
    """Create or change a feed (ISAC coordinators). A local path given on the web or the
    API must lie in the feeds folder; the command line (the operator) may name any file."""
    viewer = viewer_for(acting_user)
    if not viewer.is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators manage feeds."))
    name = (name or "").strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        raise DomainError(_("A feed's name uses letters, digits, - and _."), field="name")
    others = Feed.objects.filter(name=name)
    if feed is not None:
        others = others.exclude(pk=feed.pk)
    if others.exists():
        raise DomainError(_("There is already a feed called %(n)s.") % {"n": name},
                          field="name")
    url, path = (url or "").strip(), (path or "").strip()
    if bool(url) == bool(path):
        raise DomainError(_("Give either a URL or a local path."), field="url")
    if url and not url.lower().startswith(("http://", "https://")):
        raise DomainError(_("A feed's URL starts with http:// or https://."), field="url")
    if path:
        resolved = Path(path).expanduser().resolve()
        if not trusted_path and not resolved.is_relative_to(feed_dir().resolve()):
            raise DomainError(_("A local feed file must lie in %(d)s.") % {"d": feed_dir()},
                              field="path")
        path = str(resolved)
    if format not in Feed.Format.values:
        raise DomainError(_("A feed is CSV or free text."), field="format")
    if default_type and default_type not in TYPES:
        raise DomainError(_("Unknown indicator type."), field="default_type")
    if format == Feed.Format.CSV and not value_column:
        value_column = "1"
    if len(delimiter or "") != 1:
        raise DomainError(_("The delimiter is one character."), field="delimiter")
    if not 5 <= int(interval_minutes) <= 10_080:
        raise DomainError(_("Fetch between every 5 minutes and once a week."),
                          field="interval_minutes")
    if audience not in (Audience.PARTICIPANTS, Audience.PARTNERS, Audience.PUBLIC,
                        Audience.ORGANISATION):
        raise DomainError(_("A feed is shared with the participants, the partners, everyone "
                            "or the own organisation."), field="audience")
    validate_sharing(tlp=tlp, audience=audience, organisations=[], people=[])
    creating = feed is None
    if feed is None:
        assert viewer.organisation_id is not None
        feed = Feed(author=acting_user, organisation_id=viewer.organisation_id,
                    status=Status.PUBLISHED)
    changed_source = not creating and (feed.url, feed.path, feed.format) != (url, path, format)
    for attr, value in {
        "name": name, "title": (title or name).strip()[:200], "url": url, "path": path,
        "format": format, "value_column": value_column.strip(),
        "type_column": type_column.strip(), "comment_column": comment_column.strip(),
        "delimiter": delimiter, "has_header": has_header, "default_type": default_type or "",
        "for_detection": for_detection, "skip_invalid": skip_invalid,
        "interval_minutes": int(interval_minutes), "enabled": enabled, "tlp": tlp,
        "audience": audience, "description": (description or "").strip()[:2000],
    }.items():
        setattr(feed, attr, value)
    if changed_source:
        feed.content_sha256 = feed.etag = ""
    feed.save()
    audit_record(action="intel.feed.create" if creating else "intel.feed.edit",
                 actor=acting_user, obj=feed,
                 details={"name": name, "format": format, "tlp": tlp, "audience": audience,
                          "source": "url" if url else "path"})
    return feed


def feed_fetch_queue(*, feed: Feed, acting_user: Any) -> Any:
    from vrisac.core.jobs import job_enqueue

    return job_enqueue("intel.fetch_feed", arguments={"feed": feed.pk},
                       triggered_by=acting_user)


# --- reading ------------------------------------------------------------------------------

def _spool(feed: Feed, target: IO[bytes]) -> tuple[str, str]:
    """Copy the feed's content into ``target``; return (sha256, etag). '' as sha means the
    server answered 304 Not Modified."""
    digest = hashlib.sha256()
    size = 0
    if feed.url:
        headers = {"If-None-Match": feed.etag} if feed.etag else None
        with fetch(feed.url, max_bytes=MAX_FEED_BYTES, headers=headers) as got:
            if got.status == 304:
                return "", feed.etag
            for chunk in got.chunks:
                digest.update(chunk)
                target.write(chunk)
            return digest.hexdigest(), got.headers.get("ETag", "")[:200]
    source = Path(feed.path)
    if not source.is_file():
        raise DomainError(_("The feed file %(p)s does not exist.") % {"p": feed.path})
    with source.open("rb") as handle:
        while chunk := handle.read(64 * 1024):
            size += len(chunk)
            if size > MAX_FEED_BYTES:
                raise DomainError(_("The feed file %(p)s is larger than %(n)d MB.")
                                  % {"p": feed.path, "n": MAX_FEED_BYTES // (1024 * 1024)})
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest(), ""


def _lines(handle: IO[bytes], label: str) -> Iterator[tuple[int, str]]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="strict", newline="")
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            if "\x00" in line:
                raise DomainError(_("%(f)s, line %(n)d: binary data, not text.")
                                  % {"f": label, "n": number})
            if len(line) > MAX_LINE_CHARS:
                raise DomainError(_("%(f)s, line %(n)d is longer than %(m)d characters.")
                                  % {"f": label, "n": number, "m": MAX_LINE_CHARS})
            yield number, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise DomainError(_("%(f)s, after line %(n)d: not UTF-8 text.")
                          % {"f": label, "n": number}) from None


def _column(header: list[str] | None, spec: str, label: str) -> int | None:
    if not spec:
        return None
    if spec.isdigit():
        return int(spec) - 1
    if header is None:
        raise DomainError(_("%(f)s: column %(c)s is named, but the feed has no header.")
                          % {"f": label, "c": spec})
    lowered = [h.strip().lower() for h in header]
    if spec.lower() not in lowered:
        raise DomainError(_("%(f)s: the header has no column %(c)s.") % {"f": label, "c": spec})
    return lowered.index(spec.lower())


def _reading(raw: str, type_: str | None) -> Any:
    if type_:
        return normalise(type_, raw)
    # Without a configured type, only values that show their type are taken: a bare word
    # could be anything, so it is refused rather than guessed as a file name or mutex.
    readings = [r for r in normalise_any(raw) if r.type not in _UNRECOGNISABLE]
    if not readings:
        raise InvalidValue(_("%(v)s is not a recognised indicator; set the feed's type of "
                             "the values.") % {"v": raw[:80]})
    return readings[0]


def parse(feed: Feed, handle: IO[bytes], label: str, now: datetime,
          result: FeedResult) -> Iterator[store.Row]:
    """The rows of a feed file; invalid lines raise (or are counted when skipped)."""
    lines = _lines(handle, label)

    def bad(number: int, message: str) -> None:
        result.skipped += 1
        if len(result.errors) < MAX_ERRORS_SHOWN:
            result.errors.append(_("line %(n)d: %(m)s") % {"n": number, "m": message})
        if not feed.skip_invalid:
            raise DomainError(_("%(f)s, line %(n)d: %(m)s") % {"f": label, "n": number,
                                                              "m": message})

    def row(item: Any, comment: str, first: datetime = now, last: datetime = now) -> store.Row:
        return store.Row(feed.pk, item, feed.for_detection, comment[:1000], first, last)

    if feed.format == Feed.Format.TEXT:
        for number, line in lines:
            result.lines += 1
            text = line.strip()
            if not text or text.startswith(_COMMENT_PREFIXES):
                continue
            value, _sep, comment = text.partition(" #")
            value = value.split()[0] if value.split() else ""
            try:
                yield row(_reading(value, feed.default_type or None), comment.strip())
            except InvalidValue as exc:
                bad(number, exc.message)
        return
    numbered = ((n, line) for n, line in lines
                if line.strip() and not line.lstrip().startswith(_COMMENT_PREFIXES))
    current = [0]

    def only_lines() -> Iterator[str]:
        for number, line in numbered:
            current[0] = number
            result.lines += 1
            yield line

    reader = csv.reader(only_lines(), delimiter=feed.delimiter)
    header = next(reader, None) if feed.has_header else None
    value_at = _column(header, feed.value_column or "1", label)
    type_at = _column(header, feed.type_column, label)
    comment_at = _column(header, feed.comment_column, label)
    lowered = [h.strip().lower() for h in header] if header else []
    first_at = lowered.index("first_seen") if "first_seen" in lowered else None
    last_at = lowered.index("last_seen") if "last_seen" in lowered else None
    for cells in reader:
        number = current[0]
        try:
            if value_at is None or value_at >= len(cells):
                raise InvalidValue(_("the value column is missing."))
            type_ = (cells[type_at].strip().lower() if type_at is not None
                     and type_at < len(cells) else feed.default_type or None)
            comment = cells[comment_at] if comment_at is not None and comment_at < len(cells) \
                else ""
            item = _reading(cells[value_at], type_)
            first = _seen(cells, first_at, now)
            last = _seen(cells, last_at, max(now, first))
            yield row(item, comment.strip(), first, max(first, last))
        except InvalidValue as exc:
            bad(number, exc.message)


def _seen(cells: list[str], at: int | None, default: datetime) -> datetime:
    if at is None or at >= len(cells) or not cells[at].strip():
        return default
    parsed = parse_datetime(cells[at].strip())
    if parsed is None:
        raise InvalidValue(_("%(v)s is not a date and time.") % {"v": cells[at][:40]})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


#: Importers of feed formats that other apps provide (``misp``): each reads the feed itself
#: and returns a ``FeedResult``; the outcome is recorded here as for every feed.
_FORMATS: dict[str, Callable[..., FeedResult]] = {}


def register_format(name: str, importer: Callable[..., FeedResult]) -> None:
    _FORMATS[name] = importer


def feed_import(*, feed: Feed, acting_user: Any = None,
                progress: Callable[[int], None] | None = None, force: bool = False,
                key: str = "") -> FeedResult:
    """Fetch and import one feed now. The outcome is written on the feed and in the audit
    log whether it succeeded or not; a refused import raises ``DomainError`` after that.
    ``key`` is sent as the ``Authorization`` header by importers that fetch with one."""
    now = timezone.now()
    importer = _FORMATS.get(feed.format)
    if importer is not None:
        try:
            result = importer(feed=feed, acting_user=acting_user, progress=progress,
                              force=force, key=key)
        except DomainError as exc:
            _record(feed, acting_user, FeedResult(status="failed", errors=[exc.message]), now,
                    None, None)
            raise
        _record(feed, acting_user, result, now, None, None)
        return result
    label = feed.url or feed.path
    with tempfile.TemporaryFile() as spool:
        try:
            sha, etag = _spool(feed, spool)
            if sha == "" or (sha == feed.content_sha256 and not force):
                result = FeedResult(status="unchanged")
            else:
                spool.seek(0)
                result = FeedResult(status="ok")
                ingest = services.bulk_ingest(
                    acting_user=acting_user, kind="feed", audit_obj=feed,
                    rows=parse(feed, spool, label, now, result), progress=progress,
                    read_ahead=True)
                result.rows, result.added = ingest.rows, ingest.added
        except DomainError as exc:
            result = FeedResult(status="failed", errors=[exc.message])
            _record(feed, acting_user, result, now, None, None)
            raise
    _record(feed, acting_user, result, now, sha or feed.content_sha256, etag)
    return result


@transaction.atomic
def _record(feed: Feed, acting_user: Any, result: FeedResult, now: datetime,
            sha: str | None, etag: str | None) -> None:
    feed.last_fetched_at = now
    feed.last_status = result.status
    feed.last_message = "\n".join(result.errors)[:5000]
    if result.status != "failed":
        feed.last_count = result.rows if result.status == "ok" else feed.last_count
        feed.last_added = result.added
        feed.content_sha256 = sha or ""
        feed.etag = etag or ""
    Feed.objects.filter(pk=feed.pk).update(
        last_fetched_at=feed.last_fetched_at, last_status=feed.last_status,
        last_message=feed.last_message, last_count=feed.last_count,
        last_added=feed.last_added, content_sha256=feed.content_sha256, etag=feed.etag)
    audit_record(action="intel.feed.fetch", actor=acting_user, obj=feed,
                 actor_label="" if acting_user else "scheduler",
                 result="success" if result.status != "failed" else "failure",
                 details={"status": result.status, "rows": result.rows,
                          "added": result.added, "skipped": result.skipped})


def due_feeds(now: datetime | None = None) -> list[Feed]:
    now = now or timezone.now()
    found = []
    for feed in Feed.objects.filter(enabled=True, status=Status.PUBLISHED).order_by("name"):
        if feed.last_fetched_at is None or (
                feed.last_fetched_at + timedelta(minutes=feed.interval_minutes) <= now):
            found.append(feed)
    return found
