"""Refresh the Dutch catalogues: one per app that has its own ``locale/`` folder, and the
project-wide one for the shared templates and the foundation apps (developers only: needs
GNU gettext, like Django's makemessages)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

IGNORED = [".venv/*", "var/*", "bench/*", "tests/*", "*/tests/*", "test-artifacts/*",
           "node_modules/*"]


def apps_with_own_locale(root: Path) -> list[Path]:
    found = [*(root / "vrisac").glob("*/locale"), *(root / "vrisac").glob("*/*/locale")]
    return sorted(p.parent for p in found if p.is_dir())


class Command(BaseCommand):
    help = "Refresh the Dutch translation catalogues (project-wide and per app)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--root", default=str(settings.BASE_DIR),
                            help="the source tree to extract from (default: this project)")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["root"]).resolve()
        start = os.getcwd()
        own = apps_with_own_locale(root)
        try:
            for app in own:
                os.chdir(app)
                call_command("makemessages", locale=["nl"], no_obsolete=True, verbosity=0,
                             ignore_patterns=IGNORED)
            os.chdir(root)
            call_command("makemessages", locale=["nl"], no_obsolete=True, verbosity=0,
                         ignore_patterns=IGNORED + [f"{a.relative_to(root)}/*" for a in own])
        finally:
            os.chdir(start)
        self.stdout.write(f"catalogues refreshed: project and {len(own)} app(s)")
