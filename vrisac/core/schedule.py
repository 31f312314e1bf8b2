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
    ScheduledJob("knowledge.contact_retention", "30 3 * * *",
                 description="delete contact-form questions past their retention, at 03:30"),
    # Warnings: each feed is read from its configured URLs (off while unset), then the
    # inventories are re-matched against what changed.
    ScheduledJob("advisories.import_csaf", "*/30 * * * *",
                 description="CSAF advisories (VRISAC_CSAF_PROVIDER_URLS), every 30 minutes"),
    ScheduledJob("advisories.import_kev", "15 * * * *",
                 description="the CISA KEV catalogue (VRISAC_KEV_URLS), hourly"),
    ScheduledJob("advisories.import_nvd", "40 */2 * * *",
                 description="NVD changes (VRISAC_NVD_URLS), every two hours"),
    ScheduledJob("advisories.import_cve5", "50 3 * * *",
                 description="CVE JSON 5 records (VRISAC_CVE5_URLS), daily at 03:50"),
    ScheduledJob("advisories.import_epss", "30 6 * * *",
                 description="FIRST EPSS scores (VRISAC_EPSS_URLS), daily at 06:30, before "
                             "the digest"),
    ScheduledJob("intel.fetch_feeds", "*/15 * * * *",
                 description="fetch the indicator feeds that are due (each has its interval)"),
    ScheduledJob("taxii_client.pull_due", "*/5 * * * *",
                 description="pull the remote TAXII collections that are due (each has its "
                             "interval)"),
    ScheduledJob("ops.backup", "30 2 * * *",
                 description="back up database, attachments and audit chain; rotate, at 02:30"),
    ScheduledJob("ops.retention", "30 3 * * *",
                 description="remove data past its retention period, at 03:30"),
    ScheduledJob("ops.db_statistics", "5 * * * *",
                 description="refresh the query planner's statistics (ANALYZE), hourly"),
]
