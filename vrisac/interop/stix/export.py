"""A report as a STIX 2.1 bundle: the source's identity (a neutral VR-ISAC identity when the
report is anonymous), the report, an indicator with a STIX pattern for every indicator, the
observables they are based on and the relationships between them, vulnerabilities for
CVEs, the TLP 2.0 marking definitions with their extension definition, and the objects an
import kept that the platform does not model. A retracted report and its indicators go out
revoked."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from vrisac.intel.models import Indicator
from vrisac.reports.models import Report
from vrisac.sharing.models import Status

from . import markings
from .mapping import to_stix
from .models import KeptObject, StixLink


def stable_id(type_: str, *parts: str) -> str:
    """A STIX id that is the same on every export of the same thing, shaped as the UUIDv4
    that STIX asks for objects other than observables."""
    digest = hashlib.blake2b("\x1f".join(("vr-isac", type_, *parts)).encode(),
                             digest_size=16).digest()
    return f"{type_}--{uuid.UUID(bytes=digest, version=4)}"


PLATFORM_IDENTITY = stable_id("identity", "platform")
PLATFORM_CREATED = "2026-01-01T00:00:00.000Z"

REPORT_TYPES = {
    "incident": ["observed-data"],
    "threat": ["threat-report"],
    "vulnerability": ["vulnerability"],
    "advice": ["threat-report"],
    "warning": ["threat-report"],
}


def timestamp(moment: datetime) -> str:
    """A STIX timestamp in UTC, to the millisecond."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def platform_identity() -> dict[str, Any]:
    return {
        "type": "identity", "spec_version": "2.1", "id": PLATFORM_IDENTITY,
        "created": PLATFORM_CREATED, "modified": PLATFORM_CREATED,
        "name": "VR-ISAC", "identity_class": "organization",
        "description": "The cyber ISAC of the Dutch safety regions and NIPV.",
    }


def organisation_identity_id(slug: str) -> str:
    """The id of the identity the platform writes for an organisation."""
    return stable_id("identity", "organisation", slug)


def organisation_identity(organisation: Any) -> dict[str, Any]:
    return {
        "type": "identity", "spec_version": "2.1",
        "id": organisation_identity_id(organisation.slug),
        "created": PLATFORM_CREATED, "modified": PLATFORM_CREATED,
        "name": organisation.name, "identity_class": "organization",
    }


def report_stix_id(report: Report) -> str:
    link = StixLink.objects.filter(report=report).values_list("stix_id", flat=True).first()
    return link or f"report--{report.uuid}"


def _revision_time(report: Report) -> datetime:
    if report.status == Status.RETRACTED and report.retracted_at:
        return max(report.retracted_at, report.updated_at)
    return report.updated_at


def report_objects(report: Report, *, only: set[int] | None = None) -> list[dict[str, Any]]:
    """The STIX objects of one report (the caller has checked that the user may see it).

    With ``only`` (indicator ids), just those indicators with their source and marking, and
    no ``report`` object around them: what a search for attributes answers."""
    source = (platform_identity() if report.anonymous
              else organisation_identity(report.organisation))
    marking = markings.marking_id(report.tlp)
    revoked = report.status == Status.RETRACTED
    revision = _revision_time(report)
    common: dict[str, Any] = {"created_by_ref": source["id"], "object_marking_refs": [marking]}
    if revoked:
        common["revoked"] = True
    links = dict(StixLink.objects.filter(indicator__report=report)
                 .values_list("indicator_id", "stix_id"))
    objects: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(obj: dict[str, Any]) -> None:
        if obj["id"] not in seen:
            seen.add(obj["id"])
            objects.append(obj)

    indicators = (Indicator.objects.filter(report=report).select_related("value")
                  .order_by("id"))
    if only is not None:
        indicators = indicators.filter(pk__in=only)
    for indicator in indicators:
        type_, value = indicator.value.type, indicator.value.value
        created = timestamp(indicator.created_at)
        modified = timestamp(max(indicator.created_at, revision)) if revoked else created
        linked = links.get(indicator.pk)
        if type_ == "cve":
            add({
                "type": "vulnerability", "spec_version": "2.1",
                "id": linked or stable_id("vulnerability", str(indicator.uuid)),
                "created": created, "modified": modified,
                "name": value, "description": indicator.comment or value,
                "external_references": [{"source_name": "cve", "external_id": value}],
                "x_vrisac_first_seen": timestamp(indicator.first_seen),
                "x_vrisac_last_seen": timestamp(indicator.last_seen),
                "x_vrisac_for_detection": indicator.for_detection,
                **common,
            })
            continue
        observable = to_stix(type_, value)
        indicator_id = linked or stable_id("indicator", str(indicator.uuid))
        stix_indicator: dict[str, Any] = {
            "type": "indicator", "spec_version": "2.1", "id": indicator_id,
            "created": created, "modified": modified, "name": value,
            "indicator_types": ["malicious-activity"],
            "pattern": observable.pattern, "pattern_type": "stix", "pattern_version": "2.1",
            "valid_from": timestamp(indicator.first_seen),
            "x_vrisac_type": type_,
            "x_vrisac_for_detection": indicator.for_detection,
            "x_vrisac_last_seen": timestamp(indicator.last_seen),
            **common,
        }
        if indicator.comment:
            stix_indicator["description"] = indicator.comment
        add(stix_indicator)
        if not observable.objects:
            continue
        for sco in observable.objects:
            add({**sco, "object_marking_refs": [marking]})
        observed_id = stable_id("observed-data", indicator_id)
        add({
            "type": "observed-data", "spec_version": "2.1", "id": observed_id,
            "created": created, "modified": modified,
            "first_observed": timestamp(indicator.first_seen),
            "last_observed": timestamp(indicator.last_seen), "number_observed": 1,
            "object_refs": [sco["id"] for sco in observable.objects], **common,
        })
        add({
            "type": "relationship", "spec_version": "2.1",
            "id": stable_id("relationship", indicator_id, observed_id),
            "created": created, "modified": modified, "relationship_type": "based-on",
            "source_ref": indicator_id, "target_ref": observed_id, **common,
        })
    head = [markings.extension_definition(), markings.marking_definition(report.tlp), source]
    if only is not None:
        return [*head, *objects]
    for body in KeptObject.objects.filter(report=report).order_by("id").values_list("body",
                                                                                      flat=True):
        add(orjson.loads(bytes(body)))
    refs = [obj["id"] for obj in objects]
    stix_report: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": report_stix_id(report),
        "created": timestamp(report.created_at), "modified": timestamp(revision),
        "published": timestamp(report.published_at or report.created_at),
        "name": report.title,
        "report_types": REPORT_TYPES.get(report.kind, ["threat-report"]),
        "object_refs": refs or [source["id"]],
        "x_vrisac_kind": report.kind,
        **common,
    }
    if report.body or report.summary:
        stix_report["description"] = report.body or report.summary
    if report.summary:
        stix_report["x_vrisac_summary"] = report.summary
    tags = [t.name for t in report.tags.all()]
    if tags:
        stix_report["labels"] = tags
    return [*head, stix_report, *objects]


def report_bundle(report: Report) -> dict[str, Any]:
    objects = report_objects(report)
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def dumps(bundle: dict[str, Any]) -> bytes:
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2)
