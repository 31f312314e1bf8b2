from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from vrisac.interop.misp.feed import write_feed


class Command(BaseCommand):
    help = ("Write the MISP feed (manifest.json, hashes.csv, one <uuid>.json per event) of "
            "the reports shared with partners or the public into DIR.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", help="the folder to write the feed into")

    def handle(self, *args: Any, **options: Any) -> None:
        result = write_feed(Path(options["directory"]))
        self.stdout.write(json.dumps({"directory": options["directory"], **result.as_dict()}))
