from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from vrisac.core.jobs import job_run


class Command(BaseCommand):
    help = "Send the NIS2 deadline reminders that are due now (also runs every 15 minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        row = job_run("resilience.nis2_reminders", progress_bar=True)
        self.stdout.write(json.dumps(row.result))
