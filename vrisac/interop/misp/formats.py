"""The return formats of ``restSearch``: each is one small function in ``RETURN_FORMATS``
that turns one page of results into an HTTP answer.

To add a format, register a function taking a :class:`Results` and returning an
``HttpResponse``; nothing else changes.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.http import HttpResponse

from vrisac.intel.models import Indicator
from vrisac.intel.warninglists import current_matcher
from vrisac.interop.stix.export import report_objects
from vrisac.reports.models import Report
from vrisac.sharing.policy import sees_source, viewer_for

from . import selectors
from .mapping import EXPORT_TYPES, attribute_json, event_date, source_json


@dataclass
class Results:
    """One page of a search: events (``controller == "events"``) or attributes."""

    controller: str
    user: Any
    events: list[Report]
    attributes: list[Indicator]
    enforce_warninglist: bool = False

    def rows(self) -> list[tuple[Report, Indicator]]:
        """The attributes of the page, each with its event, in the order of the answer."""
        if self.controller == "attributes":
            return [(i.report, i) for i in self.attributes]  # type: ignore[misc]
        grouped = selectors.indicators_of([r.pk for r in self.events])
        pairs = [(r, i) for r in self.events for i in grouped.get(r.pk, [])]
        if self.enforce_warninglist:
            matcher = current_matcher()
            pairs = [(r, i) for r, i in pairs if not matcher.hits(i.value.keys())]
        return pairs


def json_answer(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def as_json(results: Results) -> HttpResponse:
    if results.controller == "events":
        events = selectors.events_json(results.user, results.events)
        if results.enforce_warninglist:
            matcher = current_matcher()
            allowed = {i.pk for _r, i in results.rows() if not matcher.hits(i.value.keys())}
            for event in events:
                event["Event"]["Attribute"] = [a for a in event["Event"]["Attribute"]
                                               if int(a["id"]) in allowed]
        return json_answer({"response": events})
    viewer = viewer_for(results.user)
    return json_answer({"response": {"Attribute": [
        attribute_json(i, report=i.report, deleted=False,
                       event_source=source_json(i.report, sees_source(viewer, i.report)))
        for i in results.attributes]}})


CSV_COLUMNS = ["uuid", "event_id", "category", "type", "value", "comment", "to_ids", "date",
               "object_relation", "attribute_tag", "object_uuid", "object_name",
               "object_meta_category"]


def _safe_cell(text: str) -> str:
    # A value opened in a spreadsheet must not run as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(results: Results) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report, indicator in results.rows():
        misp_type, category = EXPORT_TYPES.get(indicator.value.type, ("text", "Other"))
        writer.writerow([
            str(indicator.uuid), str(report.pk), category, misp_type,
            _safe_cell(indicator.value.value), _safe_cell(indicator.comment),
            int(indicator.for_detection), event_date(report).strftime("%Y%m%d"),
            "", "", "", "", ""])
    return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")


def as_text(results: Results) -> HttpResponse:
    seen: dict[str, None] = {}
    for _report, indicator in results.rows():
        seen.setdefault(indicator.value.value, None)
    body = "".join(f"{value}\n" for value in seen)
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def as_stix2(results: Results) -> HttpResponse:
    """A STIX 2.1 bundle of the page: whole reports for events, only the matching indicators
    (with their source and marking) for attributes; warninglist filtering as for JSON."""
    chosen: dict[int, tuple[Report, set[int]]] = {}
    for report, indicator in results.rows():
        chosen.setdefault(report.pk, (report, set()))[1].add(indicator.pk)
    if results.controller == "events":
        for report in results.events:
            chosen.setdefault(report.pk, (report, set()))
    objects: dict[str, dict[str, Any]] = {}
    for report, indicator_ids in chosen.values():
        whole = results.controller == "events" and not results.enforce_warninglist
        for obj in report_objects(report, only=None if whole else indicator_ids):
            objects.setdefault(obj["id"], obj)
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects.values())}
    return HttpResponse(orjson.dumps(bundle), content_type="application/json")


RETURN_FORMATS: dict[str, Callable[[Results], HttpResponse]] = {
    "json": as_json,
    "csv": as_csv,
    "text": as_text,
    "stix2": as_stix2,
}
