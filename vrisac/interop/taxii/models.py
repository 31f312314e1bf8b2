"""The TAXII 2.1 server's store: every STIX object of a collection as the exact JSON that
was posted (or exported from a report), keyed for the TAXII queries, and the status of each
posted envelope."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.models import SharedContent
from vrisac.sharing.policy import SharedQuerySet
from vrisac.sharing.tlp import TLP


class TaxiiObject(SharedContent):
    """One version of a STIX object in a TAXII collection, shared under the collection's
    audience and the object's TLP label."""

    collection = models.UUIDField()
    stix_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=8, default="2.1")
    version = models.CharField(max_length=40)
    version_at = models.DateTimeField()
    date_added = models.DateTimeField()
    latest = models.BooleanField(default=True)
    first = models.BooleanField(default=True)
    body = models.BinaryField()
    #: The report this object was exported from (none for objects posted over TAXII).
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+", db_index=False)

    objects = SharedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "stix_id", "version_at"],
                                    name="taxii_object_version_once"),
        ]
        indexes = [
            models.Index(fields=["collection", "date_added", "id"], name="taxii_object_added"),
            models.Index(fields=["report"], name="taxii_object_report"),
            # Whose an id is: its versions in every collection (see owners.py).
            models.Index(fields=["stix_id"], name="taxii_object_stix_id"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} {self.version}"


class TaxiiStatus(models.Model):
    """The status resource of one envelope posted to a collection."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    collection = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    status = models.CharField(max_length=16, default="pending")
    request_timestamp = models.DateTimeField()
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list)
    failures = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"status {self.id}"


class CollectionSetting(models.Model):
    """A coordinator's setting of one TAXII collection: the label of objects posted without
    a TLP marking."""

    key = models.CharField(max_length=100, unique=True)
    default_tlp = models.CharField(_("default TLP label"), max_length=20, choices=TLP.choices,
                                   default=TLP.AMBER)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"{self.key}: {self.default_tlp}"
