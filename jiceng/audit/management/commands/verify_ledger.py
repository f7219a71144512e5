from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiceng.audit.models import Checkpoint
from jiceng.audit.services import check_run


class Command(BaseCommand):
    help = (
        "Verify the audit ledger's hash chain and name the first broken event. By default a routine check: "
        "the last good checkpoint's event and every event after it. --full recomputes from the first event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="recompute the whole chain from the first event")
        parser.add_argument("--workers", type=int, default=1, help="processes for --full (PostgreSQL only); default 1")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        mode = Checkpoint.Mode.FULL if options["full"] else Checkpoint.Mode.ROUTINE
        checkpoint = Checkpoint.objects.create(mode=mode, requested_at=timezone.now(), workers=workers if options["full"] else 1)
        result = check_run(checkpoint)
        rate = f"{result.checked / result.seconds:,.0f} events/s" if result.seconds else "-"
        if result.status != Checkpoint.Status.OK:
            raise CommandError(f"ledger broken at event #{result.broken_seq}: {result.reason} ({result.checked} events verified before it)")
        span = f"#{result.from_seq}..#{result.seq}" if result.seq else "empty ledger"
        self.stdout.write(self.style.SUCCESS(f"ledger intact: {result.checked} events verified ({mode}, {span}, {rate})"))
