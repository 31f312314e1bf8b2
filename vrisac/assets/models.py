"""Each organisation's inventory: the products and versions it runs."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.policy import OrganisationScopedQuerySet


class InventoryItem(models.Model):
    """A product an organisation runs, in one version: what warnings are matched against."""

    class Criticality(models.TextChoices):
        HIGH = "high", _("high")
        MEDIUM = "medium", _("medium")
        LOW = "low", _("low")

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="inventory")
    vendor = models.CharField(_("vendor"), max_length=200)
    product = models.CharField(_("product"), max_length=200)
    version = models.CharField(_("version"), max_length=100, blank=True)
    cpe = models.CharField(_("CPE 2.3"), max_length=500, blank=True)
    purl = models.CharField(_("package URL (purl)"), max_length=500, blank=True)
    internet_facing = models.BooleanField(_("internet-facing"), default=False)
    criticality = models.CharField(_("criticality"), max_length=8, choices=Criticality.choices,
                                   default=Criticality.MEDIUM)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    # Lookup keys, computed by the services (see vrisac.advisories.normalise).
    name_key = models.CharField(max_length=300, db_index=True, editable=False)
    cpe_name_key = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    cpe_key = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    purl_key = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["vendor", "product", "version"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "vendor", "product", "version"],
                                    name="one_item_per_product_version"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.product} {self.version}".strip()

    def get_absolute_url(self) -> str:
        return reverse("assets:edit", args=[self.pk])

    @property
    def name_keys(self) -> list[str]:
        return [k for k in {self.name_key, self.cpe_name_key} if k]
