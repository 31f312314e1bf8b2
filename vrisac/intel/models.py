"""Threat intelligence: values, indicators on reports and feeds, sightings, warninglists,
feeds and the correlation settings.

The correlation is kept compact: one row per distinct normalised value (``IndicatorValue``)
with the keys the correlation needs (network start and prefix length, reversed host), and one
row per indicator pointing at it. Who may see an indicator is decided by the sharing policy on
its report or feed (``Indicator.objects.visible_to``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vrisac.core.paths import object_path
from vrisac.sharing.models import SharedContent
from vrisac.sharing.policy import SharedQuerySet, Visible, viewer_for

from .normalise import TYPE_LABELS, TYPES, Normalised

TYPE_CHOICES = [(t, TYPE_LABELS[t]) for t in TYPES]


class IndicatorValue(models.Model):
    """One distinct normalised value of a type, shared by every indicator that carries it."""

    digest = models.BinaryField(max_length=16, unique=True)
    type = models.CharField(max_length=16, choices=TYPE_CHOICES)
    value = models.TextField()
    ip_start = models.BinaryField(max_length=17, null=True, blank=True)
    prefixlen = models.SmallIntegerField(null=True, blank=True)
    host_rev = models.CharField(max_length=260, null=True, blank=True)  # noqa: DJ001
    #: How many indicators (reports and feeds) carry this value; kept on every write.
    occurrences = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["ip_start", "prefixlen"], name="intel_value_ip"),
            models.Index(fields=["host_rev"], name="intel_value_host"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    #: The columns ``keys_of`` takes, in its order (for reads as tuples).
    KEY_COLUMNS = ("type", "value", "digest", "ip_start", "prefixlen", "host_rev")

    @staticmethod
    def keys_of(type: str, value: str, digest: Any, ip_start: Any, prefixlen: int | None,
                host_rev: str | None) -> Normalised:
        """A value's columns as its correlation keys, in plain bytes (databases hand back
        views of binary columns)."""
        return Normalised(type, value, bytes(digest),
                          bytes(ip_start) if ip_start is not None else None, prefixlen, host_rev)

    def keys(self) -> Normalised:
        """The value with its correlation keys."""
        return self.keys_of(self.type, self.value, self.digest, self.ip_start, self.prefixlen,
                            self.host_rev)


class Feed(SharedContent):
    """An external indicator feed a coordinator subscribed to; its indicators are shared
    under the feed's TLP label and audience."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        TEXT = "text", _("free text")
        MISP = "misp", _("MISP feed")

    name = models.SlugField(_("name"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    path = models.CharField(_("local path"), max_length=1000, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices,
                              default=Format.TEXT)
    value_column = models.CharField(_("value column"), max_length=64, blank=True)
    type_column = models.CharField(_("type column"), max_length=64, blank=True)
    comment_column = models.CharField(_("comment column"), max_length=64, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, default=",")
    has_header = models.BooleanField(_("first line is a header"), default=True)
    default_type = models.CharField(_("type of the values"), max_length=16, blank=True,
                                    choices=TYPE_CHOICES)
    for_detection = models.BooleanField(_("for detection"), default=True)
    skip_invalid = models.BooleanField(_("skip invalid lines"), default=False)
    interval_minutes = models.PositiveIntegerField(_("fetch every (minutes)"), default=60)
    enabled = models.BooleanField(_("fetch on schedule"), default=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=16, blank=True)
    last_message = models.TextField(blank=True)
    last_count = models.PositiveIntegerField(default=0)
    last_added = models.PositiveIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title or self.name

    def get_absolute_url(self) -> str:
        return object_path("intel:feed", self.pk)

    @property
    def source_label(self) -> str:
        return self.url or self.path


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def visible_to(self, user: Any) -> IndicatorQuerySet:
        """An indicator is seen by exactly those who see its report or its feed."""
        from vrisac.reports.models import Report

        viewer = viewer_for(user)
        return self.filter(Visible(Report, viewer, via="report")
                           | Visible(Feed, viewer, via="feed"))

    def active(self) -> IndicatorQuerySet:
        """Of a report or feed that is not retracted (what correlates and is exported)."""
        return self.exclude(report__status="retracted").exclude(feed__status="retracted")


class Indicator(models.Model):
    """An indicator of compromise on a report or a feed: a value with its detection flag,
    comment and first and last sighting in the source."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    value = models.ForeignKey(IndicatorValue, on_delete=models.PROTECT,
                              related_name="indicators")
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="indicators", db_index=False)
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="indicators", db_index=False)
    #: Hashes (and a file name) with the same group in one source describe one file.
    file_group = models.PositiveSmallIntegerField(null=True, blank=True)
    for_detection = models.BooleanField(_("for detection"), default=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    created_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "value"], condition=Q(report__isnull=False),
                                    name="intel_indicator_once_per_report"),
            models.UniqueConstraint(fields=["feed", "value"], condition=Q(feed__isnull=False),
                                    name="intel_indicator_once_per_feed"),
            models.CheckConstraint(
                condition=Q(report__isnull=False, feed__isnull=True)
                | Q(report__isnull=True, feed__isnull=False),
                name="intel_indicator_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value.type}:{self.value.value}"

    def get_absolute_url(self) -> str:
        return object_path("intel:indicator", self.pk)

    @property
    def source(self) -> Any:
        return self.report if self.report_id else self.feed

    @property
    def report_title(self) -> str | None:
        return self.report.title if self.report is not None else None

    @property
    def feed_name(self) -> str | None:
        return self.feed.name if self.feed is not None else None


class Sighting(models.Model):
    """A participant's note that a value was seen, is a false positive or has expired."""

    class Kind(models.TextChoices):
        SEEN = "seen", _("seen here")
        FALSE_POSITIVE = "false_positive", _("false positive")
        EXPIRED = "expired", _("expired")

    value = models.ForeignKey(IndicatorValue, on_delete=models.CASCADE, related_name="sightings")
    indicator = models.ForeignKey(Indicator, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    named = models.BooleanField(_("show our organisation's name"), default=False)
    seen_at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-seen_at", "-id"]
        indexes = [models.Index(fields=["value", "kind"], name="intel_sighting_value")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.value_id}"


class Warninglist(models.Model):
    """A list of values that are usually harmless or not actionable (private ranges, public
    resolvers, popular domains); indicators on it are flagged, never refused."""

    class Kind(models.TextChoices):
        CIDR = "cidr", _("address ranges (CIDR)")
        HOSTNAME = "hostname", _("host names and their subdomains")
        STRING = "string", _("exact values")
        SUBSTRING = "substring", _("parts of values")
        REGEX = "regex", _("regular expressions")

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    source = models.CharField(_("source"), max_length=1000, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    entries = models.TextField(_("entries"), blank=True)
    shipped = models.BooleanField(default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-shipped", "name"]

    def __str__(self) -> str:
        return self.name


class CorrelationSettings(models.Model):
    """The coordinators' settings of the correlation (one row)."""

    threshold = models.PositiveIntegerField(_("over-correlation threshold"), default=50)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"threshold {self.threshold}"


class CorrelationExclusion(models.Model):
    """A value coordinators took out of the correlation (too common to mean anything)."""

    value = models.CharField(_("value"), max_length=2048, unique=True)
    comment = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["value"]

    def __str__(self) -> str:
        return self.value
