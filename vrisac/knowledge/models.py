"""The public face (pages, media, the contact form) and the members' knowledge base."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.models import SharedContent
from vrisac.sharing.policy import SharedQuerySet

# --------------------------------------------------------------------------- public pages


class PublicPage(models.Model):
    """One page of the public site, in Dutch and English, edited by the ISAC coordinators."""

    class Slug(models.TextChoices):
        RESILIENCE = "digitale-weerbaarheid", _("Digital resilience")
        VRISAC = "vr-isac", "VR-ISAC"
        NCSC = "ncsc", "NCSC"
        NIS2 = "nis2", "NIS2"
        CVD = "cvd", _("Centre for Safety and Digitalisation")
        DISRUPTION = "digitale-ontwrichting", _("Digital disruption")
        PODCASTS = "podcasts", _("Podcasts")
        VIDEO = "video", _("Video")
        PRIVACY = "privacy", _("Privacy")

    slug = models.CharField(max_length=40, unique=True, choices=Slug.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title_nl = models.CharField(_("title (Dutch)"), max_length=150)
    title_en = models.CharField(_("title (English)"), max_length=150)
    summary_nl = models.CharField(_("summary (Dutch)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    body_nl = models.TextField(_("text (Dutch)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    body_html_nl = models.TextField(blank=True, editable=False)
    body_html_en = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.title_nl


class PublicPageRevision(models.Model):
    """One version of a public page, kept as its edit history (the current one included)."""

    page = models.ForeignKey(PublicPage, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title_nl = models.CharField(max_length=150)
    title_en = models.CharField(max_length=150)
    summary_nl = models.CharField(max_length=300, blank=True)
    summary_en = models.CharField(max_length=300, blank=True)
    body_nl = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    note = models.CharField(max_length=200, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    edited_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["page", "version"],
                                    name="one_page_revision_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.page_id} v{self.version}"


class MediaItem(models.Model):
    """A podcast or video on the public site: a link, or an embed that loads only after
    the visitor's consent."""

    class Kind(models.TextChoices):
        PODCAST = "podcast", _("Podcast")
        VIDEO = "video", _("Video")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_nl = models.TextField(_("description (Dutch)"), max_length=2000, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=2000, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration"), null=True, blank=True)
    url = models.URLField(_("link"), max_length=500)
    #: The player address derived from ``url`` for a known provider; empty: a link only.
    embed_url = models.URLField(max_length=500, blank=True)
    published = models.BooleanField(_("shown on the site"), default=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return self.title_nl


# --------------------------------------------------------------------------- contact form


class ContactMessage(models.Model):
    """A question sent with the public contact form; deleted after the retention period."""

    class State(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        ANSWERED = "answered", _("answered")

    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail address"), max_length=254)
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    subject = models.CharField(_("subject"), max_length=150)
    question = models.TextField(_("question"), max_length=5000)
    language = models.CharField(max_length=8, default="nl")
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    received_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["state", "received_at"])]

    def __str__(self) -> str:
        return f"{self.subject} ({self.received_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:contact_detail", args=[self.pk])


class ContactReply(models.Model):
    """An answer sent by e-mail from the platform; deleted together with its question."""

    message = models.ForeignKey(ContactMessage, on_delete=models.CASCADE, related_name="replies")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=20_000)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at"]

    def __str__(self) -> str:
        return f"reply {self.pk} to {self.message_id}"


class ContactRejection(models.Model):
    """How many contact-form posts were refused on one day, and why (no personal data)."""

    class Reason(models.TextChoices):
        HONEYPOT = "honeypot", _("validation field changed")
        TOO_FAST = "too_fast", _("sent faster than a person can")
        BAD_TOKEN = "bad_token", _("form token missing or forged")
        REUSED_TOKEN = "reused_token", _("form sent twice")
        RATE_LIMITED = "rate_limited", _("too many posts from one address")

    day = models.DateField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "reason"]
        constraints = [
            models.UniqueConstraint(fields=["day", "reason"], name="one_rejection_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.reason}: {self.count}"


# --------------------------------------------------------------------------- knowledge base


class KnowledgeItem(SharedContent):
    """A document or link in the members' knowledge base, shared under TLP with an audience."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        LINK = "link", _("Link")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(blank=True, editable=False)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    # The current file of a document (the same as its latest version's).
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    storage_name = models.CharField(max_length=64, blank=True)
    tags = models.ManyToManyField("reports.Tag", blank=True, related_name="knowledge_items")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    retracted_at = models.DateTimeField(null=True, blank=True)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [
            models.Index(fields=["status", "audience"]),
            models.Index(fields=["organisation", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:item", args=[self.uuid])


class KnowledgeItemVersion(models.Model):
    """One version of a knowledge item: its text, link or file as it was then."""

    item = models.ForeignKey(KnowledgeItem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    storage_name = models.CharField(max_length=64, blank=True)
    tlp = models.CharField(max_length=20)
    audience = models.CharField(max_length=16)
    note = models.CharField(max_length=200, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="one_item_version_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.version}"
