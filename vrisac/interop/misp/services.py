"""Writes through the MISP face. Each turns a MISP document into a call of the report and
intel services (which check the rights, write the audit row and keep one transaction); a
document that does not fit is refused whole, naming the place, before anything is written."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from vrisac.core.errors import DomainError, NotFound
from vrisac.intel import services as intel_services
from vrisac.intel.models import Indicator, Sighting
from vrisac.reports import services as report_services
from vrisac.reports.models import Report
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import can_edit
from vrisac.sharing.tlp import TLP

from . import selectors
from .mapping import (
    DISTRIBUTION_OF_AUDIENCE,
    MispInputError,
    audience_of,
    is_tlp_tag,
    read_value,
    tlp_of_tags,
)

MAX_ATTRIBUTES = intel_services.MAX_PER_CALL
MAX_TAGS = 50
MAX_OBJECTS = 2000
SIGHTING_KINDS = {"0": Sighting.Kind.SEEN, "1": Sighting.Kind.FALSE_POSITIVE,
                  "2": Sighting.Kind.EXPIRED}


@dataclass
class AttributeInput:
    """One MISP attribute, read: its uuid (if given) and the indicators it holds."""

    uuid: str | None
    items: list[dict[str, Any]]


@dataclass
class EventInput:
    uuid: uuid_module.UUID | None
    info: str | None
    distribution: Any
    tags: list[str] | None
    attributes: list[AttributeInput] = field(default_factory=list)


def _object(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise MispInputError(f"{where}: a JSON object was expected.", field=where)
    return raw


def _array(raw: Any, where: str, limit: int) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise MispInputError(f"{where}: a list was expected.", field=where)
    if len(raw) > limit:
        raise MispInputError(f"{where}: at most {limit} entries.", field=where)
    return raw


def _text(raw: Any, where: str, limit: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
        raise MispInputError(f"{where}: text was expected.", field=where)
    text = str(raw)
    if len(text) > limit:
        raise MispInputError(f"{where}: at most {limit} characters.", field=where)
    return text


def _to_ids(raw: Any, where: str) -> bool | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if str(raw) in ("0", "1"):
        return str(raw) == "1"
    raise MispInputError(f"{where}.to_ids: true or false.", field=f"{where}.to_ids")


def tag_names(raw: Any, where: str) -> list[str]:
    names = []
    for index, tag in enumerate(_array(raw, where, MAX_TAGS)):
        name = tag.get("name") if isinstance(tag, dict) else tag
        names.append(_text(name, f"{where}[{index}].name", 255).strip())
    return [n for n in names if n]


def read_attribute(raw: Any, where: str, group: str | None = None) -> AttributeInput:
    data = _object(raw, where)
    misp_type = _text(data.get("type"), f"{where}.type", 100)
    if not misp_type:
        raise MispInputError(f"{where}.type: a type is required.", field=f"{where}.type")
    value = data.get("value")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise MispInputError(f"{where}.value: text was expected.", field=f"{where}.value")
    readings = read_value(misp_type, value, where)
    common = {
        "for_detection": _to_ids(data.get("to_ids"), where),
        "comment": _text(data.get("comment"), f"{where}.comment", 1000),
        "first_seen": data.get("first_seen") or None,
        "last_seen": data.get("last_seen") or None,
    }
    label = group or (where if len(readings) > 1 else None)
    items = [{"type": r.type, "value": r.value, **common, **({"file": label} if label else {})}
             for r in readings]
    ref = data.get("uuid")
    return AttributeInput(uuid=str(ref) if ref else None, items=items)


def read_event(body: Any) -> EventInput:
    """A MISP event document (``{"Event": {...}}`` or the bare event), validated."""
    data = _object(body, "body")
    if "Event" in data:
        data = _object(data["Event"], "Event")
    raw_uuid = data.get("uuid")
    event_uuid = None
    if raw_uuid:
        try:
            event_uuid = uuid_module.UUID(_text(raw_uuid, "Event.uuid", 36))
        except ValueError:
            raise MispInputError("Event.uuid: not a uuid.", field="Event.uuid") from None
    info = data.get("info")
    event = EventInput(
        uuid=event_uuid,
        info=_text(info, "Event.info", 200) if info is not None else None,
        distribution=data.get("distribution"),
        tags=tag_names(data["Tag"], "Event.Tag") if "Tag" in data else None,
    )
    for index, raw in enumerate(_array(data.get("Attribute"), "Event.Attribute",
                                       MAX_ATTRIBUTES)):
        event.attributes.append(read_attribute(raw, f"Event.Attribute[{index}]"))
    for index, raw in enumerate(_array(data.get("Object"), "Event.Object", MAX_OBJECTS)):
        obj = _object(raw, f"Event.Object[{index}]")
        for inner, attribute in enumerate(_array(obj.get("Attribute"),
                                                 f"Event.Object[{index}].Attribute",
                                                 MAX_ATTRIBUTES)):
            where = f"Event.Object[{index}].Attribute[{inner}]"
            event.attributes.append(read_attribute(attribute, where,
                                                   group=f"object {index}"))
    if sum(len(a.items) for a in event.attributes) > MAX_ATTRIBUTES:
        raise MispInputError(f"Event: at most {MAX_ATTRIBUTES} attributes at a time.",
                             field="Event.Attribute")
    return event


def _sharing(event: EventInput, *, tlp: str | None,
             audience: str | None) -> tuple[str | None, str | None, list[str] | None]:
    tags = event.tags
    new_tlp = tlp_of_tags(tags) if tags is not None else None
    other = [t for t in tags if not is_tlp_tag(t)] if tags is not None else None
    new_audience = None
    if event.distribution not in (None, ""):
        unchanged = (audience is not None
                     and str(event.distribution) == str(DISTRIBUTION_OF_AUDIENCE[audience]))
        new_audience = audience if unchanged else audience_of(event.distribution)
    return new_tlp or tlp, new_audience or audience, other


def event_add(*, user: Any, body: Any) -> Report:
    """``events/add``: a new report of the token holder's organisation, as a draft (MISP's
    unpublished), with its attributes as indicators."""
    event = read_event(body)
    if not event.info:
        raise MispInputError("Event.info: an event needs a title (info).", field="Event.info")
    tlp, audience, tags = _sharing(event, tlp=None, audience=Audience.PARTICIPANTS)
    assert audience is not None
    if tlp is None:
        tlp = TLP.CLEAR if audience == Audience.PUBLIC else TLP.AMBER
    return report_services.report_create(
        author=user, kind="threat", title=event.info, tlp=tlp, audience=audience,
        tags=tags or (), publish=False, uuid=event.uuid,
        indicators=[item for a in event.attributes for item in a.items])


@transaction.atomic
def event_edit(*, user: Any, ref: str, body: Any) -> Report:
    """``events/edit``: change the title, label, audience and tags; add the attributes that
    are new; change ``to_ids`` and the comment of the known ones (by uuid). Attributes left
    out are kept, as in MISP."""
    report = selectors.event_get(user=user, ref=ref)
    if not can_edit(user, report):
        raise NotFound("Invalid event.")
    event = read_event(body)
    tlp, audience, tags = _sharing(event, tlp=report.tlp, audience=report.audience)
    changes: dict[str, Any] = {}
    if event.info and event.info != report.title:
        changes["title"] = event.info
    if tlp != report.tlp:
        changes["tlp"] = tlp
    if audience != report.audience:
        changes["audience"] = audience
    current_tags = sorted(t.name for t in report.tags.all())
    if tags is not None and sorted(t.lower() for t in tags) != current_tags:
        changes["tags"] = tags
    if changes:
        report = report_services.report_update(report=report, acting_user=user, **changes)
    known = {str(i.uuid): i for i in Indicator.objects.filter(report=report)}
    new_items = []
    for attribute in event.attributes:
        indicator = known.get(attribute.uuid or "")
        if indicator is None:
            new_items.extend(attribute.items)
            continue
        item = attribute.items[0]
        detection = item["for_detection"]
        if ((detection is not None and detection != indicator.for_detection)
                or item["comment"] != indicator.comment):
            intel_services.indicator_update(indicator=indicator, acting_user=user,
                                            for_detection=detection, comment=item["comment"])
    if new_items:
        intel_services.report_indicators_add(report=report, acting_user=user, items=new_items)
    return report


def event_publish(*, user: Any, ref: str) -> tuple[Report, bool]:
    """``events/publish``: publish a draft; an event already published stays so."""
    report = selectors.event_get(user=user, ref=ref)
    if report.status == Status.PUBLISHED:
        return report, False
    if report.status == Status.RETRACTED:
        raise DomainError("A retracted report cannot be published again.")
    return report_services.report_publish(report=report, acting_user=user), True


@transaction.atomic
def attributes_add(*, user: Any, ref: str, body: Any,
                   break_on_duplicate: bool = True) -> list[Indicator]:
    """``attributes/add``: one attribute or a list, added to an event the user may edit."""
    report = selectors.event_get(user=user, ref=ref)
    many = isinstance(body, list)
    raws = _array(body, "body", MAX_ATTRIBUTES) if many else [body]
    if not raws:
        raise MispInputError("body: no attribute given.", field="body")
    attributes = [read_attribute(raw, f"Attribute[{i}]" if many else "Attribute")
                  for i, raw in enumerate(raws)]
    items = [item for a in attributes for item in a.items]
    from vrisac.intel.normalise import digest_of

    digests = [digest_of(item["type"], item["value"]) for item in items]
    if break_on_duplicate and Indicator.objects.filter(report=report,
                                                       value__digest__in=digests).exists():
        raise MispInputError("value: A similar attribute already exists for this event.",
                             field="value", code="duplicate")
    intel_services.report_indicators_add(report=report, acting_user=user, items=items)
    return list(Indicator.objects.filter(report=report, value__digest__in=digests)
                .select_related("value", "report").order_by("id"))


def tag_attach(*, user: Any, ref: str, tag: str) -> Report:
    """``tags/attachTagToObject``: a ``tlp:*`` tag sets the event's label, another tag is
    added to the event's tags. Attributes carry no tags here."""
    tag = (tag or "").strip()
    if not tag:
        raise MispInputError("tag: a tag name is required.", field="tag")
    try:
        report = selectors.event_get(user=user, ref=ref)
    except NotFound:
        ref_uuid = _uuid_or_none(ref)
        if ref_uuid is not None and Indicator.objects.visible_to(user).filter(
                uuid=ref_uuid).exists():
            raise MispInputError("Tags on attributes are not kept here; tag the event.",
                                 field="uuid") from None
        raise
    if is_tlp_tag(tag):
        label = tlp_of_tags([tag])
        if label is None:
            raise MispInputError(f"tag: {tag[:40]!r} is not a TLP 2.0 label.", field="tag")
        if label != report.tlp:
            report = report_services.report_update(report=report, acting_user=user,
                                                   tlp=label)
        return report
    names = [t.name for t in report.tags.all()]
    if tag.lower() not in names:
        report = report_services.report_update(report=report, acting_user=user,
                                               tags=[*names, tag])
    return report


def _uuid_or_none(ref: str) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(ref)
    except ValueError:
        return None


def sighting_add(*, user: Any, body: Any, attribute_ref: str | None = None) -> list[Sighting]:
    """``sightings/add``: on one attribute (by id or uuid, in the path or the body) or on
    every attribute the user can see with the given value."""
    data = _object(body if body is not None else {}, "body")
    kind = SIGHTING_KINDS.get(str(data.get("type", "0")))
    if kind is None:
        raise MispInputError("type: 0 (seen), 1 (false positive) or 2 (expired).",
                             field="type")
    when: Any = None
    stamp = data.get("date_sighting") or data.get("timestamp")
    if stamp not in (None, ""):
        try:
            when = datetime.fromtimestamp(int(str(stamp)), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise MispInputError("date_sighting: seconds since 1970.",
                                 field="date_sighting") from None
    source = _text(data.get("source"), "source", 200)
    ref = attribute_ref or data.get("id") or data.get("uuid")
    if ref:
        ref = _text(ref, "id", 40)
        visible = Indicator.objects.visible_to(user).filter(report__isnull=False)
        ref_uuid = None if ref.isdigit() else _uuid_or_none(ref)
        if not ref.isdigit() and ref_uuid is None:
            raise NotFound("Invalid attribute.")
        indicator = (visible.filter(pk=int(ref)) if ref_uuid is None
                     else visible.filter(uuid=ref_uuid)).first()
        if indicator is None:
            raise NotFound("Invalid attribute.")
        return intel_services.sighting_add(acting_user=user, kind=kind, indicator=indicator,
                                           seen_at=when, source=source)
    values = data.get("values") or data.get("value")
    if isinstance(values, str):
        values = [values]
    values = _array(values, "values", 100)
    if not values:
        raise MispInputError("Give the attribute (id or uuid) or the value seen.",
                             field="value")
    made: list[Sighting] = []
    for index, value in enumerate(values):
        made.extend(intel_services.sighting_add(
            acting_user=user, kind=kind, value=_text(value, f"values[{index}]", 2048),
            seen_at=when, source=source))
    return made
