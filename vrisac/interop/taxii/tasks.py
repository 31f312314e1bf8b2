from __future__ import annotations

from typing import Any

import orjson

from vrisac.core.jobs import JobContext, job

from .models import TaxiiObject, TaxiiStatus


@job("taxii.import_reports", queue="imports",
     description="Take the reports of a posted TAXII envelope in as platform reports.")
def import_reports(ctx: JobContext, status: str) -> dict[str, Any]:
    """The reports of an envelope (with the objects they refer to in it) become reports of
    the poster's organisation, shared with the collection's audience; the objects themselves
    stay in the collection exactly as posted."""
    from vrisac.interop.stix.services import objects_import
    from vrisac.sharing.policy import viewer_for

    from .collections import collection_for, default_label

    row = TaxiiStatus.objects.select_related("user").get(pk=status)
    ids = [item["id"] for item in row.successes]
    viewer = viewer_for(row.user)
    # Only what the poster's organisation posted: an object already stored as posted by
    # someone else succeeds without being the poster's.
    bodies = TaxiiObject.objects.filter(
        collection=row.collection, stix_id__in=ids, latest=True, report__isnull=True,
        organisation_id__in=viewer.organisation_ids).values_list("body", flat=True)
    objects = [orjson.loads(bytes(body)) for body in bodies]
    collection = collection_for(viewer, str(row.collection))
    if collection is None:
        ctx.log("the poster no longer reaches this collection; nothing imported")
        return {"imported": 0}
    result = objects_import(acting_user=row.user, objects=objects,
                            where=f"TAXII status {status}", bundle_key=f"taxii:{status}",
                            tlp=default_label(collection.key), audience=collection.audience,
                            origin="taxii")
    for note in result.notes:
        ctx.log(note)
    return result.as_dict()
