"""Vulnerabilities (CVEs) and external advisories, and what each says is affected."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.policy import AdvisoryQuerySet
from vrisac.sharing.tlp import TLP


class Vulnerability(models.Model):
    """One vulnerability, usually a CVE, with what NVD, CVE 5, KEV and EPSS say about it.

    NVD, CVE JSON 5, KEV and EPSS are public (TLP:CLEAR); a vulnerability known only from a
    CSAF advisory (no CVE id) takes that advisory's id and is read through the advisory.
    """

    cve_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    published = models.DateTimeField(null=True, blank=True)
    # The newest revision imported per source: an older or equal one changes nothing.
    nvd_modified = models.DateTimeField(null=True, blank=True)
    cve5_modified = models.DateTimeField(null=True, blank=True)
    cvss3_vector = models.CharField(max_length=200, blank=True)
    cvss3_score = models.FloatField(null=True, blank=True)
    cvss4_vector = models.CharField(max_length=300, blank=True)
    cvss4_score = models.FloatField(null=True, blank=True)
    cvss_source = models.CharField(max_length=16, blank=True)
    #: Some NVD, CVE 5 or CSAF record says which versions are affected: KEV alone then
    #: raises the priority instead of deciding the match.
    has_versions = models.BooleanField(default=False)
    # CISA Known Exploited Vulnerabilities.
    kev_added = models.DateField(null=True, blank=True)
    kev_due = models.DateField(null=True, blank=True)
    kev_ransomware = models.BooleanField(default=False)
    kev_vendor = models.CharField(max_length=200, blank=True)
    kev_product = models.CharField(max_length=200, blank=True)
    kev_name = models.CharField(max_length=300, blank=True)
    kev_action = models.TextField(blank=True)
    # FIRST EPSS.
    epss = models.FloatField(null=True, blank=True)
    epss_percentile = models.FloatField(null=True, blank=True)
    epss_date = models.DateField(null=True, blank=True)
    # CISA's ADP container in CVE 5 (SSVC): exploitation none / poc / active.
    ssvc_exploitation = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "vulnerabilities"
        indexes = [models.Index(fields=["kev_added"]), models.Index(fields=["published"])]

    def __str__(self) -> str:
        return self.cve_id

    def get_absolute_url(self) -> str:
        return reverse("advisories:vulnerability", args=[self.cve_id])

    @property
    def on_kev(self) -> bool:
        return self.kev_added is not None


class Advisory(models.Model):
    """A CSAF advisory (NCSC-NL, a vendor, another CERT) in its newest imported revision."""

    publisher_namespace = models.CharField(max_length=300)
    publisher_name = models.CharField(max_length=300)
    tracking_id = models.CharField(max_length=200, db_index=True)
    category = models.CharField(max_length=100)
    title = models.CharField(max_length=500)
    tlp = models.CharField(max_length=20, choices=TLP.choices, default=TLP.CLEAR)
    version = models.CharField(max_length=50)
    status = models.CharField(max_length=20)
    initial_release = models.DateTimeField(null=True, blank=True)
    current_release = models.DateTimeField(null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=100, blank=True)
    #: NCSC-NL's own assessment (chance/damage, e.g. "high/high") where the document has it.
    ncsc_priority = models.CharField(max_length=40, blank=True)
    summary = models.TextField(blank=True)
    #: [{"category", "details", "url", "cves", "products"}]: the handelingsperspectief.
    remediations = models.JSONField(default=list)
    #: [{"category", "details", "cves"}]
    threats = models.JSONField(default=list)
    source_url = models.CharField(max_length=1000, blank=True)
    document_sha256 = models.CharField(max_length=64)
    vulnerabilities = models.ManyToManyField(Vulnerability, related_name="advisories",
                                             blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AdvisoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "advisories"
        ordering = ["-current_release"]
        constraints = [
            models.UniqueConstraint(fields=["publisher_namespace", "tracking_id"],
                                    name="one_advisory_per_publisher_id"),
        ]

    def __str__(self) -> str:
        return self.tracking_id

    def get_absolute_url(self) -> str:
        return reverse("advisories:detail", args=[self.pk])


class AffectedProduct(models.Model):
    """One statement of a source: this product (in these versions) is affected, fixed or not
    affected by this vulnerability. Indexed by the keys the matcher looks up."""

    class Source(models.TextChoices):
        NVD = "nvd", "NVD"
        CVE5 = "cve5", "CVE 5"
        CSAF = "csaf", "CSAF"
        KEV = "kev", "KEV"

    class Status(models.TextChoices):
        AFFECTED = "affected", _("affected")
        FIXED = "fixed", _("fixed")
        NOT_AFFECTED = "not_affected", _("not affected")
        INVESTIGATING = "investigating", _("under investigation")

    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE,
                                      related_name="affected")
    advisory = models.ForeignKey(Advisory, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="affected")
    source = models.CharField(max_length=8, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AFFECTED)
    vendor = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=300, blank=True)
    cpe = models.CharField(max_length=500, blank=True)
    purl = models.CharField(max_length=500, blank=True)
    # Lookup keys (see vrisac.advisories.normalise): "vendor:product" of the CPE, the
    # normalised names, and "type/namespace/name" of the purl.
    cpe_key = models.CharField(max_length=300, blank=True, db_index=True)
    name_key = models.CharField(max_length=300, blank=True, db_index=True)
    purl_key = models.CharField(max_length=300, blank=True, db_index=True)
    # Which versions: exactly one version, a range, a vers expression, all, or unknown.
    version_exact = models.CharField(max_length=200, blank=True)
    version_start = models.CharField(max_length=200, blank=True)
    version_start_incl = models.BooleanField(default=True)
    version_end = models.CharField(max_length=200, blank=True)
    version_end_incl = models.BooleanField(default=False)
    version_expr = models.CharField(max_length=500, blank=True)
    all_versions = models.BooleanField(default=False)
    #: The advisory field this statement comes from, e.g.
    #: "configurations[0].nodes[0].cpeMatch[2]" or "product_status.fixed[CSAFPID-0006]".
    field = models.CharField(max_length=300)
    #: A platform condition of NVD's AND configurations ("running on ...").
    platform = models.CharField(max_length=500, blank=True)
    #: The line (major, minor) of the highest affected version, when there is one (see
    #: ``versions.affected_bound``): an item in a higher line skips this row.
    bound_major = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["vulnerability", "source"]),
            models.Index(fields=["cpe_key", "bound_major"]),
            models.Index(fields=["name_key", "bound_major"]),
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id}: {self.vendor} {self.product} ({self.status})"


class ProductAlias(models.Model):
    """A name the platform treats as another (``ms`` is ``microsoft``; ``netscaler adc`` is
    ``netscaler application delivery controller``). Coordinators extend the table."""

    class Kind(models.TextChoices):
        VENDOR = "vendor", _("vendor")
        PRODUCT = "product", _("product")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    alias = models.CharField(_("alias"), max_length=200)
    canonical = models.CharField(_("means"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "alias"], name="one_alias_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.alias} → {self.canonical}"


class FeedState(models.Model):
    """When a configured feed or provider was last read successfully, so the next run fetches
    only what changed since."""

    url = models.CharField(max_length=1000, unique=True)
    last_success = models.DateTimeField(null=True, blank=True)
    newest_entry = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.url
