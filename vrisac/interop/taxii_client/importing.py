"""The hand-over from a pull to the STIX importer (``vrisac.interop.stix.services``): the
pulled objects are checked as a TAXII envelope's objects and imported in the name of the
collection's person, under its TLP label (where the objects carry no stricter marking) and
audience. The importer creates or updates reports and indicators by STIX id and
``modified``, understands TLP 2.0 and the legacy marking ids, and keeps the objects the
platform does not model.

Loose indicators (not listed in a report) are gathered by the importer into one report per
collection, keyed on the collection's name, so a second pull updates that report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vrisac.interop.stix.models import StixLink
from vrisac.interop.stix.parsing import check_objects
from vrisac.interop.stix.services import objects_import

from .models import RemoteCollection


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmodelled: int = 0
    indicators_added: int = 0
    notes: list[str] = field(default_factory=list)


def import_objects(*, objects: Iterable[dict[str, Any]], remote: RemoteCollection,
                   acting_user: Any, label: str) -> ImportCounts:
    checked = check_objects(list(objects), where=label)
    result = objects_import(
        acting_user=remote.import_as, objects=checked, where=label, tlp=remote.tlp,
        audience=remote.audience, origin=StixLink.Origin.TAXII,
        bundle_key=f"taxii-client:{remote.name}")
    return ImportCounts(created=len(result.created), updated=len(result.updated),
                        unchanged=len(result.unchanged),
                        unmodelled=sum(result.kept.values()),
                        indicators_added=result.indicators_added, notes=list(result.notes))
