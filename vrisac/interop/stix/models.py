"""What the STIX importer remembers: which STIX object became which report or indicator, and
the objects the platform does not model, kept as they came."""

from __future__ import annotations

from django.db import models


class StixLink(models.Model):
    """A STIX id that became a platform report or indicator, with the version last taken in."""

    class Origin(models.TextChoices):
        FILE = "file", "file"
        API = "api", "API"
        TAXII = "taxii", "TAXII"

    stix_id = models.CharField(max_length=100, unique=True)
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    indicator = models.ForeignKey("intel.Indicator", on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="+")
    modified = models.DateTimeField()
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.FILE)

    class Meta:
        indexes = [models.Index(fields=["report"], name="stix_link_report")]

    def __str__(self) -> str:
        return self.stix_id


class KeptObject(models.Model):
    """A STIX object the platform does not model (a malware, an attack pattern, a compound
    pattern), kept exactly as imported and sent out again with its report."""

    stix_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    modified = models.CharField(max_length=40, blank=True)
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "stix_id", "modified"],
                                    name="stix_kept_once"),
        ]

    def __str__(self) -> str:
        return self.stix_id
