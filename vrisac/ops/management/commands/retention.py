from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vrisac.core.jobs import job_run
from vrisac.ops.retention import RULES


class Command(BaseCommand):
    help = "Remove data past its retention period now (what the daily job does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count what would go")
        parser.add_argument("--list", action="store_true",
                            help="print the retention period of each kind of data")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for rule in RULES:
                kept = f"{rule.days} days" if rule.days > 0 else "for ever"
                self.stdout.write(f"{rule.kind:<18} {kept:<10} {rule.setting}  "
                                  f"{rule.description}")
            return
        row = job_run("ops.retention", arguments={"dry_run": options["dry_run"]},
                      progress_bar=True)
        verb = "would be removed" if options["dry_run"] else "removed"
        for kind, count in row.result.items():
            self.stdout.write(f"{kind}: {count} {verb}")
