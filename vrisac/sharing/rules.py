"""The sharing rules a label and an audience must obey together."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError

from .models import Audience
from .policy import CONTENT_ROLES, viewer_for
from .tlp import TLP


def validate_sharing(
    *,
    tlp: str,
    audience: str,
    organisations: Iterable[Any] = (),
    people: Iterable[Any] = (),
) -> None:
    """Raise ``DomainError`` when the combination is not allowed.

    TLP:RED needs named people; public needs TLP:CLEAR; named organisations must be member
    or partner organisations (never the owner, who sees aggregates only); named people must
    hold a content role.
    """
    if tlp not in TLP.values:
        raise DomainError(_("Unknown TLP label."), field="tlp")
    if audience not in Audience.values:
        raise DomainError(_("Unknown audience."), field="audience")
    organisations = list(organisations)
    people = list(people)
    if tlp == TLP.RED and audience != Audience.PEOPLE:
        raise DomainError(
            _("TLP:RED may only be shared with named people."), field="audience"
        )
    if audience == Audience.PUBLIC and tlp != TLP.CLEAR:
        raise DomainError(_("Only TLP:CLEAR content can be public."), field="tlp")
    if audience == Audience.ORGANISATIONS:
        if not organisations:
            raise DomainError(_("Name at least one organisation."), field="audience_organisations")
        for org in organisations:
            if org.kind == "owner":
                raise DomainError(
                    _("The owner sees aggregates only; share with member or partner "
                      "organisations."),
                    field="audience_organisations",
                )
    if audience == Audience.PEOPLE:
        if not people:
            raise DomainError(_("Name at least one person."), field="audience_people")
        for person in people:
            if not (viewer_for(person).roles & CONTENT_ROLES):
                raise DomainError(
                    _("%(name)s cannot receive shared content.") % {"name": person},
                    field="audience_people",
                )
