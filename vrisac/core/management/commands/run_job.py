from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.jobs import JOBS, job_enqueue, job_run


class Command(BaseCommand):
    help = "Run a registered job now (with a progress bar), or queue it for the worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", nargs="?", help="the job's name; omit to list the jobs")
        parser.add_argument("--args", dest="job_args", default="{}",
                            help="the job's arguments as JSON")
        parser.add_argument("--queue", action="store_true", help="queue it for the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["name"]:
            for name in sorted(JOBS):
                self.stdout.write(f"{name}\t{JOBS[name].description}")
            return
        if options["name"] not in JOBS:
            raise CommandError(f"unknown job {options['name']!r}")
        try:
            arguments = json.loads(options["job_args"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--args is not JSON: {exc}") from None
        if options["queue"]:
            row = job_enqueue(options["name"], arguments=arguments)
            self.stdout.write(f"queued job {row.pk}")
            return
        row = job_run(options["name"], arguments=arguments, progress_bar=True)
        self.stdout.write(json.dumps(row.result, default=str))
