"""Warnings: a vulnerability that hits a product an organisation runs, with its priority."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.policy import OrganisationScopedQuerySet


def in_language(value: Any) -> list[str]:
    """Sentences kept per language ({"nl": [...], "en": [...]}) in the active language."""
    if isinstance(value, dict):
        code = (get_language() or settings.LANGUAGE_CODE)[:2]
        found = value.get(code) or value.get(settings.LANGUAGE_CODE)
        if found is None and value:
            found = next(iter(value.values()))
        return list(found or [])
    return list(value or [])


class Priority(models.TextChoices):
    KRITIEK = "kritiek", _("critical")
    HOOG = "hoog", _("high")
    MIDDEL = "middel", _("medium")
    LAAG = "laag", _("low")


#: From the most to the least urgent.
PRIORITY_ORDER = [Priority.KRITIEK, Priority.HOOG, Priority.MIDDEL, Priority.LAAG]


class Warning(models.Model):
    """A vulnerability matched against one inventory item of one organisation, with its
    priority, the reasons for both, and what the organisation did about it."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        MITIGATED = "mitigated", _("mitigated")
        NOT_AFFECTED = "not_affected", _("not affected")

    class Confidence(models.TextChoices):
        CONFIRMED = "confirmed", _("version confirmed")
        CHECK = "check", _("check this")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="warnings")
    item = models.ForeignKey("assets.InventoryItem", on_delete=models.CASCADE,
                             related_name="warnings")
    vulnerability = models.ForeignKey("advisories.Vulnerability", on_delete=models.CASCADE,
                                      related_name="warnings")
    #: The CSAF advisory that matched, if one did (NVD/CVE 5/KEV records are not advisories).
    advisory = models.ForeignKey("advisories.Advisory", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="warnings")
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    priority_rank = models.PositiveSmallIntegerField(default=3, db_index=True)
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices)
    #: Which rule matched which advisory field, as sentences in each interface language:
    #: {"nl": [...], "en": [...]}.
    match_reasons = models.JSONField(default=dict)
    #: Why this priority, as sentences in each interface language.
    priority_reasons = models.JSONField(default=dict)
    #: The handelingsperspectief: [{"category", "details", "url", "source"}].
    remediations = models.JSONField(default=list)
    #: The strictest TLP of the advisories behind this warning (public sources: TLP:CLEAR).
    tlp = models.CharField(max_length=20, default="TLP:CLEAR")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.NEW)
    justification = models.TextField(_("justification"), max_length=2000, blank=True)
    #: A hash of what the matcher last wrote: re-matching rewrites only what changed.
    digest = models.CharField(max_length=32, blank=True, editable=False)
    #: Set when the match no longer holds (a fix was announced, the item changed).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["priority_rank", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "vulnerability"],
                                    name="one_warning_per_item_and_vulnerability"),
        ]
        indexes = [
            models.Index(fields=["organisation", "withdrawn_at", "priority_rank"]),
            models.Index(fields=["vulnerability", "withdrawn_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} on {self.item_id}"

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.withdrawn_at is None and self.status in (self.Status.NEW,
                                                              self.Status.ACKNOWLEDGED)

    @property
    def match_reason_list(self) -> list[str]:
        return in_language(self.match_reasons)

    @property
    def priority_reason_list(self) -> list[str]:
        return in_language(self.priority_reasons)

    @property
    def reasons(self) -> list[str]:
        return [*self.match_reason_list, *self.priority_reason_list]


class WarningPreference(models.Model):
    """How a person wants to hear about new warnings for their organisation."""

    class Mode(models.TextChoices):
        CRITICAL_NOW = "critical_now", _("critical at once, the rest in the daily digest")
        DIGEST = "digest", _("everything in the daily digest")
        NONE = "none", _("not by e-mail (only in the platform)")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="warning_preference")
    mode = models.CharField(_("e-mail about warnings"), max_length=16, choices=Mode.choices,
                            default=Mode.CRITICAL_NOW)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.mode}"
