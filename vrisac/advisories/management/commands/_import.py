"""The import commands share this: run the job (the same function the worker runs on its
schedule) in-process with a progress bar, list what was skipped on standard error, and exit
0 when the files were read, even if records were skipped."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.jobs import job_run


class ImportCommand(BaseCommand):
    kind = ""
    what = ""
    many = True

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+" if self.many else 1, metavar="PATH",
                            help=f"{self.what}: files, directories or http(s) URLs")

    @property
    def help(self) -> str:  # type: ignore[override]
        return (f"Import {self.what} and re-match the inventories before exiting. Exits 0 "
                "when the files were read, even if records were skipped (listed on standard "
                "error).")

    def handle(self, *args: Any, **options: Any) -> None:
        row = job_run(f"advisories.import_{self.kind}", arguments={"locations": options["paths"]},
                      progress_bar=True, raise_errors=False)
        if row.state != row.State.SUCCEEDED:
            raise CommandError(f"the import failed: {row.error.strip().splitlines()[-1]}")
        result: dict[str, Any] = row.result
        for ignored in result.get("ignored", []):
            sys.stderr.write(f"ignored: {ignored['file']}: {ignored['record']}: "
                             f"{ignored['field']}: {ignored['reason']}\n")
        for skipped in result.get("skipped", []):
            sys.stderr.write(f"skipped: {skipped['file']}: {skipped['record']}: "
                             f"{skipped['field']}: {skipped['reason']}\n")
        if result.get("skipped_count", 0) > len(result.get("skipped", [])):
            sys.stderr.write(f"... and {result['skipped_count'] - len(result['skipped'])} "
                             "more (see the job's log)\n")
        rematch = result.get("rematch", {})
        self.stdout.write(
            f"{self.kind}: {result['files']} file(s), {result['read']} record(s) read, "
            f"{result['created']} new, {result['updated']} updated, {result['unchanged']} "
            f"unchanged, {result['skipped_count']} skipped; warnings: "
            f"{rematch.get('created', 0)} new, {rematch.get('updated', 0)} updated, "
            f"{rematch.get('withdrawn', 0)} withdrawn")
        if result["read"] == 0 and result["skipped_count"]:
            raise CommandError("no record could be read")
