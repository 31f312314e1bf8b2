"""Reads for the MISP face. Everything goes through the sharing policy: an event is a report
the token's holder may see, an attribute an indicator on such a report."""

from __future__ import annotations

import uuid as uuid_module
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Max, QuerySet
from django.db.models.functions import Coalesce, Greatest

from vrisac.core.errors import NotFound
from vrisac.intel.models import Indicator
from vrisac.organisations.models import Organisation
from vrisac.reports.models import Report
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import Viewer, can_see_source, visible_q

from .mapping import EventFacts, event_json

#: The audiences whose reports leave the platform in the MISP feed.
FEED_AUDIENCES = (Audience.PARTNERS, Audience.PUBLIC)


def with_timestamp(qs: QuerySet[Report]) -> QuerySet[Report]:
    """An event's timestamp moves with the report and with every indicator added to it."""
    return qs.annotate(misp_timestamp=Greatest(
        "updated_at", Coalesce(Max("indicators__created_at"), "updated_at")))


def events(user: Any) -> QuerySet[Report]:
    """The events the user may see; a retracted report is a deleted event, gone from lists
    and searches."""
    return (Report.objects.visible_to(user).exclude(status=Status.RETRACTED)
            .select_related("organisation"))


def event_get(*, user: Any, ref: str) -> Report:
    """One event by id or uuid (retracted ones included: they show as deleted)."""
    qs = Report.objects.visible_to(user).select_related("organisation")
    try:
        if ref.isdigit():
            found = with_timestamp(qs.filter(pk=int(ref))).get()
        else:
            found = with_timestamp(qs.filter(uuid=uuid_module.UUID(ref))).get()
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
    """Full events (with attributes) for reports read through the policy. The reports must
    carry ``misp_timestamp`` (``with_timestamp``) and have their tags prefetched."""
    reports = list(reports)
    attributes = indicators_of([r.pk for r in reports])
    decide = show_source or (lambda report: can_see_source(user, report))
    return [event_json(r, attributes.get(r.pk, []),
                       EventFacts(timestamp=r.misp_timestamp,  # type: ignore[attr-defined]
                                  show_source=decide(r)))
            for r in reports]


def event_index_json(user: Any, reports: Iterable[Report]) -> list[dict[str, Any]]:
    """``events/index``: the events without their attributes, as MISP lists them."""
    out = []
    for report in reports:
        data = event_json(report, [], EventFacts(
            timestamp=report.misp_timestamp,  # type: ignore[attr-defined]
            show_source=can_see_source(user, report)))["Event"]
        data["attribute_count"] = str(report.attribute_total)  # type: ignore[attr-defined]
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
