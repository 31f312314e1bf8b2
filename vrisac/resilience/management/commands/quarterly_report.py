from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.jobs import job_run
from vrisac.resilience.periods import Period


class Command(BaseCommand):
    help = ("Write the quarterly report \"Digitale weerbaarheid veiligheidsregio's\" (PDF) "
            "for a quarter (default: the previous one).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", help="the quarter, e.g. 2026-q1")
        parser.add_argument("--output", help="the PDF file to write (default: var/reports/)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["period"]:
            try:
                Period.parse(options["period"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        row = job_run("resilience.quarterly_report", progress_bar=True, arguments={
            "period": options["period"], "output": options["output"]})
        self.stdout.write(json.dumps(row.result))
