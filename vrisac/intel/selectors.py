"""Reads of threat intelligence. Everything goes through the sharing policy: an indicator is
seen by exactly those who see its report or feed (``Indicator.objects.visible_to``)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from vrisac.core.compiled import run as _run
from vrisac.core.errors import NotFound
from vrisac.reports.models import Report
from vrisac.sharing.policy import sees_sighting_source, viewer_for

from . import search_index
from .models import Feed, Indicator, Sighting
from .normalise import (
    HASH_TYPES,
    Normalised,
    containing_networks,
    network_end,
    network_start,
    normalise,
    normalise_any,
)


def indicators(user: Any) -> QuerySet[Indicator]:
    return Indicator.objects.visible_to(user).select_related("value", "report", "feed")


def indicator_list(*, user: Any, type: str | None = None, value: str | None = None,
                   report_id: int | None = None, feed_id: int | None = None,
                   for_detection: bool | None = None) -> QuerySet[Indicator]:
    qs = indicators(user)
    if value:
        readings = [normalise(type, value)] if type and _valid(type, value) else (
            normalise_any(value) if not type else [])
        qs = qs.filter(value__digest__in=[r.digest for r in readings])
    elif type:
        qs = qs.filter(value__type=type)
    if report_id is not None:
        qs = qs.filter(report_id=report_id)
    if feed_id is not None:
        qs = qs.filter(feed_id=feed_id)
    if for_detection is not None:
        qs = qs.filter(for_detection=for_detection)
    return qs.order_by("-id")


def _valid(type_: str, value: str) -> bool:
    try:
        normalise(type_, value)
    except Exception:
        return False
    return True


def indicator_get(*, user: Any, pk: Any) -> Indicator:
    try:
        return indicators(user).get(pk=pk)
    except (Indicator.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Indicator not found.")) from None


def report_indicators(*, user: Any, report: Report) -> QuerySet[Indicator]:
    return indicators(user).filter(report_id=report.pk).order_by("value__type", "value__value")


def _visible(user: Any) -> QuerySet[Indicator]:
    return Indicator.objects.visible_to(user)


def _pad(keys: list[bytes], sizes: Sequence[int]) -> list[bytes]:
    size = next((n for n in sizes if n >= len(keys)), len(keys))
    return keys + [keys[0]] * (size - len(keys))


def lookup_ids(*, user: Any, value: str, type: str | None = None) -> list[tuple[int, int | None,
                                                                               int | None]]:
    """``(indicator, report, feed)`` ids of the indicators with exactly this value
    (normalised) that the user may see."""
    readings = [normalise(type, value)] if type else normalise_any(value)
    if not readings:
        return []
    keys = _pad([r.digest for r in readings], (1, 2, 4, 8))
    rows = _run(f"exact{len(keys)}", user, keys, lambda marks: _visible(user).filter(
        value__digest__in=marks).values_list("id", "report_id", "feed_id").order_by("id"))
    return [(r[0], r[1], r[2]) for r in rows]


def containing_ids(*, user: Any, address: str) -> list[tuple[int, int | None, int | None]]:
    """``(indicator, report, feed)`` ids of the network indicators the user may see that
    contain an address or network."""
    readings = [r for r in normalise_any(address) if r.ip_start is not None]
    if not readings:
        return []
    item = readings[0]
    assert item.ip_start is not None and item.prefixlen is not None
    keys = _pad(containing_networks(item.ip_start, item.prefixlen), (33, 129))
    rows = _run(f"containing{len(keys)}", user, keys, lambda marks: _visible(user).filter(
        value__type="cidr", value__ip_start__in=marks).values_list(
        "id", "report_id", "feed_id", "value__ip_start", "value__prefixlen").order_by("id"))
    found = []
    for pk, report_id, feed_id, start, prefixlen in rows:
        if prefixlen <= item.prefixlen and network_start(item.ip_start, prefixlen) == bytes(start):
            found.append((pk, report_id, feed_id))
    return found


def _load(ids: list[int]) -> list[Indicator]:
    """The rows behind ids that already passed the policy."""
    if not ids:
        return []
    return list(Indicator.objects.filter(pk__in=ids).select_related("value", "report", "feed")
                .order_by("id"))


def lookup(*, user: Any, value: str, type: str | None = None) -> list[Indicator]:
    """The indicators with exactly this value (normalised) that the user may see."""
    return _load([row[0] for row in lookup_ids(user=user, value=value, type=type)])


def containing(*, user: Any, address: str) -> list[Indicator]:
    """The network indicators the user may see that contain an address (or network)."""
    return _load([row[0] for row in containing_ids(user=user, address=address)])


@dataclass
class SightingSummary:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def sighting_counts(*, value_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Counts per kind for values the caller already knows the user may see."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {k: 0 for k in Sighting.Kind.values})
    for value_id, kind, n in (Sighting.objects.filter(value_id__in=list(value_ids))
                              .values_list("value_id", "kind").annotate(n=Count("id"))
                              .order_by()):
        counts[value_id][kind] = n
    return {vid: counts[vid] for vid in value_ids}


@dataclass
class SightingView:
    sighting: Sighting
    organisation: str | None


def sightings(*, user: Any, indicator: Indicator) -> list[SightingView]:
    """The sightings of a value the user sees; the organisation only to coordinators, its
    own members, or when it chose to be named."""
    viewer = viewer_for(user)
    rows = (Sighting.objects.filter(value_id=indicator.value_id)
            .select_related("organisation")[:200])
    return [SightingView(s, s.organisation.name if sees_sighting_source(viewer, s) else None)
            for s in rows]


def feeds(*, user: Any) -> QuerySet[Feed]:
    return Feed.objects.visible_to(user).select_related("organisation").order_by("name")


def feed_get(*, user: Any, pk: Any) -> Feed:
    try:
        return feeds(user=user).get(pk=pk)
    except (Feed.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Feed not found.")) from None




# --- search -------------------------------------------------------------------------------

@dataclass
class SearchResult:
    query: str
    reports: list[Report]
    indicators: list[tuple[Indicator, str]]
    readings: list[Normalised]


MAX_HITS = 100


def search(*, user: Any, q: str) -> SearchResult:
    """One box: reports by their text, indicators by value. An address finds the networks
    that contain it, a network what lies inside it, a domain its subdomains and the URLs on
    them, a hash the other hashes of its file. Only what the user may see."""
    q = (q or "").strip()[:500]
    if not q:
        return SearchResult(q, [], [], [])
    found: dict[int, tuple[Indicator, str]] = {}

    def add(rows: Any, match: str) -> None:
        for row in rows:
            if len(found) >= MAX_HITS:
                return
            found.setdefault(row.pk, (row, match))

    readings = normalise_any(q)
    base = indicators(user).order_by("-id")
    if readings:
        add(base.filter(value__digest__in=[r.digest for r in readings])[:MAX_HITS], "exact")
    for item in readings:
        if item.ip_start is not None:
            assert item.prefixlen is not None
            add(containing(user=user, address=item.value), "contains")
            if item.type == "cidr":
                add(base.filter(value__ip_start__gte=item.ip_start,
                                value__ip_start__lte=network_end(item.ip_start, item.prefixlen),
                                value__prefixlen__gte=item.prefixlen)[:MAX_HITS], "inside")
        if item.host_rev is not None and item.type in ("domain", "hostname"):
            add(base.filter(value__host_rev=item.host_rev)[:MAX_HITS], "host")
            add(base.filter(value__host_rev__gt=item.host_rev,
                            value__host_rev__lt=item.host_rev[:-1] + "/")[:MAX_HITS],
                "subdomain")
        if item.type in HASH_TYPES:
            add(_file_of(user, item), "file")
    reports = report_search(user=user, q=q)
    return SearchResult(q, reports, list(found.values()), readings)


def _file_of(user: Any, item: Normalised) -> list[Indicator]:
    """The other members (hashes, file name) of the file groups a hash is in."""
    groups = list(indicators(user).filter(value__digest=item.digest, file_group__isnull=False)
                  .values_list("report_id", "feed_id", "file_group")[:50])
    if not groups:
        return []
    where = Q()
    for report_id, feed_id, group in groups:
        where |= Q(report_id=report_id, feed_id=feed_id, file_group=group)
    return list(indicators(user).filter(where).exclude(value__digest=item.digest)[:MAX_HITS])


def report_search(*, user: Any, q: str, limit: int = 50) -> list[Report]:
    match = search_index.matching(q)
    if match is None:
        return []
    ids, score = match
    return list(
        Report.objects.visible_to(user).filter(pk__in=ids).annotate(score=score)
        .select_related("organisation").order_by("-score", "-published_at")[:limit]
    )


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# --- exports ------------------------------------------------------------------------------

@dataclass
class ExportFilters:
    types: list[str] = field(default_factory=list)
    since: datetime | None = None
    tlp: list[str] = field(default_factory=list)
    for_detection: bool | None = None
    without_warninglisted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"types": self.types, "since": self.since.isoformat() if self.since else None,
                "tlp": self.tlp, "for_detection": self.for_detection,
                "without_warninglisted": self.without_warninglisted}


def export_queryset(*, user: Any, filters: ExportFilters) -> QuerySet[Indicator]:
    """What an export holds: indicators of published reports and feeds the user may see."""
    qs = (Indicator.objects.visible_to(user)
          .filter(Q(report__status="published") | Q(feed__status="published"))
          .select_related("value", "report", "feed"))
    if filters.types:
        qs = qs.filter(value__type__in=filters.types)
    if filters.since is not None:
        qs = qs.filter(last_seen__gte=filters.since)
    if filters.tlp:
        qs = qs.filter(Q(report__tlp__in=filters.tlp) | Q(feed__tlp__in=filters.tlp))
    if filters.for_detection is not None:
        qs = qs.filter(for_detection=filters.for_detection)
    return qs.order_by("id")


def export_rows(*, user: Any, filters: ExportFilters) -> Iterator[tuple[Indicator, list[str]]]:
    """Stream the export's indicators with their warninglist hits, in chunks."""
    from .warninglists import current_matcher

    matcher = current_matcher()
    for indicator in export_queryset(user=user, filters=filters).iterator(chunk_size=2000):
        hits = matcher.hits(indicator.value.keys())
        if filters.without_warninglisted and hits:
            continue
        yield indicator, hits
