"""Reads for the MISP face. Everything goes through the sharing policy: an event is a report
the token's holder may see, an attribute an indicator on such a report."""

from __future__ import annotations

import uuid as uuid_module
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, QuerySet

from vrisac.core.errors import NotFound
from vrisac.intel.models import Indicator
from vrisac.organisations.models import Organisation
from vrisac.reports.models import Report
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import Viewer, can_see_source, visible_q

from .mapping import EventFacts, event_json

#: The audiences whose reports leave the platform in the MISP feed.
FEED_AUDIENCES = (Audience.PARTNERS, Audience.PUBLIC)


def event_timestamp(report: Report, last_indicator: datetime | None) -> datetime:
    """An event's timestamp moves with the report and with every indicator added to it."""
    return max(report.updated_at, last_indicator) if last_indicator else report.updated_at


def attribute_facts(report_ids: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
    """Per report of a page: how many indicators, and when the last was added (one
    grouped query over the page's reports only)."""
    rows = (Indicator.objects.filter(report_id__in=list(report_ids)).values("report_id")
            .annotate(n=Count("id"), last=Max("created_at")).order_by())
    return {row["report_id"]: (row["n"], row["last"]) for row in rows}


def events(user: Any) -> QuerySet[Report]:
    """The events the user may see; a retracted report is a deleted event, gone from lists
    and searches."""
    return (Report.objects.visible_to(user).exclude(status=Status.RETRACTED)
            .select_related("organisation"))


def event_get(*, user: Any, ref: str) -> Report:
    """One event by id or uuid (retracted ones included: they show as deleted)."""
    qs = Report.objects.visible_to(user).select_related("organisation")
    try:
        found = qs.get(pk=int(ref)) if ref.isdigit() else qs.get(uuid=uuid_module.UUID(ref))
    except (Report.DoesNotExist, ValueError):
        raise NotFound("Invalid event.") from None
    return found


def indicators_of(report_ids: Sequence[int]) -> dict[int, list[Indicator]]:
    """The indicators of these reports, in one query (they share the report's visibility)."""
    grouped: dict[int, list[Indicator]] = defaultdict(list)
    if not report_ids:
        return grouped
    for indicator in (Indicator.objects.filter(report_id__in=list(report_ids))
                      .select_related("value").order_by("report_id", "id")):
        assert indicator.report_id is not None
        grouped[indicator.report_id].append(indicator)
    return grouped


def events_json(user: Any, reports: Iterable[Report],
                show_source: Any = None) -> list[dict[str, Any]]:
    """Full events (with attributes) for reports read through the policy (their tags
    prefetched, or one query each)."""
    reports = list(reports)
    attributes = indicators_of([r.pk for r in reports])
    decide = show_source or (lambda report: can_see_source(user, report))
    out = []
    for report in reports:
        mine = attributes.get(report.pk, [])
        last = max((i.created_at for i in mine), default=None)
        out.append(event_json(report, mine, EventFacts(
            timestamp=event_timestamp(report, last), show_source=decide(report))))
    return out


def event_index_json(user: Any, reports: Iterable[Report]) -> list[dict[str, Any]]:
    """``events/index``: the events without their attributes, as MISP lists them."""
    reports = list(reports)
    facts = attribute_facts([r.pk for r in reports])
    out = []
    for report in reports:
        count, last = facts.get(report.pk, (0, None))
        data = event_json(report, [], EventFacts(
            timestamp=event_timestamp(report, last),
            show_source=can_see_source(user, report)))["Event"]
        data["attribute_count"] = str(count)
        for key in ("Attribute", "Object", "ShadowAttribute", "RelatedEvent", "Galaxy",
                    "EventReport"):
            data.pop(key)
        data["EventTag"] = [{"Tag": tag} for tag in data.pop("Tag")]
        out.append(data)
    return out


def organisations() -> QuerySet[Organisation]:
    """Who takes part: the organisations are no secret among members and partners."""
    return Organisation.objects.exclude(kind=Organisation.Kind.OWNER).order_by("name")


def feed_reports(viewer: Viewer) -> QuerySet[Report]:
    """The reports in the MISP feed for ``viewer``: what the policy lets them see, of the
    audiences that include partners or the public; retracted ones stay in as deleted."""
    return (Report.objects.filter(visible_q(Report, viewer), audience__in=FEED_AUDIENCES)
            .exclude(status=Status.DRAFT).select_related("organisation")
            .prefetch_related("tags"))
