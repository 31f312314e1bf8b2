from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.errors import DomainError
from vrisac.organisations.models import Organisation

from ...services import inventory_import_csv


class Command(BaseCommand):
    help = ("Import an organisation's inventory from CSV "
            "(vendor,product,version,cpe,purl,internet_facing,criticality[,owner,notes]) and "
            "match it before exiting. Bad rows are listed on standard error by line and field.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("file", help="the CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(slug=options["org"])
        except Organisation.DoesNotExist:
            raise CommandError(f"no organisation {options['org']!r}") from None
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} does not exist")
        try:
            with path.open("rb") as stream:
                report = inventory_import_csv(organisation=organisation, stream=stream,
                                              filename=str(path), rematch_now=True)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for line in report.lines():
            sys.stderr.write(line + "\n")
        self.stdout.write(f"{organisation.slug}: {report.created} new, {report.updated} "
                          f"updated, {report.unchanged} unchanged, {len(report.problems)} "
                          "rejected")
