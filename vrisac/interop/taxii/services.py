"""Writes to the TAXII store: a posted envelope (all or nothing, in bulk, in one
transaction), the deletion of one's own objects, a collection's default label, and the
STIX objects of a shared report, kept in step with the report (revoked once retracted)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson
from django.db import connection, transaction
from django.db.models import Field, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.interop.stix import markings
from vrisac.interop.stix.parsing import check_objects, parse_timestamp
from vrisac.organisations.models import Organisation
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import (
    NO_OWNER,
    Owner,
    may_claim_source,
    may_write_version,
    viewer_for,
)
from vrisac.sharing.tlp import TLP

from . import owners
from .collections import Collection, collection_id, key_for
from .models import CollectionSetting, TaxiiObject, TaxiiStatus

BATCH = 1000


def _version(obj: dict[str, Any], added: datetime) -> tuple[str, datetime]:
    text = obj.get("modified") or obj.get("created")
    moment = parse_timestamp(text) if text else None
    if moment is None:
        return added.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), added
    return str(text), moment


def refresh_versions(collection: Any, stix_ids: Iterable[str]) -> None:
    """Mark the first and the last version of each object again (after an add or a
    delete of some of its versions)."""
    ids = list(set(stix_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = TaxiiObject.objects.filter(collection=collection, stix_id__in=chunk)
        bounds = rows.values("stix_id").annotate(last=Max("version_at"), first=Min("version_at"))
        latest: list[int] = []
        first: list[int] = []
        edges = {b["stix_id"]: (b["first"], b["last"]) for b in bounds}
        for pk, stix_id, version_at in rows.values_list("pk", "stix_id", "version_at"):
            low, high = edges[stix_id]
            if version_at == high:
                latest.append(pk)
            if version_at == low:
                first.append(pk)
        rows.update(latest=False, first=False)
        TaxiiObject.objects.filter(pk__in=latest).update(latest=True)
        TaxiiObject.objects.filter(pk__in=first).update(first=True)


def _rows(objects: list[dict[str, Any]], *, collection: Any, audience: str,
          organisation_id: int, author_id: int, default_tlp: str, now: datetime,
          report_id: int | None = None, shared: frozenset[str] = frozenset()
          ) -> list[TaxiiObject]:
    rows = []
    for index, obj in enumerate(objects):
        added = now + timedelta(microseconds=index)
        version, version_at = _version(obj, added)
        label = markings.strictest(obj.get("object_marking_refs") or []) or default_tlp
        common = obj["type"] in shared
        rows.append(TaxiiObject(
            collection=collection, stix_id=obj["id"], type=obj["type"],
            spec_version=str(obj.get("spec_version") or "2.1"), version=version,
            version_at=version_at, date_added=added, body=orjson.dumps(obj),
            tlp=TLP.CLEAR if common else label,
            audience=Audience.PUBLIC if common else audience,
            status=Status.PUBLISHED, organisation_id=organisation_id, author_id=author_id,
            report_id=None if common else report_id,
        ))
    return rows


_COLUMNS = ("collection", "stix_id", "type", "spec_version", "version", "version_at",
            "date_added", "latest", "first", "body", "tlp", "audience", "anonymous", "status",
            "organisation_id", "author_id", "report_id")
_FOREIGN = frozenset({"organisation_id", "author_id", "report_id"})


def _insert(rows: list[TaxiiObject]) -> None:
    """Insert in bulk, skipping versions already stored. The statement is written here
    rather than by ``bulk_create``: building a model instance's SQL values field by field
    costs more than the database's own work for an envelope of small objects."""
    if not rows:
        return
    meta = TaxiiObject._meta
    columns = []
    for name in _COLUMNS:
        field = meta.get_field(name[:-3] if name in _FOREIGN else name)
        assert isinstance(field, Field)
        columns.append(str(field.column))
    ops = connection.ops
    # Every row of one write belongs to the same collection (see ``_write``).
    collection = meta.get_field("collection").get_db_prep_value(rows[0].collection, connection)
    values: list[Any] = [
        (collection, row.stix_id, row.type, row.spec_version, row.version,
         ops.adapt_datetimefield_value(row.version_at),
         ops.adapt_datetimefield_value(row.date_added), row.latest, row.first, row.body,
         row.tlp, row.audience, row.anonymous, row.status, row.organisation_id, row.author_id,
         row.report_id)
        for row in rows
    ]
    table = ops.quote_name(meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(values), BATCH):
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608 (names from the model)
                "ON CONFLICT DO NOTHING", values[start:start + BATCH])


def _write(rows: list[TaxiiObject], collection: Any) -> None:
    ids = [row.stix_id for row in rows]
    known: set[str] = set()
    for start in range(0, len(ids), BATCH):
        known.update(TaxiiObject.objects.filter(collection=collection,
                                                stix_id__in=ids[start:start + BATCH])
                     .values_list("stix_id", flat=True))
    _insert(rows)
    repeated = known | {i for i, n in Counter(ids).items() if n > 1}
    if repeated:
        refresh_versions(collection, repeated)


#: How far ahead of the server's clock a posted ``created`` or ``modified`` may lie: a version
#: dated later would stay the latest over every version written after it.
CLOCK_SLACK = timedelta(minutes=5)
#: The most versions of one object a collection takes from posts.
MAX_VERSIONS = 1000


def _claims(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """Where an object names its creator: ``created_by_ref``, and any property ending so
    (``x_…_created_by_ref``), at any depth (extensions included), as (property, id)."""
    found: list[tuple[str, str]] = []
    stack: list[Any] = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and key.endswith("created_by_ref") and isinstance(
                        value, str):
                    found.append((key, value))
                elif isinstance(value, dict | list):
                    stack.append(value)
    return found


def _future(obj: dict[str, Any], limit: str) -> str | None:
    """Whether ``created`` or ``modified`` lies after ``limit`` (to the second: checked STIX
    timestamps compare as text)."""
    for key in ("created", "modified"):
        value = obj.get(key)
        if isinstance(value, str) and value[:19] > limit:
            return _("%(field)s %(value)s lies in the future; timestamps up to five minutes "
                     "ahead of the server's clock are accepted.") % {"field": key,
                                                                     "value": value}
    return None


def _not_yours(owner: Owner, viewer: Any) -> str:
    if owner.platform and (owner.organisation_id is None
                           or owner.organisation_id in viewer.organisation_ids):
        return _("This id is written by the platform (the objects of its reports, the TLP "
                 "definitions, the identities of the platform and of its organisations); a "
                 "report is changed on the platform.")
    return _("This id belongs to another organisation; post your own objects under ids of "
             "your own.")


def _judge(objects: list[dict[str, Any]], rows: list[TaxiiObject], *, collection: Any,
           viewer: Any, now: datetime) -> dict[int, str | None]:
    """Per object of an envelope, why it is refused (a message), ``None`` when it is
    already stored as posted (nothing to write); objects not named are written. The
    sharing policy decides who may write a version of an id and whom it may name as its
    creator; ``owners`` finds out whose the ids are."""
    defined = owners.platform_ids()
    limit = (now + CLOCK_SLACK).strftime("%Y-%m-%dT%H:%M:%S")
    claims = [_claims(obj) if b"created_by_ref" in row.body else []
              for obj, row in zip(objects, rows, strict=True)]
    counts: dict[str, int] = {}
    found = owners.owners_of([obj["id"] for obj in objects]
                             + [ref for listed in claims for _key, ref in listed],
                             collection=collection, viewer=viewer, defined=defined,
                             versions=counts)
    names = (owners.platform_names() if any(obj["type"] == "identity" for obj in objects)
             else {})
    verdicts: dict[int, str | None] = {}
    refused: list[int] = []
    for index, obj in enumerate(objects):
        owner = found.get(obj["id"], NO_OWNER)
        named = names.get(owners.name_key(obj.get("name"))) if obj["type"] == "identity" else None
        if not may_write_version(viewer, owner):
            verdicts[index] = _not_yours(owner, viewer)
            refused.append(index)
        elif (reason := _future(obj, limit)) is not None:
            verdicts[index] = reason
        elif named is not None and not may_claim_source(viewer, named):
            verdicts[index] = _("An identity named %(name)s stands for another organisation "
                                "or for the platform.") % {"name": obj["name"]}
    # A refused object that is exactly a version stored here changes nothing: taken as is.
    # So is a cyber-observable (its version is the time it was added) posted as it stands.
    same = owners.stored_versions(collection, [objects[i]["id"] for i in refused])
    observables = [i for i, obj in enumerate(objects)
                   if i not in verdicts and not owners.owned(obj["id"])]
    last = owners.stored_versions(collection, [objects[i]["id"] for i in observables],
                                  latest_only=True)
    for index in refused:
        body = same.get((rows[index].stix_id, rows[index].version_at))
        if body is not None and orjson.loads(body) == objects[index]:
            verdicts[index] = None
    latest = {stix_id: body for (stix_id, _at), body in last.items()}
    for index in observables:
        body = latest.get(objects[index]["id"])
        if body is not None and orjson.loads(body) == objects[index]:
            verdicts[index] = None
    # A new identity refused here (a name that is not the poster's) is no creator either.
    rejected = {objects[i]["id"] for i, reason in verdicts.items()
                if reason is not None and found.get(objects[i]["id"], NO_OWNER) == NO_OWNER}
    counts.update(owners.version_counts(
        collection, [obj["id"] for obj in objects if not owners.owned(obj["id"])]))
    for index, obj in enumerate(objects):
        if index in verdicts:
            continue
        for key, ref in claims[index]:
            if ref in rejected:
                verdicts[index] = _("%(key)s names %(ref)s, an identity refused in this "
                                    "envelope.") % {"key": key, "ref": ref}
            elif not may_claim_source(viewer, found.get(ref, NO_OWNER)):
                verdicts[index] = _("%(key)s names %(ref)s, the identity of another "
                                    "organisation or of the platform; an object names its "
                                    "own organisation or a third party as its creator.") % {
                    "key": key, "ref": ref}
        if index not in verdicts:
            counts[obj["id"]] = counts.get(obj["id"], 0) + 1
            if counts[obj["id"]] > MAX_VERSIONS:
                verdicts[index] = _("This object has %(n)d versions here, the most one "
                                    "object may have.") % {"n": MAX_VERSIONS}
    return verdicts


@transaction.atomic
def envelope_add(*, acting_user: Any, collection: Collection, objects: Any,
                 request_time: datetime | None = None) -> TaxiiStatus:
    """Store the objects of a posted envelope as posted, each keeping its own id and
    version. Invalid STIX refuses the whole envelope, naming the object; an object that is
    not the poster's to write (see ``_judge``) is refused on its own, a failure of the
    status resource, and the others are stored."""
    if not collection.can_write:
        raise NotAllowed(_("You may not write to this collection."))
    objects = check_objects(objects, where="envelope")
    for obj in objects:
        if markings.strictest(obj.get("object_marking_refs") or []) == TLP.RED:
            raise DomainError(_("envelope %(id)s: TLP:RED objects are shared with named "
                                "people only, never in a collection.") % {"id": obj["id"]},
                              field="objects")
    now = timezone.now()
    viewer = viewer_for(acting_user)
    organisation_id = collection.organisation_id or viewer.organisation_id
    assert organisation_id is not None  # a content role has an organisation
    rows = _rows(objects, collection=collection.id, audience=collection.audience,
                 organisation_id=organisation_id, author_id=acting_user.pk,
                 default_tlp=collection.default_tlp, now=now)
    verdicts = _judge(objects, rows, collection=collection.id, viewer=viewer, now=now)
    _write([row for index, row in enumerate(rows) if index not in verdicts], collection.id)
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        detail: dict[str, Any] = {"id": row.stix_id, "version": row.version}
        reason = verdicts.get(index, "")
        if reason is None:
            detail["message"] = _("Already stored as posted; nothing changed.")
        elif reason:
            detail["message"] = reason
        (failures if reason else successes).append(detail)
    status = TaxiiStatus.objects.create(
        collection=collection.id, user=acting_user, status="complete",
        request_timestamp=request_time or now, total_count=len(objects),
        success_count=len(successes), successes=successes,
        failure_count=len(failures), failures=failures,
    )
    audit_record(action="taxii.objects.add", actor=acting_user, object_type="taxii.collection",
                 object_id=collection.key[:100],
                 details={"objects": len(objects), "refused": len(failures),
                          "status": str(status.id)})
    if any(obj["type"] == "report" and index not in verdicts
           for index, obj in enumerate(objects)):
        from vrisac.core.jobs import job_enqueue

        job_enqueue("taxii.import_reports", arguments={"status": str(status.id)},
                    triggered_by=acting_user)
    return status


@transaction.atomic
def objects_delete(*, acting_user: Any, collection: Collection, stix_id: str,
                   visible: Any) -> int:
    """Delete the versions of an object in ``visible`` (the caller's filtered, visible
    rows) that the acting user's organisation posted. Rows exported from a report are
    withdrawn by retracting the report."""
    rows = list(visible.values_list("pk", "organisation_id", "report_id"))
    if not rows:
        raise NotFound(_("Object not found."))
    viewer = viewer_for(acting_user)
    # The platform's definitions and identities were written with a report's organisation
    # but are the platform's, as a report's objects are.
    if not collection.can_write or stix_id in owners.platform_ids() or any(
            org not in viewer.organisation_ids or report is not None
            for _pk, org, report in rows):
        raise NotAllowed(_("Only objects your organisation posted can be deleted; a "
                           "report's objects are withdrawn by retracting the report."))
    TaxiiObject.objects.filter(pk__in=[pk for pk, _org, _report in rows]).delete()
    refresh_versions(collection.id, [stix_id])
    audit_record(action="taxii.objects.delete", actor=acting_user,
                 object_type="taxii.object", object_id=stix_id[:100],
                 details={"collection": collection.key, "versions": len(rows)})
    return len(rows)


@transaction.atomic
def collection_default_set(*, acting_user: Any, key: str, tlp: str) -> CollectionSetting:
    """A coordinator sets the label of objects posted to a collection without a marking."""
    if not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators change a collection's default label."))
    if tlp not in (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT):
        raise DomainError(_("A collection's default label is TLP:CLEAR, GREEN, AMBER or "
                            "AMBER+STRICT."), field="tlp")
    setting, _created = CollectionSetting.objects.update_or_create(
        key=key, defaults={"default_tlp": tlp, "updated_by": acting_user})
    audit_record(action="taxii.collection.default_tlp", actor=acting_user, obj=setting,
                 details={"collection": key, "tlp": tlp})
    return setting


#: The objects every report's bundle carries (its TLP definitions and source identity): the
#: platform's, the same in every report, shared with everyone who reads the collection.
_SHARED_TYPES = frozenset({"marking-definition", "extension-definition", "identity"})


class _Stored(NamedTuple):
    pk: int
    stix_id: str
    version_at: datetime
    report_id: int | None
    organisation_id: int
    date_added: datetime


def _supersede(objects: list[dict[str, Any]], *, collection: Any, report: Any
               ) -> list[dict[str, Any]]:
    """The platform's objects of a report as they go into a collection.

    * An id the report carries from elsewhere (taken in with its own id), or its own id
      when that was stored before the report existed (a MISP event's uuid can be chosen),
      is its first poster's in the collection: if that is another organisation, the
      platform writes no version of it there.
    * Versions another organisation posted of the ids the platform made for the report
      (copied from an export before the report reached the collection) are removed.
    * Each object is dated after the versions the collection holds of its id from the
      report's organisation (a report it posted, dated later), so that the platform's
      version is the latest: a revocation always reaches the readers."""
    from vrisac.interop.stix.export import report_stix_id, timestamp
    from vrisac.interop.stix.models import KeptObject, StixLink

    ids = [obj["id"] for obj in objects
           if obj["type"] not in _SHARED_TYPES and owners.owned(obj["id"])]
    stored: list[_Stored] = []
    for start in range(0, len(ids), BATCH):
        stored += map(_Stored._make, TaxiiObject.objects.filter(
            collection=collection, stix_id__in=ids[start:start + BATCH]).values_list(
            "pk", "stix_id", "version_at", "report_id", "organisation_id", "date_added"))
    if not stored:
        return objects
    mine = report.organisation_id
    by_id: dict[str, list[_Stored]] = {}
    for row in stored:
        by_id.setdefault(row.stix_id, []).append(row)
    kept = set(KeptObject.objects.filter(report=report).values_list("stix_id", flat=True))
    skipped: set[str] = set()
    removed: list[_Stored] = []
    foreign = {stix_id: [r for r in rows if r.report_id is None and r.organisation_id != mine]
               for stix_id, rows in by_id.items()}
    if any(foreign.values()):
        taken = kept | set(StixLink.objects.filter(
            Q(report=report) | Q(indicator__report=report)).values_list("stix_id", flat=True))
        own = report_stix_id(report)
        for stix_id, theirs in foreign.items():
            if not theirs:
                continue
            earliest = min(by_id[stix_id], key=lambda r: r.date_added)
            if stix_id in taken or (stix_id == own and earliest.date_added <= report.created_at):
                if earliest in theirs:
                    skipped.add(stix_id)
            else:
                removed += theirs
    if removed:
        TaxiiObject.objects.filter(pk__in=[r.pk for r in removed]).delete()
        refresh_versions(collection, {r.stix_id for r in removed})
        audit_record(action="taxii.objects.superseded", obj=report,
                     details={"collection": str(collection), "versions": len(removed)})
    newest: dict[str, _Stored] = {}
    for row in stored:
        if row.organisation_id == mine and (row.stix_id not in newest
                                            or row.version_at > newest[row.stix_id].version_at):
            newest[row.stix_id] = row
    out = []
    for obj in objects:
        if obj["id"] in skipped:
            continue
        top = newest.get(obj["id"])
        moment = parse_timestamp(obj.get("modified"))
        if top is not None and moment is not None and obj["id"] not in kept and (
                top.version_at > moment or (top.version_at == moment
                                            and top.report_id != report.pk)):
            obj = {**obj, "modified": timestamp(top.version_at + timedelta(milliseconds=1))}
        out.append(obj)
    return out


def _new_observables(objects: list[dict[str, Any]], collection: Any
                     ) -> list[dict[str, Any]]:
    """``objects`` without the cyber-observables the collection holds as they are: an
    observable's version is the time it was added, so writing it again unchanged would add
    a version at every change of its report."""
    observables = [obj["id"] for obj in objects if not owners.owned(obj["id"])]
    if not observables:
        return objects
    latest = {stix_id: body for (stix_id, _at), body in owners.stored_versions(
        collection, observables, latest_only=True).items()}
    return [obj for obj in objects
            if owners.owned(obj["id"]) or latest.get(obj["id"]) is None
            or orjson.loads(latest[obj["id"]]) != obj]


def report_shared(*, report: Any) -> None:
    """Keep a report's STIX objects in its TAXII collection in step with the report: every
    published version is added (a retracted report as revoked), and earlier rows take the
    report's current label and audience, so nobody the report no longer reaches reads them.
    Runs inside the report service's transaction."""
    from vrisac.interop.stix.export import report_objects, report_stix_id

    existing = TaxiiObject.objects.filter(report=report)
    existing.update(tlp=report.tlp, audience=report.audience, status=report.status,
                    organisation_id=report.organisation_id, author_id=report.author_id)
    if report.status == Status.DRAFT:
        return
    organisation = Organisation.objects.get(pk=report.organisation_id)
    key = key_for(report.audience, organisation)
    collections = set(existing.values_list("collection", flat=True).distinct())
    if key is not None and report.status == Status.PUBLISHED:
        collections.add(collection_id(key))
    # A report its organisation posted to a collection is there as it was posted: the
    # platform report taken in from it adds nothing to that collection, until it is
    # retracted: the revocation reaches every collection that carries the report.
    posted = set(TaxiiObject.objects.filter(stix_id=report_stix_id(report),
                                            report__isnull=True,
                                            organisation_id=report.organisation_id)
                 .values_list("collection", flat=True))
    if report.status == Status.PUBLISHED:
        collections -= posted
    else:
        collections |= posted
    objects = report_objects(report) if collections else []
    for collection in sorted(collections):
        rows = _rows(_supersede(_new_observables(objects, collection), collection=collection,
                                report=report),
                     collection=collection, audience=report.audience,
                     organisation_id=report.organisation_id, author_id=report.author_id,
                     default_tlp=report.tlp, now=timezone.now(), report_id=report.pk,
                     shared=_SHARED_TYPES)
        _write(rows, collection)
