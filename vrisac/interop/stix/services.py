"""Import of STIX 2.1 bundles: reports and indicators are created or updated by STIX id and
``modified``; objects the platform does not model are kept (and sent out again with their
report) and listed in the result. The whole input is checked before anything is written;
each report is then written in its own transaction."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db import transaction
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError
from vrisac.intel.models import Indicator
from vrisac.intel.normalise import InvalidValue, normalise
from vrisac.intel.services import indicator_update, report_indicators_add
from vrisac.reports.models import Report
from vrisac.reports.services import (
    report_create,
    report_publish,
    report_retract,
    report_update,
)
from vrisac.sharing import tlp as tlp_labels
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import can_edit

from . import markings
from .export import stable_id, timestamp
from .mapping import from_pattern
from .models import KeptObject, StixLink
from .parsing import SCO_TYPES, StixError, fail, parse_timestamp

#: Objects that need no keeping: the platform writes its own on export.
_COVERED_TYPES = frozenset({"identity", "marking-definition", "extension-definition"})
_KINDS_BY_TYPE = {"observed-data": "incident", "vulnerability": "vulnerability"}
DEFAULT_TLP = "TLP:AMBER"


@dataclass
class ImportResult:
    """What an import did, to show to the person who ran it."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    retracted: list[int] = field(default_factory=list)
    indicators_added: int = 0
    kept: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "retracted": self.retracted,
                "indicators_added": self.indicators_added, "kept": dict(self.kept),
                "notes": self.notes}


@dataclass
class _Item:
    stix_id: str
    modified: datetime
    type: str
    value: str
    comment: str
    for_detection: bool | None
    first_seen: str | None
    last_seen: str | None


@dataclass
class _Plan:
    obj: dict[str, Any]
    stix_id: str
    modified: datetime
    tlp: str
    items: list[_Item]
    kept: list[dict[str, Any]]


def _modified(obj: dict[str, Any]) -> datetime:
    moment = parse_timestamp(obj.get("modified") or obj.get("created"))
    assert moment is not None  # checked by parsing.check_objects
    return moment


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _indicator_item(obj: dict[str, Any], where: str) -> _Item | None:
    if obj.get("type") == "vulnerability":
        name = str(obj.get("name") or "")
        cves = [ref.get("external_id") for ref in obj.get("external_references") or []
                if isinstance(ref, dict) and ref.get("source_name") == "cve"]
        value = cves[0] if cves and isinstance(cves[0], str) else name
        found: tuple[str, str] | None = ("cve", value)
    else:
        pattern = obj.get("pattern")
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            return None
        hint = obj.get("x_vrisac_type")
        found = from_pattern(pattern, hint if isinstance(hint, str) else None)
    if found is None:
        return None
    try:
        normalise(*found)
    except InvalidValue as exc:
        if found[0] == "cve":
            return None
        raise fail(f"{where} {obj['id']}", exc.message) from None
    comment = obj.get("description") or ""
    detection = obj.get("x_vrisac_for_detection")
    return _Item(
        stix_id=obj["id"], modified=_modified(obj), type=found[0], value=found[1],
        comment=str(comment)[:1000] if obj.get("type") == "indicator" or comment != found[1]
        else "",
        for_detection=detection if isinstance(detection, bool) else None,
        first_seen=_text_or_none(obj.get("valid_from") or obj.get("x_vrisac_first_seen")),
        last_seen=_text_or_none(obj.get("x_vrisac_last_seen")),
    )


def _covered(obj: dict[str, Any], mapped: set[str], observed: frozenset[str] = frozenset()
             ) -> bool:
    """Whether the platform rebuilds this object itself on export: markings, identities,
    observables, and the observations and relationships that tie them to an indicator."""
    type_ = obj["type"]
    if type_ in _COVERED_TYPES or type_ in SCO_TYPES or obj["id"] in observed:
        return True
    if type_ == "relationship":
        return (obj.get("relationship_type") == "based-on"
                and obj.get("source_ref") in mapped)
    return obj["id"] in mapped


def _tlp_of(objs: Sequence[dict[str, Any]], default: str) -> str:
    labels = [label for obj in objs
              if (label := markings.strictest(obj.get("object_marking_refs") or []))]
    return max(labels, key=tlp_labels.rank) if labels else default


def plan(objects: list[dict[str, Any]], *, where: str, default_tlp: str,
         bundle_key: str) -> tuple[list[_Plan], list[dict[str, Any]]]:
    """Which report gets which indicators and kept objects. Loose indicators go into one
    report named after the input; loose objects of other kinds are kept on their own."""
    by_id = {obj["id"]: obj for obj in objects}
    plans: list[_Plan] = []
    claimed: set[str] = set()
    items_by_id: dict[str, _Item | None] = {}

    def item_of(obj: dict[str, Any]) -> _Item | None:
        if obj["id"] not in items_by_id:
            mappable = obj["type"] in ("indicator", "vulnerability")
            items_by_id[obj["id"]] = _indicator_item(obj, where) if mappable else None
        return items_by_id[obj["id"]]

    def build(report: dict[str, Any], members: list[dict[str, Any]]) -> _Plan:
        items = [item for obj in members if (item := item_of(obj)) is not None]
        mapped = {item.stix_id for item in items}
        observed = frozenset(
            str(obj.get("target_ref")) for obj in objects
            if obj["type"] == "relationship" and obj.get("relationship_type") == "based-on"
            and obj.get("source_ref") in mapped
            and str(obj.get("target_ref", "")).startswith("observed-data--"))
        kept = [obj for obj in members if not _covered(obj, mapped, observed)]
        related = [obj for obj in objects if obj["type"] == "relationship"
                   and obj["id"] not in {m["id"] for m in members}
                   and obj.get("source_ref") in mapped and not _covered(obj, mapped)]
        claimed.update(m["id"] for m in members + related)
        tlp = _tlp_of([report, *[by_id[i.stix_id] for i in items]], default_tlp)
        return _Plan(report, report["id"], _modified(report), tlp, items, kept + related)

    for obj in objects:
        if obj["type"] == "report":
            refs = obj.get("object_refs") or []
            members = [by_id[ref] for ref in refs if ref in by_id]
            members += [by_id[o["id"]] for o in objects if o["type"] == "relationship"
                        and o.get("source_ref") in refs and o["id"] not in refs]
            plans.append(build(obj, members))
            claimed.add(obj["id"])
    loose = [obj for obj in objects if obj["id"] not in claimed]
    loose_items = [obj for obj in loose if item_of(obj) is not None]
    if loose_items:
        stamp = max(str(obj.get("modified") or obj.get("created")) for obj in loose_items)
        wrapper = {
            "type": "report", "spec_version": "2.1",
            "id": stable_id("report", "bundle", bundle_key),
            "created": stamp, "modified": stamp,
            "name": _("Indicators from %(w)s") % {"w": where[:150]},
            "object_refs": [obj["id"] for obj in loose_items], "x_vrisac_wrapper": True,
        }
        plans.append(build(wrapper, loose))
        loose = []
    rest = [obj for obj in loose if not _covered(obj, set())]
    return plans, rest


def _stored_modified(report: Report, link: StixLink | None) -> datetime:
    """The newest version the platform holds: the source's last ``modified`` taken in, or
    the report's own last change (what its own exports say), whichever is later; so that
    the platform's own export of an imported report, coming back, changes nothing."""
    revision = report.retracted_at if report.status == Status.RETRACTED else None
    moment = max(filter(None, [report.updated_at, revision]))
    own = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return max(own, link.modified) if link is not None else own


def _existing_report(stix_id: str) -> tuple[Report | None, StixLink | None]:
    link = StixLink.objects.select_related("report").filter(stix_id=stix_id).first()
    if link is not None and link.report is not None:
        return link.report, link
    prefix, _sep, tail = stix_id.partition("--")
    try:
        own = uuid.UUID(tail)
    except ValueError:
        return None, None
    return Report.objects.filter(uuid=own).first() if prefix == "report" else None, None


def _kind(obj: dict[str, Any]) -> str:
    kind = obj.get("x_vrisac_kind")
    if kind in Report.Kind.values and kind != Report.Kind.WARNING:
        return str(kind)
    for report_type in obj.get("report_types") or []:
        if report_type in _KINDS_BY_TYPE:
            return _KINDS_BY_TYPE[report_type]
    return Report.Kind.THREAT


def _tags(obj: dict[str, Any]) -> list[str]:
    import re

    tags = []
    for label in obj.get("labels") or []:
        tag = str(label).strip().lower()
        if re.fullmatch(r"[\w.+-]{1,64}", tag) and tag not in tags:
            tags.append(tag)
    return tags[:20]


def _text(obj: dict[str, Any], where: str) -> tuple[str, str, str]:
    title = str(obj.get("name") or obj["id"])
    if len(title) > 200:
        title = title[:199] + "…"
    summary = obj.get("x_vrisac_summary")
    body = obj.get("description") or ""
    if not isinstance(body, str):
        raise fail(f"{where} {obj['id']}.description", _("must be text."))
    summary = str(summary) if isinstance(summary, str) else ""
    return title, summary, body


def _item_dict(item: _Item) -> dict[str, Any]:
    return {"type": item.type, "value": item.value, "comment": item.comment,
            "for_detection": item.for_detection, "first_seen": item.first_seen,
            "last_seen": item.last_seen}


def _link_indicators(report: Report, items: list[_Item], origin: str) -> None:
    digests = {normalise(i.type, i.value).digest: i for i in items}
    found = Indicator.objects.filter(report=report, value__digest__in=list(digests))
    links = []
    for indicator in found.select_related("value"):
        item = digests.get(bytes(indicator.value.digest))
        if item is not None:
            links.append(StixLink(stix_id=item.stix_id, indicator=indicator,
                                  modified=item.modified, origin=origin))
    StixLink.objects.bulk_create(links, ignore_conflicts=True)


def _keep(report: Report | None, objs: list[dict[str, Any]], result: ImportResult) -> None:
    rows = [KeptObject(stix_id=obj["id"], type=obj["type"],
                       modified=str(obj.get("modified") or obj.get("created") or ""),
                       report=report, body=orjson.dumps(obj)) for obj in objs]
    KeptObject.objects.bulk_create(rows, ignore_conflicts=True)
    result.kept.update(obj["type"] for obj in objs)


def _apply(unit: _Plan, *, acting_user: Any, audience: str, organisations: Sequence[Any],
           people: Sequence[Any], origin: str, where: str, result: ImportResult) -> None:
    report, link = _existing_report(unit.stix_id)
    revoked = unit.obj.get("revoked") is True
    title, summary, body = _text(unit.obj, where)
    if report is None:
        if revoked:
            result.notes.append(_("%(id)s is revoked and was not known here; not imported.")
                                % {"id": unit.stix_id})
            return
        report = report_create(
            author=acting_user, kind=_kind(unit.obj), title=title, summary=summary, body=body,
            tlp=unit.tlp, audience=audience, audience_organisations=organisations,
            audience_people=people, tags=_tags(unit.obj),
            indicators=[_item_dict(i) for i in unit.items],
        )
        if unit.stix_id != f"report--{report.uuid}":
            # Before publishing: a report that came over TAXII is in its collection already.
            StixLink.objects.create(stix_id=unit.stix_id, report=report,
                                    modified=unit.modified, origin=origin)
        report = report_publish(report=report, acting_user=acting_user)
        _link_indicators(report, unit.items, origin)
        _keep(report, unit.kept, result)
        result.created.append(report.pk)
        result.indicators_added += Indicator.objects.filter(report=report).count()
        return
    if not can_edit(acting_user, report):
        raise fail(f"{where} {unit.stix_id}", _("this report exists here and is not yours "
                                                 "to change."))
    if unit.obj.get("x_vrisac_wrapper") and report.status != Status.RETRACTED:
        # Loose indicators have no report version of their own: each is taken by its id.
        before = result.indicators_added
        _update_indicators(report, unit.items, acting_user, origin, result)
        _keep(report, unit.kept, result)
        (result.updated if result.indicators_added > before else result.unchanged).append(
            report.pk)
        return
    if unit.modified <= _stored_modified(report, link):
        result.unchanged.append(report.pk)
        return
    if report.status != Status.RETRACTED:
        report = report_update(report=report, acting_user=acting_user, title=title,
                               summary=summary, body=body, kind=_kind(unit.obj),
                               tags=_tags(unit.obj))
        _update_indicators(report, unit.items, acting_user, origin, result)
        _keep(report, unit.kept, result)
    if revoked and report.status == Status.PUBLISHED:
        report = report_retract(report=report, acting_user=acting_user,
                                reason=_("Revoked by its source."))
        result.retracted.append(report.pk)
    else:
        result.updated.append(report.pk)
    if link is not None:
        StixLink.objects.filter(pk=link.pk).update(modified=unit.modified)


def _update_indicators(report: Report, items: list[_Item], acting_user: Any, origin: str,
                       result: ImportResult) -> None:
    known = {bytes(d): pk for pk, d in Indicator.objects.filter(report=report)
             .values_list("pk", "value__digest")}
    new = []
    for item in items:
        pk = known.get(normalise(item.type, item.value).digest)
        if pk is None:
            new.append(item)
            continue
        indicator = Indicator.objects.get(pk=pk)
        if (indicator.comment != item.comment
                or (item.for_detection is not None
                    and indicator.for_detection != item.for_detection)):
            indicator_update(indicator=indicator, acting_user=acting_user,
                             comment=item.comment, for_detection=item.for_detection)
    if new:
        added = report_indicators_add(report=report, acting_user=acting_user,
                                      items=[_item_dict(i) for i in new])
        result.indicators_added += added.added
    _link_indicators(report, items, origin)


def objects_import(*, acting_user: Any, objects: list[dict[str, Any]], where: str,
                   tlp: str | None = None, audience: str = Audience.PARTICIPANTS,
                   audience_organisations: Sequence[Any] = (),
                   audience_people: Sequence[Any] = (), origin: str = "file",
                   bundle_key: str | None = None) -> ImportResult:
    """Import checked STIX objects (see ``parsing``). Planning reads everything first and
    refuses the whole input on an invalid value; then each report is one transaction."""
    default_tlp = tlp or DEFAULT_TLP
    if default_tlp not in tlp_labels.TLP.values:
        raise DomainError(_("Unknown TLP label %(l)s.") % {"l": default_tlp}, field="tlp")
    plans, rest = plan(objects, where=where, default_tlp=default_tlp,
                       bundle_key=bundle_key or where)
    result = ImportResult()
    for unit in plans:
        with transaction.atomic():
            _apply(unit, acting_user=acting_user, audience=audience,
                   organisations=audience_organisations, people=audience_people,
                   origin=origin, where=where, result=result)
    if rest:
        with transaction.atomic():
            _keep(None, rest, result)
    if result.kept:
        result.notes.append(_("Kept, not modelled here: %(list)s.") % {
            "list": ", ".join(f"{n} {t}" for t, n in sorted(result.kept.items()))})
    with transaction.atomic():
        audit_record(action="stix.import", actor=acting_user, object_type="stix.bundle",
                     object_id=(bundle_key or where)[:100],
                     details={"origin": origin, "created": len(result.created),
                              "updated": len(result.updated),
                              "unchanged": len(result.unchanged),
                              "indicators_added": result.indicators_added,
                              "kept": sum(result.kept.values())})
    return result


def bundle_import(*, acting_user: Any, data: bytes, where: str, **options: Any
                  ) -> ImportResult:
    """Check and import a STIX 2.1 bundle given as bytes (a file, an API request)."""
    from .parsing import load_bundle

    objects = load_bundle(data, where=where)
    return objects_import(acting_user=acting_user, objects=objects, where=where,
                          bundle_key=where, **options)


def export_record(*, acting_user: Any, report: Report, face: str) -> None:
    """Write the export of a report to the audit log."""
    audit_record(action="stix.export", actor=acting_user, obj=report,
                 details={"face": face, "tlp": report.tlp,
                          "at": timestamp(report.updated_at)})


__all__ = ["ImportResult", "StixError", "bundle_import", "export_record", "objects_import"]
