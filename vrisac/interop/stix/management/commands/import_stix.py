from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.accounts.models import User
from vrisac.core.errors import DomainError
from vrisac.interop.stix.parsing import MAX_BYTES
from vrisac.interop.stix.services import bundle_import
from vrisac.organisations.models import Membership, Organisation
from vrisac.sharing.models import Audience
from vrisac.sharing.policy import CONTENT_ROLES


class Command(BaseCommand):
    help = ("Import a STIX 2.1 bundle as reports and indicators of an organisation: created "
            "or updated by STIX id and modified; objects the platform does not model are kept "
            "and listed.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a STIX 2.1 bundle (JSON)")
        parser.add_argument("--org", required=True, help="the organisation (slug) that shares "
                                                         "the reports")
        parser.add_argument("--as", dest="email", help="the member who shares them (default: "
                                                      "the organisation's first member)")
        parser.add_argument("--tlp", help="label of objects without a TLP marking "
                                          "(default TLP:AMBER)")
        parser.add_argument("--audience", default=Audience.PARTICIPANTS,
                            choices=[a for a in Audience.values if a != Audience.PEOPLE])
        parser.add_argument("--audience-org", action="append", default=[],
                            help="with --audience organisations: a named organisation (slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB")
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"no organisation {options['org']}")
        user = self._member(organisation, options["email"])
        named = list(Organisation.objects.filter(slug__in=options["audience_org"]))
        if len(named) != len(set(options["audience_org"])):
            raise CommandError("unknown organisation in --audience-org")
        try:
            result = bundle_import(acting_user=user, data=path.read_bytes(), where=str(path),
                                   tlp=options["tlp"], audience=options["audience"],
                                   audience_organisations=named)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for note in result.notes:
            self.stderr.write(note)
        self.stdout.write(json.dumps(result.as_dict()))

    def _member(self, organisation: Organisation, email: str | None) -> User:
        members = (Membership.objects.current()
                   .filter(organisation=organisation, role__in=CONTENT_ROLES)
                   .select_related("user").order_by("id"))
        if email:
            members = members.filter(user__email=email.strip().lower())
        membership = members.first()
        if membership is None:
            raise CommandError(f"{organisation.slug}: no current member"
                               + (f" with e-mail {email}" if email else "")
                               + " who may share reports")
        return membership.user
