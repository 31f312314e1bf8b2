from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.jobs import job_run
from vrisac.interop.taxii_client.models import RemoteCollection


class Command(BaseCommand):
    help = ("Pull a configured remote TAXII 2.1 collection now: what was added after its "
            "watermark, imported through the STIX importer.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", nargs="?", help="the remote collection's name")
        parser.add_argument("--list", action="store_true", help="list the remote collections")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"] or not options["name"]:
            for remote in RemoteCollection.objects.order_by("name"):
                self.stdout.write(f"{remote.name}\t{remote.last_status or '-'}\t"
                                  f"{remote.added_after or '-'}\t{remote.url}")
            return
        found = RemoteCollection.objects.filter(name=options["name"]).first()
        if found is None:
            known = ", ".join(RemoteCollection.objects.values_list("name", flat=True))
            raise CommandError(f"{options['name']}: no remote collection of that name"
                               f" (known: {known or 'none'})")
        remote = found
        row = job_run("taxii_client.pull", arguments={"remote": remote.pk}, progress_bar=True,
                      raise_errors=False)
        if row.state != "succeeded":
            remote.refresh_from_db()
            reason = remote.last_message or row.error.splitlines()[-1]
            raise CommandError(f"{remote.name}: {reason}")
        self.stdout.write(json.dumps({"collection": remote.name, **row.result}))
