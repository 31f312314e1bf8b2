from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.organisations.models import Organisation

from ...selectors import organisation_warnings, warning_as_dict


class Command(BaseCommand):
    help = "An organisation's current warnings, most urgent first (--json: a JSON list)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument("--all", action="store_true",
                            help="include warnings that no longer match")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(slug=options["org"])
        except Organisation.DoesNotExist:
            raise CommandError(f"no organisation {options['org']!r}") from None
        rows = [warning_as_dict(w) for w in organisation_warnings(
            organisation_id=organisation.pk, include_withdrawn=options["all"]).iterator()]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        for row in rows:
            cves = ", ".join(row["cves"]) or row["vulnerability"]
            self.stdout.write(f"{row['priority']:8} {row['confidence']:9} {row['status']:13} "
                              f"{cves:18} {row['vendor']} {row['product']} {row['version']}")
        self.stdout.write(f"{len(rows)} warning(s)")
