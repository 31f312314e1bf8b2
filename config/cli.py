"""``vrisac``: Django's manage.py with the project's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    from config import env

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", env.settings_module())
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
