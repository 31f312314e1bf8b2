"""``vrisac end_sessions EMAIL``: end every session of a person (the operator's command)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.accounts.models import User
from vrisac.accounts.services import sessions_end


class Command(BaseCommand):
    help = "End every session of a person at once (a lost laptop, a suspected takeover)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--reason", default="", help="written to the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"no person with the e-mail address {options['email']!r}")
        sessions_end(user=user, reason=options["reason"] or "command line",
                     actor_label="command line")
        self.stdout.write(f"every session of {user.email} has ended")
