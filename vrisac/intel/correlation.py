"""Correlation: which indicators in other reports and feeds relate to a given indicator.

Kinds: ``exact`` (the same normalised value), ``cidr`` (an address or network inside a
network, v4 and v6), ``domain`` (a domain or host name, its subdomains, and URLs and e-mail
addresses on those hosts) and ``hash set`` (hashes given together as one file in a source
link the other hashes of that file).

Nothing is precomputed pair by pair. Writes keep compact indexes (the value table with its
network keys and reversed hosts, the indicators' value ids and file groups, the per-value
occurrence count), and a correlation is a handful of indexed look-ups, always made through
the sharing policy (``Indicator.objects.visible_to``) on the other end. So a participant
never learns of a report they cannot see, not even as a count, and a change of a report's
audience is in force at once.

Over-correlation: for ISAC coordinators a value that occurs in more than the threshold of
sources (default 50), or a network or domain that covers more than the threshold of other
values, is marked over-correlating and not expanded; values on the exclusion list are never
expanded. Others never see the mark: for them the cut-off applies to what they can see, so
that even a missing correlation never hints at content beyond their view.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from vrisac.core.compiled import run_many
from vrisac.sharing.policy import viewer_for

from .models import CorrelationExclusion, Indicator, IndicatorValue
from .normalise import (
    HASH_TYPES,
    HOST_TYPES,
    containing_networks,
    network_end,
    network_start,
    parent_keys,
)

EXACT = "exact"
CIDR = "cidr"
DOMAIN = "domain"
HASH_SET = "hash set"
KINDS = (EXACT, CIDR, DOMAIN, HASH_SET)
_PRIORITY = {EXACT: 0, HASH_SET: 1, CIDR: 2, DOMAIN: 3}
_SLACK = 50
_KEY_CHUNK = 4000
#: What a link shows and what correlating reads of the other indicator: not the reports'
#: bodies, which were most of the bytes read.
_LINK_FIELDS = ("id", "report", "feed", "value", "file_group", "value__type", "value__value",
                "value__digest", "value__ip_start", "value__prefixlen", "value__host_rev",
                "report__title", "feed__name", "feed__title")


@dataclass
class Link:
    indicator: Indicator
    kind: str


@dataclass
class Correlations:
    """The correlations of one indicator, as the viewer may know them."""

    links: list[Link] = field(default_factory=list)
    #: More than the threshold of correlations: not listed.
    collapsed: bool = False
    #: Coordinators only: the value is over-correlating (mark) or on the exclusion list.
    over_correlating: bool | None = None
    excluded: bool | None = None


def _threshold() -> int:
    from .services import correlation_settings

    return correlation_settings().threshold


def _capped(qs: Any, cap: int) -> list[Indicator]:
    """At most ``cap`` rows per related value (a window over the value id)."""
    return list(
        qs.annotate(_rank=Window(RowNumber(), partition_by=[F("value_id")],
                                 order_by=F("id").asc()))
        .filter(_rank__lte=cap)
    )


def _chunks(keys: Sequence[Any], size: int = _KEY_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


class _Collect:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.links: dict[int, dict[int, Link]] = defaultdict(dict)
        self.capped: set[int] = set()
        self.pending: list[tuple[int, int, str]] = []

    def add(self, value_id: int, other: Indicator, kind: str) -> None:
        links = self.links[value_id]
        known = links.get(other.pk)
        if known is None or _PRIORITY[kind] < _PRIORITY[known.kind]:
            links[other.pk] = Link(other, kind)

    def later(self, value_id: int, indicator_id: int, kind: str) -> None:
        """A link found by id only; ``load`` fetches the rows of all of them at once."""
        self.pending.append((value_id, indicator_id, kind))

    def load(self) -> None:
        ids = {pk for _vid, pk, _kind in self.pending}
        if not ids:
            return
        rows = {row.pk: row for row in Indicator.objects.filter(pk__in=ids)
                .select_related("value", "report", "feed").only(*_LINK_FIELDS)}
        for value_id, pk, kind in self.pending:
            if pk in rows:
                self.add(value_id, rows[pk], kind)
        self.pending = []

    def note_counts(self, rows: list[Indicator], owners: dict[int, set[int]]) -> None:
        counts: dict[int, int] = defaultdict(int)
        for row in rows:
            counts[row.value_id] += 1
        for value_id, count in counts.items():
            if count >= self.cap:
                self.capped |= owners.get(value_id, set())


def correlate(*, user: Any, indicators: Sequence[Indicator]) -> dict[int, Correlations]:
    """The correlations of each indicator (keyed by indicator id), through the policy."""
    viewer = viewer_for(user)
    threshold = _threshold()
    cap = threshold + 1 + _SLACK
    values: dict[int, IndicatorValue] = {ind.value_id: ind.value for ind in indicators}
    excluded_texts = set(
        CorrelationExclusion.objects.filter(value__in=[v.value for v in values.values()])
        .values_list("value", flat=True)
    ) if values else set()
    excluded = {vid for vid, v in values.items() if v.value in excluded_texts}
    over = _over_correlating(values, excluded, threshold) if viewer.is_coordinator else set()
    expand = {vid: v for vid, v in values.items() if vid not in excluded and vid not in over}
    collect = _Collect(cap)
    if expand:
        base = _active(user).select_related("value", "report", "feed").only(*_LINK_FIELDS)
        _exact(base, expand, collect)
        _hash_sets(user, base, expand, collect)
        _networks(user, base, expand, collect)
        _hosts(user, base, expand, collect)
        collect.load()
        excluded_other = set(CorrelationExclusion.objects.values_list("value", flat=True)[:10_000])
    else:
        excluded_other = set()
    result: dict[int, Correlations] = {}
    for ind in indicators:
        item = Correlations()
        if viewer.is_coordinator:
            item.over_correlating = ind.value_id in over
            item.excluded = ind.value_id in excluded
        if ind.value_id in expand:
            links = [
                link for link in collect.links.get(ind.value_id, {}).values()
                if not _same_source(link.indicator, ind)
                and link.indicator.value.value not in excluded_other
            ]
            if len(links) > threshold or ind.value_id in collect.capped:
                item.collapsed = True
            else:
                links.sort(key=lambda lk: (_PRIORITY[lk.kind], lk.indicator.report_id or 0,
                                           lk.indicator.feed_id or 0, lk.indicator.pk))
                item.links = links
        result[ind.pk] = item
    return result


def _active(user: Any) -> Any:
    return Indicator.objects.visible_to(user).active()


def _same_source(a: Indicator, b: Indicator) -> bool:
    if a.report_id is not None:
        return a.report_id == b.report_id
    return a.feed_id == b.feed_id


def _exact(base: Any, values: dict[int, IndicatorValue], collect: _Collect) -> None:
    rows = _capped(base.filter(value_id__in=list(values)), collect.cap)
    collect.note_counts(rows, {vid: {vid} for vid in values})
    for row in rows:
        collect.add(row.value_id, row, EXACT)


def _hash_sets(user: Any, base: Any, values: dict[int, IndicatorValue],
               collect: _Collect) -> None:
    hashes = [vid for vid, v in values.items() if v.type in HASH_TYPES]
    if not hashes:
        return
    groups = list(
        Indicator.objects.visible_to(user).active()
        .filter(value_id__in=hashes, file_group__isnull=False)
        .values_list("value_id", "report_id", "feed_id", "file_group")[: 20 * len(hashes) + 100]
    )
    if not groups:
        return
    where = Q()
    members: dict[tuple[int | None, int | None, int | None], set[int]] = defaultdict(set)
    for value_id, report_id, feed_id, group in groups:
        where |= Q(report_id=report_id, feed_id=feed_id, file_group=group)
        members[(report_id, feed_id, group)].add(value_id)
    siblings: dict[int, set[int]] = defaultdict(set)
    for value_id, report_id, feed_id, group in (
        Indicator.objects.filter(where, value__type__in=HASH_TYPES)
        .values_list("value_id", "report_id", "feed_id", "file_group")
    ):
        for owner in members[(report_id, feed_id, group)]:
            if value_id != owner:
                siblings[value_id].add(owner)
    if not siblings:
        return
    rows = _capped(base.filter(value_id__in=list(siblings)), collect.cap)
    collect.note_counts(rows, siblings)
    for row in rows:
        for owner in siblings[row.value_id]:
            collect.add(owner, row, HASH_SET)


def _networks(user: Any, base: Any, values: dict[int, IndicatorValue], collect: _Collect) -> None:
    addressed: dict[int, tuple[bytes, int, str]] = {}
    for vid, v in values.items():
        key = v.keys()
        if key.ip_start is not None and key.prefixlen is not None:
            addressed[vid] = (key.ip_start, key.prefixlen, key.type)
    if not addressed:
        return
    keys: set[bytes] = set()
    for start, prefixlen, _type in addressed.values():
        keys.update(containing_networks(start, prefixlen))
    rows: list[Indicator] = []
    for chunk in _chunks(sorted(keys)):
        rows += _capped(base.filter(value__type="cidr", value__ip_start__in=list(chunk)),
                        collect.cap)
    owners: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        network = row.value.keys()
        if network.ip_start is None or network.prefixlen is None:
            continue
        for vid, (mine, prefixlen, _type) in addressed.items():
            if (vid != row.value_id and mine[0] == network.ip_start[0]
                    and network.prefixlen <= prefixlen
                    and network_start(mine, network.prefixlen) == network.ip_start):
                collect.add(vid, row, CIDR)
                owners[row.value_id].add(vid)
    collect.note_counts(rows, owners)
    networks = [(vid, start, prefixlen) for vid, (start, prefixlen, type_) in addressed.items()
                if type_ == "cidr"]
    if networks:
        found = run_many(
            f"inside{collect.cap}", user,
            [(start, network_end(start, prefixlen)) for _vid, start, prefixlen in networks],
            lambda m: _active(user).filter(value__ip_start__gte=m[0], value__ip_start__lte=m[1])
            .order_by("value_id", "id").values_list("id", "value_id", "value__prefixlen")
            [: collect.cap])
        counts: dict[int, int] = defaultdict(int)
        for index, pk, value_id, prefixlen in found:
            vid, _start, own_prefixlen = networks[index]
            counts[vid] += 1
            if value_id != vid and prefixlen >= own_prefixlen:
                collect.later(vid, pk, CIDR)
        collect.capped |= {vid for vid, n in counts.items() if n >= collect.cap}


def _hosts(user: Any, base: Any, values: dict[int, IndicatorValue], collect: _Collect) -> None:
    hosted = {vid: (v.host_rev, v.type) for vid, v in values.items() if v.host_rev}
    if not hosted:
        return
    keys: set[str] = set()
    for host_rev, _type in hosted.values():
        keys.add(host_rev)
        keys.update(parent_keys(host_rev))
    rows: list[Indicator] = []
    for chunk in _chunks(sorted(keys)):
        rows += _capped(base.filter(value__host_rev__in=list(chunk)), collect.cap)
    owners: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        other = row.value.host_rev or ""
        for vid, (host_rev, _type) in hosted.items():
            if vid == row.value_id:
                continue
            parent = (row.value.type in HOST_TYPES and other != host_rev
                      and host_rev.startswith(other))
            if other == host_rev or parent:
                collect.add(vid, row, DOMAIN)
                owners[row.value_id].add(vid)
    collect.note_counts(rows, owners)
    domains = [(vid, host_rev) for vid, (host_rev, type_) in hosted.items()
               if type_ in HOST_TYPES]
    if domains:
        found = run_many(
            f"below{collect.cap}", user,
            [(host_rev, host_rev[:-1] + "/") for _vid, host_rev in domains],
            lambda m: _active(user).filter(value__host_rev__gt=m[0], value__host_rev__lt=m[1])
            .order_by("value_id", "id").values_list("id", "value_id")[: collect.cap])
        counts: dict[int, int] = defaultdict(int)
        for index, pk, _value_id in found:
            vid = domains[index][0]
            counts[vid] += 1
            collect.later(vid, pk, DOMAIN)
        collect.capped |= {vid for vid, n in counts.items() if n >= collect.cap}


def _over_correlating(values: dict[int, IndicatorValue], excluded: set[int],
                      threshold: int) -> set[int]:
    """Coordinators' mark: the value occurs in more sources than the threshold, or (a network
    or a domain) covers more other values than the threshold. Counted over everything."""
    over = {vid for vid, v in values.items() if v.occurrences > threshold}
    for vid, v in values.items():
        if vid in over or vid in excluded:
            continue
        key = v.keys()
        covered: list[int] = []
        if key.type == "cidr" and key.ip_start is not None and key.prefixlen is not None:
            covered = list(IndicatorValue.objects.filter(
                ip_start__gte=key.ip_start, ip_start__lte=network_end(key.ip_start, key.prefixlen),
                prefixlen__gte=key.prefixlen).exclude(pk=vid).values_list("pk", flat=True)
                [: threshold + 1])
        elif key.type in HOST_TYPES and key.host_rev:
            covered = list(IndicatorValue.objects.filter(
                host_rev__gt=key.host_rev, host_rev__lt=key.host_rev[:-1] + "/")
                .values_list("pk", flat=True)[: threshold + 1])
        if len(covered) > threshold:
            over.add(vid)
    return over
