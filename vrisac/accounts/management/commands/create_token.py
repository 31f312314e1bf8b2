from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.accounts.models import User
from vrisac.accounts.scopes import SCOPES
from vrisac.accounts.services import token_create
from vrisac.core.errors import DomainError


class Command(BaseCommand):
    help = ("Create an API token and print it once, alone on the last line. Only its hash is "
            "stored. Without --scopes the token may do what the account's role allows.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--scopes", nargs="*", default=None,
                            help=f"any of: {', '.join(SCOPES)} (comma or space separated)")
        parser.add_argument("--expires", type=int, default=None, help="days (default 365)")
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"no account with e-mail {options['email']}")
        scopes = None
        if options["scopes"]:
            scopes = [s for part in options["scopes"] for s in part.split(",") if s.strip()]
        try:
            token, raw = token_create(user=user, scopes=scopes, expires_days=options["expires"],
                                      name=options["name"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"token for {user.email}, scopes: {' '.join(token.scopes)}, "
                          f"expires {token.expires_at:%Y-%m-%d}")
        self.stdout.write(raw)
