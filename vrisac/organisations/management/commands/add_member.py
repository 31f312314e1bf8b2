from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.errors import DomainError
from vrisac.organisations.models import Membership, Organisation
from vrisac.organisations.services import membership_invite


class Command(BaseCommand):
    help = ("Invite a person to an organisation's seat and print the invitation link. Roles: "
            "participant (default for a region or NIPV), coordinator, partner (default for a "
            "partner), observer (default for the owner), admin.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", choices=Membership.Role.values)
        parser.add_argument("--no-email", action="store_true", help="do not send the e-mail")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"no organisation with slug {options['org']!r}; "
                               "see `vrisac organisations`")
        try:
            invitation = membership_invite(
                organisation=organisation, email=options["email"], name=options["name"],
                role=options["role"], send_email=not options["no_email"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        membership = invitation.membership
        self.stdout.write(f"invited {membership.user.email} to {organisation.name} as "
                          f"{membership.role}; valid until {membership.invite_expires_at:%Y-%m-%d}")
        self.stdout.write(invitation.link)
