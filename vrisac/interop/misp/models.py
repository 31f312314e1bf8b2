"""What the MISP face keeps of its own: the events already read from each MISP feed."""

from __future__ import annotations

from django.db import models


class MispFeedEvent(models.Model):
    """An event of a MISP feed, as last imported: a feed read again skips the events whose
    timestamp did not move."""

    feed = models.ForeignKey("intel.Feed", on_delete=models.CASCADE, related_name="+")
    uuid = models.UUIDField()
    timestamp = models.BigIntegerField()
    attributes = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "uuid"],
                                               name="misp_feed_event_once")]

    def __str__(self) -> str:
        return f"{self.uuid}@{self.timestamp}"
