from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.accounts.models import User
from vrisac.core.errors import DomainError
from vrisac.intel.feeds import feed_import, feed_save
from vrisac.intel.models import Feed


class Command(BaseCommand):
    help = ("Import a MISP feed (a directory or a URL with manifest.json) as an indicator "
            "feed: the feed configured with that source, or a new one (give --as EMAIL of an "
            "ISAC coordinator). Only new or changed events are read.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", help="a directory, or the URL the feed's files lie under")
        parser.add_argument("--as", dest="email", help="coordinator who configures a new feed")
        parser.add_argument("--name", help="name of a new feed (default: from the source)")
        parser.add_argument("--tlp", default="TLP:GREEN")
        parser.add_argument("--audience", default="participants")
        parser.add_argument("--key", default="",
                            help="sent as the Authorization header (a MISP key or a token)")
        parser.add_argument("--force", action="store_true",
                            help="read every event, also those whose timestamp did not move")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"].strip()
        is_url = source.lower().startswith(("http://", "https://"))
        if not is_url:
            path = Path(source)
            if not path.is_dir():
                raise CommandError(f"{source}: no such directory")
            source = str(path.resolve())
        lookup = {"url": source} if is_url else {"path": source}
        feed = Feed.objects.filter(format=Feed.Format.MISP, **lookup).first()
        if feed is None:
            feed = self._create(source, is_url, options)
        try:
            result = feed_import(feed=feed, force=options["force"], key=options["key"])
        except DomainError as exc:
            raise CommandError(f"{feed.name}: {exc.message}") from None
        self.stdout.write(json.dumps({"feed": feed.name, **result.as_dict()}))

    def _create(self, source: str, is_url: bool, options: dict[str, Any]) -> Feed:
        if not options["email"]:
            raise CommandError(f"{source}: no MISP feed has this source yet; give --as EMAIL "
                               "of an ISAC coordinator to configure one")
        user = User.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"no active person with e-mail {options['email']}")
        default = source.rstrip("/").rsplit("/", 1)[-1] or "misp"
        name = (options["name"] or f"misp-{default}").lower()
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:64]
        try:
            return feed_save(acting_user=user, name=name, title=name,
                             url=source if is_url else "", path="" if is_url else source,
                             format=Feed.Format.MISP, tlp=options["tlp"],
                             audience=options["audience"], trusted_path=True)
        except DomainError as exc:
            raise CommandError(exc.message) from None
