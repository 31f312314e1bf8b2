"""The periodic jobs, defined in one place.

Each entry names a registered job (see ``vrisac/core/jobs.py``), how often it runs and with
which arguments. The scheduler that runs these entries in the worker is part of the
operations work; until then, ``vrisac run_job NAME`` runs any of them by hand.
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
    ScheduledJob("intel.fetch_feeds", "*/15 * * * *",
                 description="fetch the indicator feeds that are due (each has its interval)"),
]
