from typing import Any

from django.core.management.base import BaseCommand

from jiceng.needs.reporting import remind_reports


class Command(BaseCommand):
    help = "Remind members whose 双报到 report lapses within the reminder window (idempotent: each report once)."

    def handle(self, *args: Any, **options: Any) -> None:
        made = remind_reports()
        for reminder in made:
            self.stdout.write(reminder.text)
        self.stdout.write(f"已发送 {len(made)} 条报到到期提醒。")
