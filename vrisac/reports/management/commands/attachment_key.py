"""Keys for attachments at rest: make a new one, or re-encrypt every stored file under the
newest key after rotating (``VRISAC_ATTACHMENT_KEYS="new,old"``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.audit import audit_record
from vrisac.reports import attachments


class Command(BaseCommand):
    help = "Attachment encryption keys: `new` prints a fresh key, `rotate` re-encrypts files."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["new", "rotate"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new":
            self.stdout.write(attachments.new_key_text())
            return
        if not attachments.keys():
            raise CommandError("no attachment key is configured (VRISAC_ATTACHMENT_KEYS)")
        done = total = 0
        for name in attachments.stored_names():
            total += 1
            try:
                done += attachments.reencrypt(name)
            except attachments.DamagedFile as exc:
                raise CommandError(str(exc)) from None
        audit_record(action="attachments.rotate", details={"files": total, "rewritten": done})
        self.stdout.write(f"{done} of {total} stored files re-encrypted under the newest key")
