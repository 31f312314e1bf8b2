from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vrisac.core.errors import NotFound
from vrisac.ops.privacy import person_export


class Command(BaseCommand):
    help = "Export everything the platform keeps about one person, as JSON (a GDPR request)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--output", help="write to this file (mode 0600) instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = person_export(email=options["email"])
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if options["output"]:
            path = Path(options["output"])
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            self.stderr.write(f"written to {path}")
        else:
            self.stdout.write(text, ending="")
