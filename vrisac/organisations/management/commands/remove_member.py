from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.errors import DomainError
from vrisac.organisations.models import Membership
from vrisac.organisations.services import membership_end


class Command(BaseCommand):
    help = ("End a person's membership (or withdraw their invitation): frees the seat, ends their "
            "sessions and revokes their API tokens.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        membership = (
            Membership.objects.holding_seat()
            .select_related("user", "organisation")
            .filter(user__email__iexact=options["email"].strip())
            .first()
        )
        if membership is None:
            raise CommandError(f"{options['email']} has no current membership or invitation")
        try:
            membership_end(membership=membership)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{membership.user.email} no longer holds a seat at "
                          f"{membership.organisation.name}")
