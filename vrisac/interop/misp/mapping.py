"""The mapping between the platform and MISP's data model.

* a report is an event (its uuid, title as ``info``, published or a draft);
* an indicator on a report is an attribute (type and category below, detection flag as
  ``to_ids``);
* the report's TLP label is a ``tlp:*`` tag on the event, its other tags are tags too;
* the audience is the distribution: own organisation 0, participants 1 (this community),
  participants and partners 2 (connected communities), public 3 (all communities); named
  organisations or people have no MISP equivalent and show as 4 (a sharing group) that
  cannot be chosen from MISP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from vrisac.core.errors import DomainError
from vrisac.intel.normalise import InvalidValue, Normalised, normalise, normalise_any
from vrisac.sharing.models import Audience
from vrisac.sharing.tlp import from_misp_tag, labels

#: The MISP version whose API this face speaks (digits and dots, as PyMISP expects).
MISP_VERSION = "2.5.0"
PYMISP_RECOMMENDED = "2.5.34"

#: Our indicator type -> (MISP attribute type, MISP category).
EXPORT_TYPES: dict[str, tuple[str, str]] = {
    "ipv4": ("ip-dst", "Network activity"),
    "ipv6": ("ip-dst", "Network activity"),
    "cidr": ("ip-dst", "Network activity"),
    "domain": ("domain", "Network activity"),
    "hostname": ("hostname", "Network activity"),
    "url": ("url", "Network activity"),
    "user_agent": ("user-agent", "Network activity"),
    "asn": ("AS", "Network activity"),
    "ja3": ("ja3-fingerprint-md5", "Network activity"),
    # MISP has no JA4 type: it travels as text and is recognised by its shape on import.
    "ja4": ("text", "Network activity"),
    "email": ("email-src", "Payload delivery"),
    "md5": ("md5", "Payload delivery"),
    "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "sha512": ("sha512", "Payload delivery"),
    "filename": ("filename", "Payload delivery"),
    "filepath": ("filename", "Artifacts dropped"),
    "mutex": ("mutex", "Artifacts dropped"),
    "regkey": ("regkey", "Persistence mechanism"),
    "cve": ("vulnerability", "External analysis"),
}

#: MISP attribute type -> the indicator types a value of it may be (tried in order).
IMPORT_TYPES: dict[str, tuple[str, ...]] = {
    "ip-src": ("ipv4", "ipv6", "cidr"),
    "ip-dst": ("ipv4", "ipv6", "cidr"),
    "domain": ("domain", "hostname"),
    "hostname": ("hostname", "domain"),
    "url": ("url",),
    "uri": ("url",),
    "user-agent": ("user_agent",),
    "AS": ("asn",),
    "ja3-fingerprint-md5": ("ja3",),
    "email": ("email",),
    "email-src": ("email",),
    "email-dst": ("email",),
    "md5": ("md5",),
    "sha1": ("sha1",),
    "sha256": ("sha256",),
    "sha512": ("sha512",),
    "filename": ("filename", "filepath"),
    "mutex": ("mutex",),
    "regkey": ("regkey",),
    "vulnerability": ("cve",),
    "text": ("ja4",),
}

#: Composite MISP types: the parts, each with its own MISP type ("" = dropped, e.g. a port).
COMPOSITE_TYPES: dict[str, tuple[str, ...]] = {
    "ip-src|port": ("ip-src", ""),
    "ip-dst|port": ("ip-dst", ""),
    "domain|ip": ("domain", "ip-dst"),
    "hostname|port": ("hostname", ""),
    "filename|md5": ("filename", "md5"),
    "filename|sha1": ("filename", "sha1"),
    "filename|sha256": ("filename", "sha256"),
    "filename|sha512": ("filename", "sha512"),
    "regkey|value": ("regkey", ""),
}

DISTRIBUTION_OF_AUDIENCE: dict[str, int] = {
    Audience.ORGANISATION: 0,
    Audience.PARTICIPANTS: 1,
    Audience.PARTNERS: 2,
    Audience.PUBLIC: 3,
    Audience.ORGANISATIONS: 4,
    Audience.PEOPLE: 4,
}
AUDIENCE_OF_DISTRIBUTION: dict[int, str] = {
    0: Audience.ORGANISATION,
    1: Audience.PARTICIPANTS,
    2: Audience.PARTNERS,
    3: Audience.PUBLIC,
}

TLP_COLOURS = {
    "TLP:CLEAR": "#ffffff", "TLP:GREEN": "#33ff00", "TLP:AMBER": "#ffc000",
    "TLP:AMBER+STRICT": "#ffc000", "TLP:RED": "#ff2b2b",
}
TAG_COLOUR = "#0088cc"

_ORG_NAMESPACE = uuid.UUID("6f1d2c0e-8d0b-5b9e-9a55-1c7e2f6d4a10")
#: The source shown for an anonymous report to those who may not know it.
ANONYMOUS_ORG = {"id": "0", "name": "VR-ISAC participant",
                 "uuid": str(uuid.uuid5(_ORG_NAMESPACE, "anonymous")), "local": True}


class MispInputError(DomainError):
    """A MISP document or parameter that does not fit; the message names the place."""

    code = "misp_input"


def misp_types_for(category: str) -> set[str]:
    return {t for t, c in EXPORT_TYPES.values() if c == category}


def our_types_for_misp_type(misp_type: str) -> list[str]:
    """The indicator types exported as ``misp_type`` (the inverse of the export mapping)."""
    return [ours for ours, (theirs, _c) in EXPORT_TYPES.items() if theirs == misp_type]


def our_types_for_category(category: str) -> list[str]:
    return [ours for ours, (_t, c) in EXPORT_TYPES.items() if c == category]


def read_value(misp_type: str, value: str, where: str) -> list[Normalised]:
    """The indicators one MISP attribute value holds (two for a composite type such as
    ``filename|md5``). Raise ``MispInputError`` naming ``where`` for a type the platform
    does not keep or a value that is not of its type."""
    if not isinstance(value, str) or not value.strip():
        raise MispInputError(f"{where}.value: a value is required.", field=f"{where}.value")
    if misp_type in COMPOSITE_TYPES:
        parts_types = COMPOSITE_TYPES[misp_type]
        parts = value.split("|")
        if len(parts) != len(parts_types):
            raise MispInputError(f"{where}.value: a {misp_type} value has "
                                 f"{len(parts_types)} parts separated by |.",
                                 field=f"{where}.value")
        found: list[Normalised] = []
        for part_type, part in zip(parts_types, parts, strict=True):
            if part_type:
                found.extend(read_value(part_type, part, where))
        return found
    candidates = IMPORT_TYPES.get(misp_type)
    if candidates is None:
        raise MispInputError(f"{where}.type: the attribute type {misp_type!r} is not "
                             "supported here.", field=f"{where}.type")
    if misp_type == "text":
        readings = normalise_any(value, ["ja4"])
        if not readings:
            raise MispInputError(f"{where}.type: text attributes are kept only when they "
                                 "hold a JA4 fingerprint.", field=f"{where}.type")
        return readings[:1]
    last: InvalidValue | None = None
    for candidate in candidates:
        try:
            return [normalise(candidate, value)]
        except InvalidValue as exc:
            last = exc
    assert last is not None
    raise MispInputError(f"{where}.value: {last.message}", field=f"{where}.value")


def tlp_of_tags(names: list[str]) -> str | None:
    """The TLP label among ``tlp:*`` tag names; two different labels are refused."""
    found = {label for name in names if (label := from_misp_tag(name)) is not None}
    if len(found) > 1:
        raise MispInputError("The event carries more than one TLP tag.", field="Tag")
    return found.pop() if found else None


def is_tlp_tag(name: str) -> bool:
    return name.strip().lower().startswith("tlp:")


def tag_json(name: str, colour: str = TAG_COLOUR) -> dict[str, Any]:
    return {"id": "0", "name": name, "colour": colour, "exportable": True,
            "hide_tag": False, "local": False}


def tlp_tag(label: str) -> dict[str, Any]:
    return tag_json(labels()[label].misp_tag, TLP_COLOURS.get(label, TAG_COLOUR))


def audience_of(distribution: Any, where: str = "Event.distribution") -> str:
    try:
        number = int(distribution)
    except (TypeError, ValueError):
        raise MispInputError(f"{where}: a distribution is a number from 0 to 3.",
                             field=where) from None
    if number == 4:
        raise MispInputError(f"{where}: sharing groups are not supported here; name the "
                             "organisations or people on the platform itself.", field=where)
    if number not in AUDIENCE_OF_DISTRIBUTION:
        raise MispInputError(f"{where}: a distribution is a number from 0 to 3.", field=where)
    return AUDIENCE_OF_DISTRIBUTION[number]


def epoch(moment: datetime | None) -> str:
    return str(int(moment.timestamp())) if moment is not None else "0"


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def org_uuid(slug: str) -> str:
    return str(uuid.uuid5(_ORG_NAMESPACE, slug))


def organisation_json(org: Any) -> dict[str, Any]:
    return {"id": str(org.pk), "name": org.name, "uuid": org_uuid(org.slug),
            "local": True, "type": org.kind, "nationality": "Netherlands",
            "sector": "Government", "description": ""}


@dataclass(frozen=True)
class EventFacts:
    """What the event of a report shows beyond the report itself."""

    timestamp: datetime
    show_source: bool


def source_json(report: Any, show_source: bool) -> dict[str, Any]:
    """The organisation an event names (``Org``, ``Orgc``, ``org_id``, ``orgc_id``): the
    sharing organisation, or the neutral one when the reader may not know the source
    (``vrisac.sharing.policy.sees_source``)."""
    return organisation_json(report.organisation) if show_source else ANONYMOUS_ORG


def attribute_json(indicator: Any, *, report: Any, deleted: bool,
                   event_source: dict[str, Any] | None = None) -> dict[str, Any]:
    """An attribute; with ``event_source`` (``source_json``) also its ``Event``."""
    value = indicator.value
    misp_type, category = EXPORT_TYPES.get(value.type, ("text", "Other"))
    data: dict[str, Any] = {
        "id": str(indicator.pk),
        "event_id": str(report.pk),
        "object_id": "0",
        "object_relation": None,
        "uuid": str(indicator.uuid),
        "type": misp_type,
        "category": category,
        "value": value.value,
        "to_ids": bool(indicator.for_detection),
        "comment": indicator.comment,
        "timestamp": epoch(indicator.created_at),
        "distribution": "5",
        "sharing_group_id": "0",
        "deleted": deleted,
        "disable_correlation": False,
        "first_seen": iso(indicator.first_seen),
        "last_seen": iso(indicator.last_seen),
        "Tag": [],
    }
    if event_source is not None:
        data["Event"] = {"id": str(report.pk), "uuid": str(report.uuid), "info": report.title,
                         "org_id": event_source["id"], "orgc_id": event_source["id"],
                         "distribution": str(DISTRIBUTION_OF_AUDIENCE[report.audience]),
                         "published": report.status != "draft"}
    return data


def event_date(report: Any) -> date:
    moment = report.published_at or report.created_at
    return moment.date()


def event_json(report: Any, indicators: list[Any], facts: EventFacts) -> dict[str, Any]:
    """The event of ``report`` as MISP writes it (``{"Event": {...}}``)."""
    org = source_json(report, facts.show_source)
    deleted = report.status == "retracted"
    tags = [tlp_tag(report.tlp)] + [tag_json(t.name) for t in report.tags.all()]
    return {"Event": {
        "id": str(report.pk),
        "uuid": str(report.uuid),
        "info": report.title,
        "date": event_date(report).isoformat(),
        "threat_level_id": "4",
        "analysis": "2" if report.status != "draft" else "0",
        "distribution": str(DISTRIBUTION_OF_AUDIENCE[report.audience]),
        "sharing_group_id": "0",
        "published": report.status != "draft",
        "deleted": deleted,
        "timestamp": epoch(facts.timestamp),
        "publish_timestamp": epoch(report.published_at),
        "org_id": org["id"],
        "orgc_id": org["id"],
        "Org": org,
        "Orgc": org,
        "attribute_count": str(len(indicators)),
        "disable_correlation": False,
        "extends_uuid": "",
        "locked": False,
        "proposal_email_lock": False,
        "Tag": tags,
        "Attribute": [attribute_json(i, report=report, deleted=deleted) for i in indicators],
        "Object": [],
        "ShadowAttribute": [],
        "RelatedEvent": [],
        "Galaxy": [],
        "EventReport": [],
    }}


def describe_types() -> dict[str, Any]:
    """``attributes/describeTypes``: the types and categories this platform keeps."""
    types = sorted({t for t, _c in EXPORT_TYPES.values()} | set(IMPORT_TYPES)
                   | set(COMPOSITE_TYPES))
    categories = sorted({c for _t, c in EXPORT_TYPES.values()})
    mappings: dict[str, list[str]] = {c: [] for c in categories}
    defaults: dict[str, dict[str, Any]] = {}
    detection_types = {"ipv4", "ipv6", "cidr", "domain", "hostname", "url", "email", "md5",
                       "sha1", "sha256", "sha512", "ja3", "ja4"}
    for ours, (theirs, category) in EXPORT_TYPES.items():
        if theirs not in mappings[category]:
            mappings[category].append(theirs)
        defaults.setdefault(theirs, {"default_category": category,
                                     "to_ids": int(ours in detection_types)})
    for theirs in types:
        if theirs not in defaults:
            base = theirs.split("|")[0]
            category = defaults.get(base, {}).get("default_category", "Network activity")
            defaults[theirs] = {"default_category": category, "to_ids": 1}
            if theirs not in mappings[category]:
                mappings[category].append(theirs)
    return {"result": {"types": types, "categories": categories,
                       "category_type_mappings": mappings, "sane_defaults": defaults}}
