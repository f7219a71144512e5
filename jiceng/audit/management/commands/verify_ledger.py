from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiceng.audit.services import verify


class Command(BaseCommand):
    help = "Recompute the audit ledger's hash chain and name the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify()
        if not result.ok:
            raise CommandError(f"ledger broken at event #{result.broken_seq}: {result.reason} ({result.checked} events verified before it)")
        self.stdout.write(self.style.SUCCESS(f"ledger intact: {result.checked} events verified"))
