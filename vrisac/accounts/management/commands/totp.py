from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

from vrisac.accounts.models import User


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (refused for any other account)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None or not user.is_demo:
            raise CommandError("refused: only demo accounts have a code this command may print")
        authenticator = Authenticator.objects.filter(user=user,
                                                     type=Authenticator.Type.TOTP).first()
        if authenticator is None:
            raise CommandError("this demo account has no authenticator app yet")
        secret = decrypt(authenticator.data["secret"])
        counters = list(yield_hotp_counters_from_time())
        counter = counters[len(counters) // 2]
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))
