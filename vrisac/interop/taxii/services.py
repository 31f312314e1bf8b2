"""Writes to the TAXII store: a posted envelope (all or nothing, in bulk, in one
transaction), the deletion of one's own objects, a collection's default label, and the
STIX objects of a shared report, kept in step with the report (revoked once retracted)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Field, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.interop.stix import markings
from vrisac.interop.stix.parsing import check_objects, parse_timestamp
from vrisac.organisations.models import Organisation
from vrisac.sharing.models import Audience, Status
from vrisac.sharing.policy import viewer_for
from vrisac.sharing.tlp import TLP

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


@transaction.atomic
def envelope_add(*, acting_user: Any, collection: Collection, objects: Any,
                 request_time: datetime | None = None) -> TaxiiStatus:
    """Store the objects of a posted envelope as posted, each keeping its own id and
    version. All or nothing: one bad object refuses the envelope, naming it."""
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
    _write(rows, collection.id)
    status = TaxiiStatus.objects.create(
        collection=collection.id, user=acting_user, status="complete",
        request_timestamp=request_time or now, total_count=len(objects),
        success_count=len(objects),
        successes=[{"id": row.stix_id, "version": row.version} for row in rows],
    )
    audit_record(action="taxii.objects.add", actor=acting_user, object_type="taxii.collection",
                 object_id=collection.key[:100],
                 details={"objects": len(objects), "status": str(status.id)})
    if any(obj["type"] == "report" for obj in objects):
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
    if not collection.can_write or any(
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


def report_shared(*, report: Any) -> None:
    """Keep a report's STIX objects in its TAXII collection in step with the report: every
    published version is added (a retracted report as revoked), and earlier rows take the
    report's current label and audience, so nobody the report no longer reaches reads them.
    Runs inside the report service's transaction."""
    from vrisac.interop.stix.export import report_objects
    from vrisac.interop.stix.models import StixLink

    existing = TaxiiObject.objects.filter(report=report)
    existing.update(tlp=report.tlp, audience=report.audience, status=report.status,
                    organisation_id=report.organisation_id, author_id=report.author_id)
    if report.status == Status.DRAFT:
        return
    if StixLink.objects.filter(report=report, origin="taxii").exists():
        return  # its objects are in the collection as they were posted
    organisation = Organisation.objects.get(pk=report.organisation_id)
    key = key_for(report.audience, organisation)
    collections = set(existing.values_list("collection", flat=True).distinct())
    if key is not None and report.status == Status.PUBLISHED:
        collections.add(collection_id(key))
    objects = report_objects(report) if collections else []
    for collection in sorted(collections):
        rows = _rows(objects, collection=collection, audience=report.audience,
                     organisation_id=report.organisation_id, author_id=report.author_id,
                     default_tlp=report.tlp, now=timezone.now(), report_id=report.pk,
                     shared=frozenset({"marking-definition", "extension-definition",
                                       "identity"}))
        _write(rows, collection)
