from typing import Any

from django.core.management.base import BaseCommand

from jiceng.grid.sla import check_sla


class Command(BaseCommand):
    help = "Escalate overdue grid cases to the level above with a supervision notice (idempotent; run from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = check_sla()
        for e in report.escalated:
            self.stdout.write(f"{e.case.code} → {e.to_org.name}: {e.reason}")
        self.stdout.write(f"检查 {report.checked} 件，督办 {len(report.escalated)} 件。")
