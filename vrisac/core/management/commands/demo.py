from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from vrisac.accounts.models import User
from vrisac.core.demo import DEMO_PASSWORD, load_demo
from vrisac.core.request_context import Origin, reset_origin, set_origin


class Command(BaseCommand):
    help = "Load realistic demo data (idempotent). Demo people log in with a shared password "
    help += "and the code from `vrisac totp --email ...`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="only when the platform has no people yet (first run)")
        parser.add_argument("--quiet", action="store_true", help="do not list the demo logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            if not options["quiet"]:
                self.print_logins()
            return
        token = set_origin(Origin(channel="cli"))
        try:
            ctx = load_demo()
        finally:
            reset_origin(token)
        for line in ctx.lines:
            self.stdout.write(line)
        if not options["quiet"]:
            self.print_logins()

    def print_logins(self) -> None:
        people = User.objects.filter(is_demo=True, is_active=True).order_by("pk")
        if not people:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        from vrisac.sharing.policy import viewer_for

        for person in people:
            viewer = viewer_for(person)
            roles = ",".join(sorted(viewer.roles))
            self.stdout.write(f"  {person.email:<44} {roles}")
        self.stdout.write("Second factor: vrisac totp --email EMAIL  (prints the current code)")
