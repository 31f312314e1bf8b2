from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vrisac.core.schedule import SCHEDULE
from vrisac.ops.scheduler import Scheduler, next_run, schedule_problems


class Command(BaseCommand):
    help = ("Run the scheduler alone (workers run it too, unless --no-scheduler), or list the "
            "schedule with --list.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true",
                            help="print every scheduled job and its next run, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for entry in SCHEDULE:
                when = next_run(entry)
                self.stdout.write(f"{entry.job:<32} {entry.cron:<16} "
                                  f"next {when:%Y-%m-%d %H:%M %Z}  {entry.description}"
                                  if when else f"{entry.job} {entry.cron} (never)")
            for problem in schedule_problems():
                self.stderr.write(f"problem: {problem}")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        scheduler = Scheduler()
        scheduler.start()
        self.stdout.write(f"scheduler running ({len(SCHEDULE)} entries); Ctrl-C stops it")
        try:
            stop.wait()
        finally:
            scheduler.shutdown()
