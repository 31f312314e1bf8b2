from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from vrisac.organisations.selectors import organisation_list_with_seats


class Command(BaseCommand):
    help = "List the organisations with their kind and seats taken."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [
            {"slug": o.slug, "name": o.name, "number": o.number, "kind": o.kind,
             "seats_taken": o.seats_taken,  # type: ignore[attr-defined]
             "seat_limit": o.seat_limit}
            for o in organisation_list_with_seats()
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            seats = (f"{row['seats_taken']}/{row['seat_limit']}" if row["seat_limit"]
                     else f"{row['seats_taken']}")
            number = f"{row['number']:>2}" if row["number"] else "  "
            self.stdout.write(f"{number} {row['slug']:<28} {row['kind']:<10} {seats:>5}  "
                              f"{row['name']}")
