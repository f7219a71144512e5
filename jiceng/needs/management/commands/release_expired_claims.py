"""Release unfulfilled claims past their due date (the needs return to the board), and confirm
needs the resident has not rated within the silence period. Run daily from cron."""

from typing import Any

from django.core.management.base import BaseCommand

from jiceng.needs import services


class Command(BaseCommand):
    help = "释放逾期未履约的认领，并对逾期未评价的需求进行系统确认。"

    def handle(self, *args: Any, **options: Any) -> None:
        released = services.release_expired_claims()
        confirmed = services.confirm_silent_needs()
        self.stdout.write(f"released {released} claim(s); confirmed {confirmed} need(s) after the silence period")
