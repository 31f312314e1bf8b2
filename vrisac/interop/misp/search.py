"""``events/restSearch`` and ``attributes/restSearch``: MISP's filters as indexed SQL filters
on what the policy lets the token's holder see, paged in SQL."""

from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q

from vrisac.core.limits import bounded_id, from_epoch, shifted
from vrisac.intel.models import Indicator
from vrisac.intel.normalise import InvalidValue, normalise, normalise_any
from vrisac.intel.warninglists import current_matcher
from vrisac.reports.models import Report
from vrisac.sharing.models import Status
from vrisac.sharing.tlp import from_misp_tag

from . import selectors
from .mapping import (
    MispInputError,
    our_types_for_category,
    our_types_for_misp_type,
)

MAX_EVENTS_PER_PAGE = 1000
MAX_ATTRIBUTES_PER_PAGE = 10_000
MAX_LIST_ITEMS = 500
_LAST = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: Parameters PyMISP sends that change nothing here (the answer is the same without them).
IGNORED = frozenset({
    "returnFormat", "withAttachments", "metadata", "includeEventUuid", "includeEventTags",
    "sgReferenceOnly", "includeContext", "headerless", "includeSightings",
    "includeDecayScore", "includeCorrelations", "excludeDecayed", "deleted", "org",
    "event_tags", "quickFilter", "eventinfo", "searchall", "requested_attributes",
    "object_name", "sharinggroup", "event_timestamp", "includeWarninglistHits",
    "includeProposals",
})
SUPPORTED = frozenset({
    "value", "type", "category", "tags", "eventid", "uuid", "from", "to", "last",
    "publish_timestamp", "timestamp", "published", "to_ids", "enforceWarninglist", "limit",
    "page",
})


@dataclass
class Filters:
    """The parsed filters of one search."""

    values: list[Any] = field(default_factory=list)
    value_like: list[str] = field(default_factory=list)
    types: list[str] | None = None
    tags_all: list[Q] = field(default_factory=list)
    tags_any: list[Q] = field(default_factory=list)
    tags_none: list[Q] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    event_uuids: list[uuid_module.UUID] = field(default_factory=list)
    uuids: list[uuid_module.UUID] = field(default_factory=list)
    date_from: datetime | None = None
    date_to: datetime | None = None
    published_since: datetime | None = None
    published_until: datetime | None = None
    changed_since: datetime | None = None
    changed_until: datetime | None = None
    published: bool | None = None
    to_ids: bool | None = None
    warninglist: bool = False
    limit: int | None = None
    page: int = 1


def _list(raw: Any, name: str) -> list[Any]:
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > MAX_LIST_ITEMS:
        raise MispInputError(f"{name}: at most {MAX_LIST_ITEMS} values.", field=name)
    for item in items:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            raise MispInputError(f"{name}: values are strings or numbers.", field=name)
        if isinstance(item, str) and "\x00" in item:
            raise MispInputError(f"{name}: a value holds a NUL character.", field=name)
    return [str(i) for i in items]


def _bool(raw: Any, name: str) -> bool | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise MispInputError(f"{name}: 0 or 1 (or true/false), not {str(raw)[:20]!r}.",
                         field=name)


def _int(raw: Any, name: str, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        number = int(str(raw))
    except ValueError:
        raise MispInputError(f"{name}: a whole number, not {str(raw)[:20]!r}.",
                             field=name) from None
    if not low <= number <= high:
        raise MispInputError(f"{name}: between {low} and {high}.", field=name)
    return number


def moment(raw: Any, name: str, *, now: datetime, end_of_day: bool = False) -> datetime | None:
    """A MISP time: epoch seconds, ``YYYY-MM-DD`` or a span back from now (``7d``, ``12h``)."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    match = _LAST.match(text)
    if match:
        back = shifted(now, **{_UNITS[match.group(2)]: -int(match.group(1))})
        if back is None:
            raise MispInputError(f"{name}: {text} reaches back before the year 1.", field=name)
        return back
    try:
        seconds: float | None = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        found = from_epoch(seconds)
        if found is None:
            raise MispInputError(f"{name}: {text[:30]!r} is not a time between the years 1 "
                                 "and 9999.", field=name)
        return found
    try:
        day = datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise MispInputError(f"{name}: a timestamp, a date (YYYY-MM-DD) or a span such as "
                             f"7d, not {text[:30]!r}.", field=name) from None
    if not end_of_day:
        return day
    return shifted(day, days=1, microseconds=-1) or datetime.max.replace(tzinfo=UTC)


def _range(raw: Any, name: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    if isinstance(raw, list):
        if len(raw) != 2:
            raise MispInputError(f"{name}: one time or a pair [from, to].", field=name)
        return moment(raw[0], name, now=now), moment(raw[1], name, now=now)
    return moment(raw, name, now=now), None


def _tag_q(name: str) -> Q:
    label = from_misp_tag(name)
    if label is not None:
        return Q(tlp=label)
    return Q(tags__name=name.strip().lower())


def _tags(raw: Any, filters: Filters) -> None:
    """``tags``: a name, a list (``!name`` excludes) or ``{"AND": [], "OR": [], "NOT": []}``."""
    if raw is None or raw == "":
        return
    if isinstance(raw, dict):
        unknown = set(raw) - {"AND", "OR", "NOT"}
        if unknown:
            raise MispInputError("tags: only the keys AND, OR and NOT.", field="tags")
        groups = {key: _list(raw.get(key), f"tags.{key}") for key in ("AND", "OR", "NOT")}
    else:
        names = _list(raw, "tags")
        groups = {"AND": [], "OR": [n for n in names if not n.startswith("!")],
                  "NOT": [n[1:] for n in names if n.startswith("!")]}
    filters.tags_all = [_tag_q(n) for n in groups["AND"]]
    filters.tags_any = [_tag_q(n) for n in groups["OR"]]
    filters.tags_none = [_tag_q(n) for n in groups["NOT"]]


def parse(body: dict[str, Any], *, controller: str) -> Filters:
    """The filters of a restSearch body; an unknown or malformed one is refused by name."""
    unknown = sorted(set(body) - SUPPORTED - IGNORED)
    if unknown:
        raise MispInputError(f"Unknown search parameter(s): {', '.join(unknown)[:200]}.",
                             field=unknown[0])
    now = datetime.now(tz=UTC)
    filters = Filters()
    type_names = _list(body.get("type"), "type")
    categories = _list(body.get("category"), "category")
    if type_names or categories:
        allowed: set[str] | None = None
        if type_names:
            allowed = {t for name in type_names for t in our_types_for_misp_type(name)}
        if categories:
            in_categories = {t for c in categories for t in our_types_for_category(c)}
            allowed = in_categories if allowed is None else allowed & in_categories
        filters.types = sorted(allowed or set())
    for value in _list(body.get("value"), "value"):
        if "%" in value:
            filters.value_like.append(value.strip("%").lower())
            continue
        readings = []
        for our_type in filters.types or []:
            try:
                readings.append(normalise(our_type, value))
            except InvalidValue:
                continue
        if filters.types is None:
            readings = normalise_any(value)
        filters.values.extend(r.digest for r in readings)
        if not readings:
            filters.values.append(b"-")  # a value of no known form matches nothing
    _tags(body.get("tags"), filters)
    for ref in _list(body.get("eventid"), "eventid"):
        if ref.isdigit():
            number = bounded_id(ref)
            if number is None:
                raise MispInputError(f"eventid: {ref[:30]} is not an event id.",
                                     field="eventid")
            filters.event_ids.append(number)
        else:
            filters.event_uuids.append(_uuid(ref, "eventid"))
    filters.uuids = [_uuid(ref, "uuid") for ref in _list(body.get("uuid"), "uuid")]
    filters.date_from = moment(body.get("from"), "from", now=now)
    filters.date_to = moment(body.get("to"), "to", now=now, end_of_day=True)
    last = body.get("last", body.get("publish_timestamp"))
    filters.published_since, filters.published_until = _range(last, "last", now)
    filters.changed_since, filters.changed_until = _range(body.get("timestamp"), "timestamp",
                                                          now)
    filters.published = _bool(body.get("published"), "published")
    filters.to_ids = _bool(body.get("to_ids"), "to_ids")
    filters.warninglist = bool(_bool(body.get("enforceWarninglist"), "enforceWarninglist"))
    top = MAX_EVENTS_PER_PAGE if controller == "events" else MAX_ATTRIBUTES_PER_PAGE
    filters.limit = _int(body.get("limit"), "limit", 1, top) or top
    filters.page = _int(body.get("page"), "page", 1, 1_000_000) or 1
    return filters


def _uuid(ref: str, name: str) -> uuid_module.UUID:
    try:
        return uuid_module.UUID(ref)
    except ValueError:
        raise MispInputError(f"{name}: {ref[:40]!r} is neither an id nor a uuid.",
                             field=name) from None


def _report_filter(filters: Filters) -> Q:
    """The event-level filters, on a report."""
    condition = Q()
    if filters.event_ids or filters.event_uuids:
        condition &= Q(pk__in=filters.event_ids) | Q(uuid__in=filters.event_uuids)
    if filters.date_from is not None:
        condition &= Q(published_at__gte=filters.date_from) | Q(
            published_at__isnull=True, created_at__gte=filters.date_from)
    if filters.date_to is not None:
        condition &= Q(published_at__lte=filters.date_to) | Q(
            published_at__isnull=True, created_at__lte=filters.date_to)
    if filters.published_since is not None:
        condition &= Q(published_at__gte=filters.published_since)
    if filters.published_until is not None:
        condition &= Q(published_at__lte=filters.published_until)
    if filters.published is True:
        condition &= Q(status=Status.PUBLISHED)
    elif filters.published is False:
        condition &= Q(status=Status.DRAFT)
    return condition


def _tagged(filters: Filters) -> Q:
    """The tag filters as conditions on a report's pk (each tag an indexed sub-query)."""
    condition = Q()

    def has(q: Q) -> Q:
        return Q(pk__in=Report.objects.filter(q).values("pk"))

    for q in filters.tags_all:
        condition &= has(q)
    if filters.tags_any:
        either = Q()
        for q in filters.tags_any:
            either |= has(q)
        condition &= either
    for q in filters.tags_none:
        condition &= ~has(q)
    return condition


def _attribute_filter(filters: Filters) -> Q:
    condition = Q()
    if filters.values or filters.value_like:
        either = Q(value__digest__in=filters.values) if filters.values else Q(pk__in=[])
        for fragment in filters.value_like:
            either |= Q(value__value__contains=fragment)
        condition &= either
    if filters.types is not None:
        condition &= Q(value__type__in=filters.types)
    if filters.to_ids is not None:
        condition &= Q(for_detection=filters.to_ids)
    if filters.changed_since is not None:
        condition &= Q(created_at__gte=filters.changed_since)
    if filters.changed_until is not None:
        condition &= Q(created_at__lte=filters.changed_until)
    return condition


def _has_attribute_filters(filters: Filters) -> bool:
    return bool(filters.values or filters.value_like or filters.types is not None
                or filters.to_ids is not None or filters.uuids)


def search_events(user: Any, filters: Filters) -> list[Report]:
    """One page of the events matching ``filters``, newest first."""
    qs = selectors.events(user).filter(_report_filter(filters)).filter(_tagged(filters))
    if filters.changed_since is not None:
        qs = qs.filter(updated_at__gte=filters.changed_since)
    if filters.changed_until is not None:
        qs = qs.filter(updated_at__lte=filters.changed_until)
    if _has_attribute_filters(filters):
        matching = Indicator.objects.filter(report_id=OuterRef("pk")).filter(
            _attribute_filter(Filters(values=filters.values, value_like=filters.value_like,
                                      types=filters.types, to_ids=filters.to_ids)))
        if filters.uuids:
            qs = qs.filter(Q(uuid__in=filters.uuids)
                           | Q(Exists(matching.filter(uuid__in=filters.uuids))))
        if filters.values or filters.value_like or filters.types is not None \
                or filters.to_ids is not None:
            qs = qs.filter(Exists(matching))
    start = (filters.page - 1) * (filters.limit or MAX_EVENTS_PER_PAGE)
    page = qs.order_by("-published_at", "-pk").prefetch_related("tags")
    return list(page[start:start + (filters.limit or MAX_EVENTS_PER_PAGE)])


def search_attributes(user: Any, filters: Filters) -> list[Indicator]:
    """One page of the attributes matching ``filters``: indicators on reports the user may
    see, not retracted; paged in SQL on the indicator's id."""
    reports = selectors.events(user).filter(_report_filter(filters)).filter(_tagged(filters))
    qs = (Indicator.objects.filter(report__in=reports.values("pk"))
          .filter(_attribute_filter(filters)))
    if filters.uuids:
        qs = qs.filter(uuid__in=filters.uuids)
    start = (filters.page - 1) * (filters.limit or MAX_ATTRIBUTES_PER_PAGE)
    found = list(qs.select_related("value", "report", "report__organisation")
                 .order_by("-id")[start:start + (filters.limit or MAX_ATTRIBUTES_PER_PAGE)])
    if filters.warninglist:
        matcher = current_matcher()
        found = [i for i in found if not matcher.hits(i.value.keys())]
    return found
