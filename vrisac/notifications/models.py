from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An entry in a person's inbox on the platform: something was shared with them."""

    class Kind(models.TextChoices):
        REPORT = "report", _("new report")
        WARNING = "warning", _("new ISAC warning")
        ADVICE = "advice", _("new advice")
        COMMENT = "comment", _("comment on your report")
        INCIDENT_UPDATE = "incident_update", _("update of an incident picture")
        VULNERABILITY = "vulnerability", _("vulnerability in a product you run")

    class EmailState(models.TextChoices):
        PENDING = "pending", _("to be sent")
        DIGEST = "digest", _("waiting for the digest")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    report = models.ForeignKey("reports.Report", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey("reports.Comment", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    warning = models.ForeignKey("alerts.Warning", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=16, choices=EmailState.choices,
                                   default=EmailState.PENDING)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_state", "recipient"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
