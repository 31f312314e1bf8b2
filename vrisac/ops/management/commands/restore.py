from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vrisac.core.audit import verify_chain
from vrisac.ops.backup import BackupError, backup_check, backup_newest, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup (or the newest in a folder) into an empty database and "
            "attachments folder, checking every table and file; --check only checks the "
            "backup.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup (.tar.gz) made by `vrisac backup`, or a "
                                         "folder of them: its newest backup is taken")
        parser.add_argument("--check", action="store_true",
                            help="check the backup's tables and files; restore nothing")
        parser.add_argument("--replace", action="store_true",
                            help="replace a database that holds data (it is backed up first)")

    def handle(self, *args: Any, **options: Any) -> None:
        given = Path(options["path"])
        try:
            path = backup_newest(given)
            if path != given:
                self.stdout.write(f"the newest backup in {given}: {path.name}")
            if options["check"]:
                manifest = backup_check(path)
                self.stdout.write(f"backup intact: {len(manifest['tables'])} tables, "
                                  f"{len(manifest['files'])} files, audit log up to "
                                  f"#{manifest['audit_head']['seq']}, made "
                                  f"{manifest['created_at']} on {manifest['engine']}")
                return
            verbose = options["verbosity"] > 1
            result = backup_restore(path=path, replace=options["replace"],
                                    progress=lambda line: self.stdout.write(line) if verbose
                                    else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for problem in verify_chain():
            raise CommandError(f"restored, but the audit log fails its check at row "
                               f"#{problem.seq}: {problem.reason}")
        self.stdout.write(f"restored {result['tables']} tables and {result['files']} files "
                          f"from the backup of {result['created_at']}; audit log intact up to "
                          f"#{result['audit_head']}")
        if result["replaced_backup"]:
            self.stdout.write(f"the replaced data is kept in {result['replaced_backup']}")
