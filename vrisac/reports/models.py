from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vrisac.core.paths import object_path
from vrisac.sharing.models import SharedContent
from vrisac.sharing.policy import SharedQuerySet


class Tag(models.Model):
    """A free label on reports (``ransomware``, ``citrix``, ``112``)."""

    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Report(SharedContent):
    """What a member shares: an incident, a threat, a vulnerability, advice or an ISAC warning."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        THREAT = "threat", _("Threat")
        VULNERABILITY = "vulnerability", _("Vulnerability")
        ADVICE = "advice", _("Advice")
        WARNING = "warning", _("ISAC warning")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(blank=True, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="reports")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Its own index stays (dropping it would rebuild the table on SQLite, and with it the
    # search triggers that other apps keep on this table).
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    retraction_reason = models.CharField(max_length=500, blank=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        # Lists are newest first and cut to a page: the two ordering indexes let the database
        # walk reports in that order and stop after a page, checking the policy per row,
        # instead of sorting every visible report (docs/benchmarks.md, "Load").
        indexes = [
            models.Index(fields=["status", "audience"]),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["published_at", "created_at"], name="report_newest"),
            models.Index(fields=["kind", "published_at", "created_at"],
                         name="report_kind_newest"),
            models.Index(fields=["author", "status"], name="report_author_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return object_path("reports:detail", self.pk)


class ReportRevision(models.Model):
    """One earlier or current version of a report, kept as its edit history."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    tlp = models.CharField(max_length=20)
    audience = models.CharField(max_length=16)
    audience_snapshot = models.JSONField(default=dict)
    anonymous = models.BooleanField(default=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="one_revision_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.version}"


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, user: object) -> CommentQuerySet:
        """A comment is seen by exactly those who see its report: it never widens it."""
        return self.filter(report__in=Report.objects.visible_to(user).values("pk"))


class Comment(models.Model):
    """A reply in a report's thread; it inherits the report's label and audience."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+")
    body = models.TextField(max_length=20_000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.report_id}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: object) -> AttachmentQuerySet:
        return self.filter(report__in=Report.objects.visible_to(user).values("pk"))


class Attachment(models.Model):
    """A file attached to a report, stored outside the web root, served only after a check."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.filename
