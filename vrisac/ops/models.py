"""Operations: the scheduler's claims, the heartbeats of the processes that do background
work, and the tallies that keep the job counters monotonic after old job rows are removed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduleClaim(models.Model):
    """One run of a scheduled job at one scheduled time: whoever inserts this row first runs
    it, so a slot is enqueued once however many schedulers are running."""

    class Outcome(models.TextChoices):
        ENQUEUED = "enqueued", _("queued")
        SKIPPED = "skipped", _("skipped: the previous run had not finished")

    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    claimed_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=100)
    outcome = models.CharField(max_length=16, choices=Outcome.choices,
                               default=Outcome.ENQUEUED)
    job_row = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["-slot"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="ops_claim_once")]
        indexes = [models.Index(fields=["job", "-slot"])]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"


class ProcessHeartbeat(models.Model):
    """A worker or scheduler process saying it is alive; /readyz and the jobs page read it."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("task worker")
        SCHEDULER = "scheduler", _("scheduler")

    process_id = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["kind", "hostname", "pid"]

    def __str__(self) -> str:
        return f"{self.kind} {self.hostname}:{self.pid}"


class JobRunTally(models.Model):
    """How many finished runs of a job were removed by the retention clean-up, per result, so
    the run counters in /metrics never go down."""

    name = models.CharField(max_length=100)
    state = models.CharField(max_length=16)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "state"],
                                               name="ops_tally_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.state}: {self.count}"
