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


def _default_label(key: str, settings: dict[str, str]) -> str:
    return settings.get(key, DEFAULT_TLP)


def collections_for(viewer: Viewer) -> list[Collection]:
    """The collections this viewer may read or write, in a fixed order."""
    if not viewer.reads_content:
        return []
    settings = dict(CollectionSetting.objects.values_list("key", "default_tlp"))
    found: list[tuple[str, str, str, str, int | None]] = []
    if viewer.is_participant:
        found.append(("participants", _("All VR-ISAC participants"),
                      _("Shared with every participant and ISAC coordinator."),
                      Audience.PARTICIPANTS, None))
    found.append(("partners", _("VR-ISAC participants and partners"),
                  _("Shared with participants, coordinators and connected partners "
                    "(NCSC-NL, other ISACs)."), Audience.PARTNERS, None))
    for organisation in Organisation.objects.filter(pk__in=viewer.organisation_ids):
        found.append((f"organisation:{organisation.slug}",
                      _("Own organisation: %(name)s") % {"name": organisation.name},
                      _("Shared with the members of %(name)s only.")
                      % {"name": organisation.name},
                      Audience.ORGANISATION, organisation.pk))
    result = []
    for key, title, description, audience, organisation_id in found:
        label = _default_label(key, settings)
        result.append(Collection(
            id=collection_id(key), key=key, title=title,
            description=description + " " + _("Objects posted without a TLP marking are "
                                              "labelled %(label)s.") % {"label": label},
            audience=audience, organisation_id=organisation_id, can_read=True,
            can_write=True, default_tlp=label))
    return result


def collection_for(viewer: Viewer, collection: str) -> Collection | None:
    for found in collections_for(viewer):
        if str(found.id) == collection:
            return found
    return None
