from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.knowledge.models import ContactMessage


class Command(BaseCommand):
    help = ("List the questions from the public contact form, newest first (personal data: "
            "for the ISAC coordinators' work only).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON array")
        parser.add_argument("--state", choices=ContactMessage.State.values,
                            help="only questions in this state")
        parser.add_argument("--limit", type=int, default=0, help="at most this many")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 0:
            raise CommandError("--limit must be 0 (all) or more")
        qs = ContactMessage.objects.order_by("-received_at")
        if options["state"]:
            qs = qs.filter(state=options["state"])
        if options["limit"]:
            qs = qs[: options["limit"]]
        rows: list[dict[str, Any]] = [
            {"id": m.pk, "received_at": m.received_at.isoformat(), "state": m.state,
             "name": m.name, "email": m.email, "organisation": m.organisation,
             "subject": m.subject, "question": m.question, "language": m.language,
             "replies": len(m.replies.all())}
            for m in qs.prefetch_related("replies")
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("no questions")
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>5}  {row['received_at'][:16].replace('T', ' ')}  "
                f"{row['state']:<11}  {row['subject'][:50]:<50}  {row['name']} <{row['email']}>")
