"""The TAXII collections a person may read or write: one per audience. All VR-ISAC
participants; participants and partners; and the person's own organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from vrisac.organisations.models import Organisation
from vrisac.sharing.models import Audience
from vrisac.sharing.policy import Viewer

from .models import CollectionSetting

NAMESPACE = uuid.UUID("8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a")
DEFAULT_TLP = "TLP:AMBER"


@dataclass(frozen=True)
class Collection:
    id: uuid.UUID
    key: str
    title: str
    description: str
    audience: str
    organisation_id: int | None
    can_read: bool
    can_write: bool
    default_tlp: str

    def as_resource(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "title": self.title, "description": self.description,
            "can_read": self.can_read, "can_write": self.can_write,
            "media_types": ["application/stix+json;version=2.1"],
        }


def collection_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


def key_for(audience: str, organisation: Organisation | None = None) -> str | None:
    """The collection a report of this audience is published in (none for named
    organisations or people: they are not a collection's audience)."""
    if audience == Audience.PARTICIPANTS:
        return "participants"
    if audience in (Audience.PARTNERS, Audience.PUBLIC):
        return "partners"
    if audience == Audience.ORGANISATION and organisation is not None:
        return f"organisation:{organisation.slug}"
    return None


def default_label(key: str) -> str:
    """The label of objects posted to the collection without a TLP marking."""
    found = CollectionSetting.objects.filter(key=key).values_list("default_tlp", flat=True)
    return found.first() or DEFAULT_TLP


def _candidates(viewer: Viewer) -> list[tuple[str, str, str, str, int | None]]:
    if not viewer.reads_content:
        return []
    found: list[tuple[str, str, str, str, int | None]] = []
    if viewer.is_participant:
        found.append(("participants", _("All VR-ISAC participants"),
                      _("Shared with every participant and ISAC coordinator."),
                      Audience.PARTICIPANTS, None))
    found.append(("partners", _("VR-ISAC participants and partners"),
                  _("Shared with participants, coordinators and connected partners "
                    "(NCSC-NL, other ISACs)."), Audience.PARTNERS, None))
    return found


def _own(viewer: Viewer, organisation_ids: Any) -> list[tuple[str, str, str, str, int | None]]:
    return [(f"organisation:{organisation.slug}",
             _("Own organisation: %(name)s") % {"name": organisation.name},
             _("Shared with the members of %(name)s only.") % {"name": organisation.name},
             Audience.ORGANISATION, organisation.pk)
            for organisation in Organisation.objects.filter(pk__in=organisation_ids)]


def _collection(item: tuple[str, str, str, str, int | None], label: str | None) -> Collection:
    key, title, description, audience, organisation_id = item
    if label is not None:
        description += " " + _("Objects posted without a TLP marking are labelled "
                               "%(label)s.") % {"label": label}
    return Collection(id=collection_id(key), key=key, title=title, description=description,
                      audience=audience, organisation_id=organisation_id, can_read=True,
                      can_write=True, default_tlp=label or "")


def collections_for(viewer: Viewer) -> list[Collection]:
    """The collections this viewer may read or write, in a fixed order."""
    if not viewer.reads_content:
        return []
    labels = dict(CollectionSetting.objects.values_list("key", "default_tlp"))
    items = _candidates(viewer) + _own(viewer, viewer.organisation_ids)
    return [_collection(item, labels.get(item[0], DEFAULT_TLP)) for item in items]


def collection_for(viewer: Viewer, collection: str, *, with_label: bool = False
                   ) -> Collection | None:
    """One collection of the viewer by its id, with as few queries as a read needs (the
    default label only when asked for: posting and describing need it)."""
    items = [item for item in _candidates(viewer) if str(collection_id(item[0])) == collection]
    if not items and viewer.reads_content:
        items = [item for item in _own(viewer, viewer.organisation_ids)
                 if str(collection_id(item[0])) == collection]
    if not items:
        return None
    return _collection(items[0], default_label(items[0][0]) if with_label else None)
