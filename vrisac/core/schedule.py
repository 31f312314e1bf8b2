"""The periodic jobs, defined in one place.

Each entry names a registered job (see ``vrisac/core/jobs.py``), how often it runs and with
which arguments. The scheduler in every worker (``vrisac/ops/scheduler.py``) runs each due
entry once across all workers and machines; the jobs page and ``vrisac run_job NAME`` run any
of them by hand, and ``vrisac scheduler --list`` shows when each runs next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScheduledJob:
    job: str
    #: A cron expression ("m h dom mon dow"), in Europe/Amsterdam time.
    cron: str
    arguments: dict[str, Any] = field(default_factory=dict)
    description: str = ""


SCHEDULE: list[ScheduledJob] = [
    ScheduledJob("notifications.digest", "0 7 * * *",
                 description="the daily digest e-mail, at 07:00"),
    ScheduledJob("resilience.nis2_reminders", "*/15 * * * *",
                 description="NIS2 reporting deadline reminders, every 15 minutes"),
    ScheduledJob("ops.backup", "30 2 * * *",
                 description="back up database, attachments and audit chain; rotate, at 02:30"),
    ScheduledJob("ops.retention", "30 3 * * *",
                 description="remove data past its retention period, at 03:30"),
]
