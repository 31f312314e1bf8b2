from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.errors import DomainError
from vrisac.intel.extract import MAX_FILE_BYTES, extract, text_from_file


class Command(BaseCommand):
    help = ("Propose the indicators in a text or PDF file (refanged, typed, with warninglist "
            "hits), one per line as TYPE<TAB>VALUE<TAB>LISTS, or as JSON. '-' reads stdin.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a text or PDF file, or - for standard input")
        parser.add_argument("--json", action="store_true", help='{"items": [...]} as the API')

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            if name == "-":
                data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            else:
                path = Path(name)
                if not path.is_file():
                    raise CommandError(f"{name}: no such file")
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise CommandError(f"{name}: larger than {MAX_FILE_BYTES // 2**20} MB")
                data = path.read_bytes()
            items, truncated = extract(text_from_file(name, data))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            self.stdout.write(json.dumps({"items": [c.as_dict() for c in items],
                                          "truncated": truncated}, indent=1))
            return
        for item in items:
            self.stdout.write(f"{item.type}\t{item.value}\t{', '.join(item.warninglists)}")
        if truncated:
            self.stderr.write("(the list was cut off; split the file up)")
