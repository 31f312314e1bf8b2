"""The fields every piece of shared content carries, so the one policy can judge it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from .tlp import TLP


class Audience(models.TextChoices):
    ORGANISATION = "organisation", _("own organisation")
    ORGANISATIONS = "organisations", _("named organisations")
    PEOPLE = "people", _("named people")
    PARTICIPANTS = "participants", _("all VR-ISAC participants")
    PARTNERS = "partners", _("VR-ISAC participants and partners")
    PUBLIC = "public", _("public")


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETRACTED = "retracted", _("retracted")


#: Content in these states is shown to its audience (retracted with a notice).
SHARED_STATUSES = (Status.PUBLISHED, Status.RETRACTED)


class SharedContent(models.Model):
    """Abstract: something shared under a TLP label with an audience, by an organisation."""

    tlp = models.CharField(_("TLP label"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.PARTICIPANTS
    )
    audience_organisations = models.ManyToManyField(
        "organisations.Organisation", blank=True, related_name="+",
        verbose_name=_("organisations"),
    )
    audience_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people")
    )
    anonymous = models.BooleanField(_("share anonymously"), default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: Any) -> Any:
        """``get_kind_display()`` and the like: Django's, with the field's choices made a
        dict once instead of on every call (a list shows two labels a row)."""
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            labels = _CHOICE_LABELS[field] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        return force_str(labels.get(value, value), strings_only=True)


#: Per choice field: value → (lazy) label.
_CHOICE_LABELS: dict[Any, dict[Any, Any]] = {}
