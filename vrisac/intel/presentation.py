"""How indicators are shown: the same facts for the pages and the API, so both tell a
viewer exactly what the policy allows (correlations, sightings, coordinator marks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vrisac.sharing.policy import viewer_for

from . import selectors
from .correlation import Correlations, correlate
from .models import Indicator
from .warninglists import current_matcher


@dataclass
class Shown:
    """One indicator with everything a viewer may know about it."""

    indicator: Indicator
    warninglists: list[str] = field(default_factory=list)
    sightings: dict[str, int] = field(default_factory=dict)
    correlations: Correlations = field(default_factory=Correlations)

    @property
    def source(self) -> Any:
        return self.indicator.source

    @property
    def tlp(self) -> str:
        return str(self.source.tlp)

    @property
    def audience(self) -> str:
        return str(self.source.audience)


def show(*, user: Any, indicators: Sequence[Indicator], with_correlations: bool = True
         ) -> list[Shown]:
    """Decorate indicators (already read through the policy) for display: warninglist hits,
    sighting counts and, if asked, correlations. A fixed number of queries for any list."""
    rows = list(indicators)
    if not rows:
        return []
    matcher = current_matcher()
    counts = selectors.sighting_counts(value_ids=sorted({r.value_id for r in rows}))
    found = correlate(user=user, indicators=rows) if with_correlations else {}
    return [
        Shown(row, matcher.hits(row.value.keys()), counts.get(row.value_id, {}),
              found.get(row.pk, Correlations()))
        for row in rows
    ]


def correlation_out(shown: Shown) -> list[dict[str, Any]]:
    items = []
    for link in shown.correlations.links:
        other = link.indicator
        items.append({
            "report_id": other.report_id,
            "report_title": other.report_title,
            "feed_id": other.feed_id,
            "feed_name": other.feed_name,
            "indicator_id": other.pk,
            "type": other.value.type,
            "value": other.value.value,
            "kind": link.kind,
        })
    return items


def indicator_out(shown: Shown, user: Any) -> dict[str, Any]:
    ind = shown.indicator
    coordinator = viewer_for(user).is_coordinator
    return {
        "id": ind.pk,
        "uuid": str(ind.uuid),
        "type": ind.value.type,
        "value": ind.value.value,
        "report_id": ind.report_id,
        "feed_id": ind.feed_id,
        "for_detection": ind.for_detection,
        "comment": ind.comment,
        "first_seen": ind.first_seen,
        "last_seen": ind.last_seen,
        "tlp": shown.tlp,
        "audience": shown.audience,
        "file_group": ind.file_group,
        "warninglists": shown.warninglists,
        "sightings": shown.sightings,
        "correlations": correlation_out(shown),
        "correlations_not_listed": shown.correlations.collapsed,
        "over_correlating": shown.correlations.over_correlating if coordinator else None,
        "excluded_from_correlation": shown.correlations.excluded if coordinator else None,
    }
