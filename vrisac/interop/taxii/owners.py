"""Whose a STIX id is, for a post to a collection: the facts the sharing policy's
``may_write_version`` and ``may_claim_source`` judge.

* The ids the platform defines (the TLP marking definitions, TLP 2.0 and the legacy TLP 1.0
  ids, the TLP extension definition, the platform's own identity and the identity it writes
  for each organisation) are the platform's; an organisation's identity speaks for it.
* ``report--<uuid>`` of a report the poster may see is that report's organisation's, and
  only the platform writes it.
* Any other id is the organisation's that first stored it, among the versions in the
  collection posted to and the versions the poster may read anywhere; when the platform
  wrote one of them (a report's objects), only the platform writes it. Versions the poster
  may not read are never consulted, so a refusal tells nobody that they exist.
* Cyber-observables are nobody's: their ids are derived from their values (STIX 2.1
  section 2.9), the same for every organisation that sees the same address.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from vrisac.interop.stix.export import (
    PLATFORM_IDENTITY,
    organisation_identity_id,
    platform_identity,
)
from vrisac.interop.stix.markings import TLP_EXTENSION_ID
from vrisac.interop.stix.parsing import SCO_TYPES
from vrisac.organisations.models import Organisation
from vrisac.reports.models import Report
from vrisac.sharing import tlp
from vrisac.sharing.policy import NO_OWNER, Owner, Viewer, Visible

from .models import TaxiiObject

BATCH = 1000
PLATFORM = Owner(platform=True)


def owned(stix_id: str) -> bool:
    """Whether an id can be anyone's: every id but a cyber-observable's."""
    return stix_id.partition("--")[0] not in SCO_TYPES


def name_key(name: Any) -> str:
    """An identity's name as compared with the organisations' names."""
    return " ".join(str(name).split()).casefold()


def platform_ids() -> dict[str, Owner]:
    """The ids the platform defines, with their owners."""
    found = {PLATFORM_IDENTITY: PLATFORM, TLP_EXTENSION_ID: PLATFORM}
    for info in tlp.labels().values():
        for marking in (info.stix21_id, *info.stix21_legacy_ids):
            found[marking] = PLATFORM
    for pk, slug in Organisation.objects.values_list("pk", "slug"):
        found[organisation_identity_id(slug)] = Owner(pk, platform=True)
    return found


def platform_names() -> dict[str, Owner]:
    """The names that stand for an organisation of the platform, or for the platform."""
    found = {name_key(name): Owner(pk) for pk, name in
             Organisation.objects.values_list("pk", "name")}
    found[name_key(platform_identity()["name"])] = PLATFORM
    return found


def _report_owners(ids: list[str], viewer: Viewer) -> dict[str, Owner]:
    uuids: dict[uuid.UUID, str] = {}
    for stix_id in ids:
        prefix, _sep, tail = stix_id.partition("--")
        if prefix == "report":
            try:
                uuids[uuid.UUID(tail)] = stix_id
            except ValueError:
                continue
    found: dict[str, Owner] = {}
    keys = list(uuids)
    for start in range(0, len(keys), BATCH):
        rows = (Report.objects.filter(uuid__in=keys[start:start + BATCH])
                .filter(Visible(Report, viewer)).values_list("uuid", "organisation_id"))
        for report_uuid, organisation_id in rows:
            found[uuids[report_uuid]] = Owner(organisation_id, platform=True)
    return found


def owners_of(ids: Iterable[str], *, collection: Any, viewer: Viewer,
              defined: dict[str, Owner], versions: dict[str, int] | None = None
              ) -> dict[str, Owner]:
    """The owner of each id (``NO_OWNER`` for a new one, and for cyber-observables). With
    ``versions``, counts there how many versions of each id (but the platform's own
    definitions and reports) the collection holds."""
    wanted = [i for i in set(ids) if owned(i)]
    found = {i: defined[i] for i in wanted if i in defined}
    rest = [i for i in wanted if i not in found]
    found.update(_report_owners(rest, viewer))
    rest = [i for i in rest if i not in found]
    seen = Visible(TaxiiObject, viewer) | Q(collection=collection)
    first: dict[str, int] = {}
    platform: set[str] = set()
    for start in range(0, len(rest), BATCH):
        rows = (TaxiiObject.objects.filter(stix_id__in=rest[start:start + BATCH]).filter(seen)
                .order_by("date_added", "pk")
                .values_list("stix_id", "organisation_id", "report_id", "collection"))
        for stix_id, organisation_id, report_id, where in rows:
            first.setdefault(stix_id, organisation_id)
            if report_id is not None:
                platform.add(stix_id)
            if versions is not None and where == collection:
                versions[stix_id] = versions.get(stix_id, 0) + 1
    for stix_id, organisation_id in first.items():
        found[stix_id] = Owner(organisation_id, platform=stix_id in platform)
    return {i: found.get(i, NO_OWNER) for i in wanted}


def version_counts(collection: Any, ids: Iterable[str]) -> dict[str, int]:
    """How many versions of each id the collection holds."""
    wanted = list(set(ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), BATCH):
        rows = (TaxiiObject.objects.filter(collection=collection,
                                           stix_id__in=wanted[start:start + BATCH])
                .values("stix_id").annotate(n=Count("pk")).values_list("stix_id", "n"))
        found.update(rows)
    return found


def stored_versions(collection: Any, ids: Iterable[str], *, latest_only: bool = False
                    ) -> dict[tuple[str, Any], bytes]:
    """The stored bodies of these ids in the collection, by (id, version time)."""
    wanted = list(set(ids))
    found: dict[tuple[str, Any], bytes] = {}
    for start in range(0, len(wanted), BATCH):
        rows = TaxiiObject.objects.filter(collection=collection,
                                          stix_id__in=wanted[start:start + BATCH])
        if latest_only:
            rows = rows.filter(latest=True)
        found.update(((stix_id, at), bytes(body)) for stix_id, at, body
                     in rows.values_list("stix_id", "version_at", "body"))
    return found
