"""Data retention: each kind of data is kept for a configurable number of days, then removed
by the daily ``ops.retention`` job (``vrisac retention``). docs/privacy.md is the register of
processing these rules implement.

The audit log is hash-chained from its first row. Removing its oldest rows keeps it
verifiable: the clean-up appends an ``audit.retention`` row naming the last removed row and the
hash the kept chain continues from (the anchor), inside the chain itself, so ``verify_audit``
still finds every altered or removed kept row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from vrisac.core.audit import audit_prune, audit_record
from vrisac.core.models import Job
from vrisac.notifications.models import Notification

from .models import JobRunTally, ScheduleClaim

FINISHED = (Job.State.SUCCEEDED, Job.State.FAILED)


@dataclass(frozen=True)
class Rule:
    kind: str
    setting: str
    description: str
    remove: Callable[[datetime, bool], int]

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting))


def _audit(cutoff: datetime, dry_run: bool) -> int:
    return audit_prune(before=cutoff, dry_run=dry_run)


@transaction.atomic
def _jobs(cutoff: datetime, dry_run: bool) -> int:
    old = Job.objects.filter(state__in=FINISHED, finished_at__lt=cutoff)
    if dry_run:
        return old.count()
    # Fold the removed runs into the tallies, so the counters in /metrics never go down.
    for row in old.values("name", "state").annotate(n=Count("pk")):
        tally, _created = JobRunTally.objects.select_for_update().get_or_create(
            name=row["name"], state=row["state"])
        tally.count += row["n"]
        tally.save(update_fields=["count"])
    ScheduleClaim.objects.filter(slot__lt=cutoff).delete()
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status__in=[TaskResultStatus.SUCCESSFUL,
                                            TaskResultStatus.FAILED],
                                finished_at__lt=cutoff).delete()
    removed, _per_model = old.delete()
    return removed


def _notifications(cutoff: datetime, dry_run: bool) -> int:
    old = Notification.objects.filter(created_at__lt=cutoff)
    return old.count() if dry_run else old.delete()[0]


def _sessions(cutoff: datetime, dry_run: bool) -> int:
    # Sessions end by themselves (30 idle minutes, 10 hours at most); expired rows go daily.
    old = Session.objects.filter(expire_date__lt=timezone.now())
    return old.count() if dry_run else old.delete()[0]


def _expired_indicators(cutoff: datetime, dry_run: bool) -> int:
    from vrisac.intel.services import expired_indicators_remove

    return expired_indicators_remove(before=cutoff, dry_run=dry_run)


def _sightings(cutoff: datetime, dry_run: bool) -> int:
    from vrisac.intel.services import sightings_remove

    return sightings_remove(before=cutoff, dry_run=dry_run)


RULES: list[Rule] = [
    Rule("audit log", "VRISAC_RETENTION_AUDIT_DAYS",
         "who did what, when, from where (hash-chained; an anchor keeps it verifiable)", _audit),
    Rule("finished jobs", "VRISAC_RETENTION_JOB_DAYS",
         "background job runs with their logs, the scheduler's claims and task records",
         _jobs),
    Rule("notifications", "VRISAC_RETENTION_NOTIFICATION_DAYS",
         "inbox entries of each person", _notifications),
    Rule("expired indicators", "VRISAC_RETENTION_INDICATOR_DAYS",
         "feed indicators their feed has not listed for this long", _expired_indicators),
    Rule("sightings", "VRISAC_RETENTION_INDICATOR_DAYS",
         "which organisation saw, refuted or expired an indicator, and when", _sightings),
    Rule("expired sessions", "VRISAC_RETENTION_JOB_DAYS",
         "login sessions past their end (removed the day after)", _sessions),
]


def retention_apply(*, dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Remove what is past its retention period, kind by kind (one transaction and one audit
    row each); with ``dry_run`` only count it."""
    now = now or timezone.now()
    counts = {}
    for rule in RULES:
        if rule.days <= 0:
            counts[rule.kind] = 0  # 0 keeps this kind for ever
            continue
        with transaction.atomic():
            removed = rule.remove(now - timedelta(days=rule.days), dry_run)
            if removed and not dry_run and rule.kind != "audit log":
                audit_record(action="ops.retention", actor_label="retention",
                             details={"kind": rule.kind, "removed": removed,
                                      "days": rule.days})
        counts[rule.kind] = removed
    return counts
