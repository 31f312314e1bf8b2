"""Compile the .po files to .mo without GNU gettext (Babel), so a fresh machine with only
Python can set the project up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


def po_files() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "vrisac", *map(Path, settings.LOCALE_PATHS)]
    found: set[Path] = set()
    for root in roots:
        if root.exists():
            found.update(root.rglob("locale/*/LC_MESSAGES/*.po"))
            found.update(root.glob("*/LC_MESSAGES/*.po"))
    return sorted(found)


class Command(BaseCommand):
    help = "Compile the project's translations (.po to .mo) with Babel."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for po in po_files():
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=po.parent.parent.name)
            with mo.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            count += 1
        if options["verbosity"] > 0:
            self.stdout.write(f"translations compiled: {count} file(s)")
