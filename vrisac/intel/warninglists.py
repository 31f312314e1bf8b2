"""Warninglists: the shipped lists (files in ``data/warninglists/``, each naming its source)
and the coordinators' own lists, compiled into one matcher.

A hit flags an indicator (at extraction, at creation, in exports), it never refuses it.
Kinds: ``cidr`` (an address or network inside or overlapping a listed range), ``hostname``
(the host of a domain, host name, URL or e-mail address is a listed name or under it),
``string`` (the value exactly), ``substring`` (the value contains it) and ``regex``.

Regular expressions run on RE2, which answers in time linear in the input whatever the
pattern, so a coordinator's pattern cannot hang the platform (no catastrophic
backtracking); patterns RE2 cannot run (back-references, look-arounds) are refused when
the list is saved, naming the line.
"""

from __future__ import annotations

import bisect
import ipaddress
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import re2
from django.core.cache import cache as django_cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from vrisac.core.errors import DomainError

from .normalise import Normalised, ip_key, network_end

DATA_DIR = Path(__file__).resolve().parent / "data" / "warninglists"
MAX_ENTRIES = 100_000
MAX_ENTRY_CHARS = 1000
MAX_REGEX_CHARS = 300
_VERSION_KEY = "intel:warninglists:version"


@dataclass(frozen=True)
class ShippedList:
    key: str
    name: str
    description: str
    source: str
    kind: str
    version: str
    entries: tuple[str, ...]


@cache
def shipped_lists() -> dict[str, ShippedList]:
    """The lists that come with the platform, read from the app's data folder."""
    found = {}
    for path in sorted(DATA_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["key"]] = ShippedList(
            key=data["key"], name=data["name"], description=data["description"],
            source=data["source"], kind=data["kind"], version=data["version"],
            entries=tuple(data["entries"]),
        )
    return found


def parse_entries(kind: str, text: str) -> list[str]:
    """Validate a list's entries (one per line; ``#`` starts a comment line); the error names
    the line."""
    entries: list[str] = []
    lines = text.splitlines()
    if len(lines) > MAX_ENTRIES:
        raise DomainError(_("A list has at most %(n)d entries.") % {"n": MAX_ENTRIES},
                          field="entries")
    for number, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if len(entry) > MAX_ENTRY_CHARS:
            raise DomainError(_("Line %(n)d is longer than %(m)d characters.")
                              % {"n": number, "m": MAX_ENTRY_CHARS}, field="entries")
        if any(ord(c) < 32 for c in entry):
            raise DomainError(_("Line %(n)d contains control characters.") % {"n": number},
                              field="entries")
        try:
            entries.append(_check_entry(kind, entry))
        except ValueError as exc:
            raise DomainError(_("Line %(n)d: %(e)s") % {"n": number, "e": exc},
                              field="entries") from None
    return entries


def _check_entry(kind: str, entry: str) -> str:
    if kind == "cidr":
        try:
            return ipaddress.ip_network(entry, strict=False).compressed
        except ValueError:
            raise ValueError(_("%(v)s is not an address or network.") % {"v": entry}) from None
    if kind == "hostname":
        host = entry.lower().rstrip(".").lstrip("*.")
        if not host or " " in host or "/" in host:
            raise ValueError(_("%(v)s is not a host name.") % {"v": entry})
        try:
            import idna

            return host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
        except (UnicodeError, ValueError):
            raise ValueError(_("%(v)s is not a host name.") % {"v": entry}) from None
    if kind == "regex":
        compile_regex(entry)
        return entry
    if kind in ("string", "substring"):
        return entry
    raise ValueError(_("Unknown kind of list."))


def compile_regex(pattern: str) -> Any:
    """Compile a coordinator's pattern with RE2 (linear time), or say why it cannot be used."""
    if len(pattern) > MAX_REGEX_CHARS:
        raise ValueError(_("a pattern is at most %(n)d characters") % {"n": MAX_REGEX_CHARS})
    options = re2.Options()
    options.max_mem = 8 << 20
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise ValueError(_("the pattern %(p)s cannot be used: %(e)s")
                         % {"p": pattern, "e": exc}) from None


@dataclass
class Matcher:
    """All enabled lists, compiled. ``hits(normalised)`` gives the names of the lists hit."""

    starts: list[bytes] = field(default_factory=list)
    ends: list[bytes] = field(default_factory=list)
    range_names: list[str] = field(default_factory=list)
    #: reach[i]: the highest end among ranges 0..i, so a walk back can stop early.
    reach: list[bytes] = field(default_factory=list)
    hosts: dict[str, set[str]] = field(default_factory=dict)
    strings: dict[str, set[str]] = field(default_factory=dict)
    substrings: list[tuple[str, str]] = field(default_factory=list)
    regexes: list[tuple[Any, str]] = field(default_factory=list)

    @classmethod
    def build(cls, lists: list[tuple[str, str, list[str] | tuple[str, ...]]]) -> Matcher:
        matcher = cls()
        ranges: list[tuple[bytes, bytes, str]] = []
        for name, kind, entries in lists:
            for entry in entries:
                if kind == "cidr":
                    network = ipaddress.ip_network(entry, strict=False)
                    start = ip_key(network.network_address)
                    ranges.append((start, network_end(start, network.prefixlen), name))
                elif kind == "hostname":
                    matcher.hosts.setdefault(entry, set()).add(name)
                elif kind == "string":
                    matcher.strings.setdefault(entry, set()).add(name)
                    matcher.strings.setdefault(entry.lower(), set()).add(name)
                elif kind == "substring":
                    matcher.substrings.append((entry.lower(), name))
                elif kind == "regex":
                    matcher.regexes.append((compile_regex(entry), name))
        ranges.sort()
        matcher.starts = [r[0] for r in ranges]
        matcher.ends = [r[1] for r in ranges]
        matcher.range_names = [r[2] for r in ranges]
        highest = b""
        for end in matcher.ends:
            highest = max(highest, end)
            matcher.reach.append(highest)
        return matcher

    def _ranges(self, start: bytes, end: bytes, found: set[str]) -> None:
        # Ranges are sorted by start: every range that starts at or before ``end`` and ends
        # at or after ``start`` overlaps. Walk back from the last one starting before ``end``
        # while some range at or before it still reaches ``start``.
        i = bisect.bisect_right(self.starts, end) - 1
        while i >= 0 and self.reach[i] >= start:
            if self.ends[i] >= start:
                found.add(self.range_names[i])
            i -= 1

    def hits(self, item: Normalised) -> list[str]:
        found: set[str] = set()
        if item.ip_start is not None and self.starts:
            assert item.prefixlen is not None
            self._ranges(item.ip_start, network_end(item.ip_start, item.prefixlen), found)
        elif item.type == "url" and self.starts and item.host_rev is None:
            self._url_address(item.value, found)
        host = item.host
        if host is not None and self.hosts:
            labels = host.split(".")
            for i in range(len(labels)):
                names = self.hosts.get(".".join(labels[i:]))
                if names:
                    found |= names
        names = self.strings.get(item.value)
        if names:
            found |= names
        if self.substrings:
            lowered = item.value.lower()
            for needle, name in self.substrings:
                if needle in lowered:
                    found.add(name)
        for pattern, name in self.regexes:
            if pattern.search(item.value):
                found.add(name)
        return sorted(found)

    def _url_address(self, url: str, found: set[str]) -> None:
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        host = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
        key = ip_key(address)
        self._ranges(key, key, found)


_local = threading.local()


def bump_version() -> None:
    """Tell every process that the lists changed (called by the services on each change)."""
    try:
        django_cache.incr(_VERSION_KEY)
    except ValueError:
        django_cache.set(_VERSION_KEY, 2, None)


def current_matcher() -> Matcher:
    """The matcher of the enabled lists, rebuilt in this process when a list changed."""
    version = django_cache.get(_VERSION_KEY)
    if version is None:
        version = 1
        django_cache.add(_VERSION_KEY, version, None)
    cached = getattr(_local, "matcher", None)
    if cached is not None and cached[0] == version:
        return cached[1]
    matcher = Matcher.build(enabled_lists())
    _local.matcher = (version, matcher)
    return matcher


def enabled_lists() -> list[tuple[str, str, list[str] | tuple[str, ...]]]:
    from .models import Warninglist

    shipped = shipped_lists()
    rows = {w.key: w for w in Warninglist.objects.all()}
    lists: list[tuple[str, str, list[str] | tuple[str, ...]]] = []
    for key, data in shipped.items():
        row = rows.get(key)
        if row is None or row.enabled:
            lists.append((data.name, data.kind, data.entries))
    for row in rows.values():
        if row.shipped or not row.enabled:
            continue
        lists.append((row.name, row.kind, [e.strip() for e in row.entries.splitlines()
                                           if e.strip() and not e.strip().startswith("#")]))
    return lists


def ensure_shipped() -> None:
    """A row per shipped list, so coordinators can switch it off (idempotent)."""
    from .models import Warninglist

    existing = set(Warninglist.objects.filter(shipped=True).values_list("key", flat=True))
    for key, data in shipped_lists().items():
        if key not in existing:
            Warninglist.objects.get_or_create(
                key=key,
                defaults={"name": data.name, "description": data.description,
                          "source": data.source, "kind": data.kind, "shipped": True},
            )


#: The shipped lists' names, for the translation catalogue: the API and the stored data
#: keep the English name (stable for tools); pages show it translated (``wl_name`` filter).
SHIPPED_NAMES = (
    gettext_noop("Cloudflare IP ranges"),
    gettext_noop("Hashes of the empty file"),
    gettext_noop("Fastly IP ranges"),
    gettext_noop("Popular domains"),
    gettext_noop("Host names of public DNS resolvers (DNS over HTTPS and TLS)"),
    gettext_noop("Well-known public DNS resolvers"),
    gettext_noop("Reserved and special-use domain names"),
    gettext_noop("Private and special-purpose address ranges"),
)
