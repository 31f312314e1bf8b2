from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.models import Audience
from vrisac.sharing.tlp import TLP


class RemoteCollection(models.Model):
    """A partner's TAXII 2.1 collection that the platform pulls on a schedule and imports
    under the organisation, TLP label and audience a coordinator chose."""

    class Auth(models.TextChoices):
        NONE = "none", _("none")
        BASIC = "basic", _("user name and password")
        TOKEN = "token", _("bearer token")

    class PullStatus(models.TextChoices):
        OK = "ok", _("imported")
        UNCHANGED = "unchanged", _("nothing new")
        FAILED = "failed", _("failed")

    name = models.SlugField(_("name"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("URL"), max_length=1000)
    collection_id = models.CharField(_("collection id"), max_length=100, blank=True)
    auth = models.CharField(_("authentication"), max_length=8, choices=Auth.choices,
                            default=Auth.NONE)
    username = models.CharField(_("user name"), max_length=200, blank=True)
    #: The password or token, encrypted (see ``secrets.py``); never shown again or logged.
    secret = models.TextField(blank=True)
    #: The person in whose name reports are imported; their organisation is the source.
    import_as = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("import as"))
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("organisation"))
    tlp = models.CharField(_("TLP label"), max_length=20, choices=TLP.choices,
                           default=TLP.GREEN)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices,
                                default=Audience.PARTICIPANTS)
    interval_minutes = models.PositiveIntegerField(_("pull every (minutes)"), default=60)
    enabled = models.BooleanField(_("pull on schedule"), default=True)
    #: The objects URL the configured URL led to, kept so that a pull needs no discovery.
    objects_url = models.URLField(max_length=1200, blank=True)
    #: The ``added_after`` watermark: the server's own X-TAXII-Date-Added-Last, verbatim.
    added_after = models.CharField(_("added after"), max_length=40, blank=True)
    last_pulled_at = models.DateTimeField(_("last pulled"), null=True, blank=True)
    last_status = models.CharField(_("status"), max_length=16, choices=PullStatus.choices,
                                   blank=True)
    last_message = models.TextField(blank=True)
    last_count = models.PositiveIntegerField(default=0)
    last_created = models.PositiveIntegerField(default=0)
    last_updated = models.PositiveIntegerField(default=0)
    last_unmodelled = models.PositiveIntegerField(default=0)
    last_indicators = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title or self.name

    def get_absolute_url(self) -> str:
        return reverse("taxii_client:detail", args=[self.pk])

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)
