from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vrisac.accounts.models import User
from vrisac.core.errors import NotFound
from vrisac.interop.stix.export import dumps, report_bundle
from vrisac.interop.stix.selectors import report_bundle_for
from vrisac.interop.stix.services import export_record
from vrisac.reports.models import Report


class Command(BaseCommand):
    help = ("Export a report as a STIX 2.1 bundle (to standard output or --out FILE). With "
            "--as EMAIL, only a report that person may see.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--report", required=True, type=int, help="the report's number")
        parser.add_argument("--out", help="write the bundle to this file")
        parser.add_argument("--as", dest="email", help="export as this person (the policy "
                                                      "applies)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        try:
            if options["email"]:
                user = User.objects.filter(email=options["email"].strip().lower()).first()
                if user is None:
                    raise CommandError(f"no person with e-mail {options['email']}")
                report, bundle = report_bundle_for(user=user, pk=options["report"])
            else:
                report = Report.objects.select_related("organisation").get(
                    pk=options["report"])
                bundle = report_bundle(report)
        except (Report.DoesNotExist, NotFound):
            raise CommandError(f"report {options['report']} not found") from None
        with transaction.atomic():
            export_record(acting_user=user, report=report, face="command")
        data = dumps(bundle) + b"\n"
        if options["out"]:
            Path(options["out"]).write_bytes(data)
            self.stderr.write(f"{len(bundle['objects'])} objects written to {options['out']}")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
