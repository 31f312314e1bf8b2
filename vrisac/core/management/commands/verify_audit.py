from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vrisac.core.audit import verify_chain
from vrisac.core.models import AuditChainHead


class Command(BaseCommand):
    help = ("Check the audit log's hash chain; exit non-zero naming the first altered or "
            "removed row.")

    def handle(self, *args: Any, **options: Any) -> None:
        for problem in verify_chain():
            raise CommandError(f"audit log row #{problem.seq}: {problem.reason}")
        head = AuditChainHead.objects.filter(pk=1).first()
        self.stdout.write(f"audit log intact: {head.seq if head else 0} rows")
