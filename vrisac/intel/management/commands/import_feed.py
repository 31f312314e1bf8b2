from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.accounts.models import User
from vrisac.core.errors import DomainError
from vrisac.core.jobs import job_run
from vrisac.intel.feeds import feed_save
from vrisac.intel.models import Feed


class Command(BaseCommand):
    help = ("Import an indicator feed now: NAME is a configured feed (fetched from its URL or "
            "path); PATH is a local CSV or text file, imported as the feed configured with "
            "that path, or as a new feed (give --as EMAIL of an ISAC coordinator).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("feed", help="a feed's name, or the path of a local file")
        parser.add_argument("--force", action="store_true",
                            help="import even when the content did not change")
        parser.add_argument("--as", dest="email", help="coordinator who configures a new feed")
        parser.add_argument("--name", help="name of a new feed (default: the file's name)")
        parser.add_argument("--format", choices=["csv", "text"],
                            help="format of a new feed (default: by the file's extension)")
        parser.add_argument("--type", default="", help="type of every value of a new feed")
        parser.add_argument("--tlp", default="TLP:GREEN")
        parser.add_argument("--audience", default="participants")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["feed"]
        feed = Feed.objects.filter(name=target).first()
        if feed is None:
            path = Path(target)
            if not path.is_file():
                raise CommandError(f"{target}: no feed of that name and no such file")
            resolved = str(path.resolve())
            feed = Feed.objects.filter(path=resolved).first() or self._create(path, options)
        row = job_run("intel.fetch_feed", arguments={"feed": feed.pk, "force": options["force"]},
                      progress_bar=True, raise_errors=False)
        if row.state != "succeeded":
            feed.refresh_from_db()
            raise CommandError(f"{feed.name}: {feed.last_message or row.error.splitlines()[-1]}")
        self.stdout.write(json.dumps({"feed": feed.name, **row.result}))

    def _create(self, path: Path, options: dict[str, Any]) -> Feed:
        if not options["email"]:
            raise CommandError(f"{path}: no feed has this path yet; give --as EMAIL of an ISAC "
                               "coordinator to configure one")
        user = User.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"no active person with e-mail {options['email']}")
        name = options["name"] or path.stem.lower().replace(".", "-").replace(" ", "-")[:64]
        fmt = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "text")
        try:
            return feed_save(acting_user=user, name=name, title=name, path=str(path),
                             format=fmt, default_type=options["type"], tlp=options["tlp"],
                             audience=options["audience"], trusted_path=True)
        except DomainError as exc:
            raise CommandError(exc.message) from None
