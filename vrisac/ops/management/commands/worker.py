from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vrisac.ops.worker import run_worker


class Command(BaseCommand):
    help = ("Run a task worker (with the scheduler, unless --no-scheduler). Start as many as "
            "you like, on as many machines: each job and each scheduled slot runs once.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*",
                            help="queues to take tasks from, comma-separated (default: all)")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds to wait when the queue is empty")
        parser.add_argument("--no-scheduler", action="store_true",
                            help="take tasks only; run the scheduler elsewhere")
        parser.add_argument("--max-tasks", type=int, default=None,
                            help="stop after this many tasks (for tests and benchmarks)")

    def handle(self, *args: Any, **options: Any) -> None:
        run_worker(queue_names=options["queue_name"].split(","), interval=options["interval"],
                   with_scheduler=not options["no_scheduler"], max_tasks=options["max_tasks"])
