from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vrisac.core.jobs import job_run


class Command(BaseCommand):
    help = ("Back up the database, the attachments and the audit chain, online (the platform "
            "keeps running), to PATH (a file or a folder; default: VRISAC_BACKUP_DIR), then "
            "rotate the backups in that folder.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="a .tar.gz file or a folder")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        if path and Path(path).exists() and Path(path).is_file():
            raise CommandError(f"{path} exists already; a backup never overwrites one")
        row = job_run("ops.backup", arguments={"path": path} if path else {}, progress_bar=True)
        result = row.result
        self.stdout.write(f"backup written: {result['path']} ({result['bytes']} bytes, "
                          f"{result['tables']} tables, {result['rows']} rows, "
                          f"{result['files']} files; {result['rotated_out']} old backup(s) "
                          "rotated out)")
