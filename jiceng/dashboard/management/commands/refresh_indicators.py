"""Recompute the dashboard snapshots (run it from cron or a systemd timer, e.g. hourly).

manage.py refresh_indicators                  every root (province, city or district), this year
manage.py refresh_indicators --org 440703     one organization's subtree (by code)
manage.py refresh_indicators --year 2024      the per-year tables of another year
manage.py refresh_indicators --backfill 12    also history points for the last 12 month-ends
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jiceng.dashboard import indicators, rollups
from jiceng.orgs.models import REGION_KINDS, Organization


class Command(BaseCommand):
    help = "Recompute the dashboard snapshots (and optionally the month-end history from dated records)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="code of a province, city, district, town or village (default: every root)")
        parser.add_argument("--year", type=int, help="year of the per-year tables (default: this year)")
        parser.add_argument("--backfill", type=int, default=0, metavar="MONTHS", help="history for the last MONTHS month-ends")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["org"]:
            org = Organization.objects.filter(code=options["org"], kind__in=indicators.LEVEL_KINDS | REGION_KINDS).first()
            if org is None:
                raise CommandError(f"没有编码为 {options['org']} 的省、市、区、镇街或村（社区）")
            orgs = [org]
        else:
            orgs = rollups.roots()
        days = rollups.month_ends(options["backfill"], timezone.localdate()) if options["backfill"] else []
        for org in orgs:
            started = time.perf_counter()
            written = rollups.refresh(org, options["year"])
            points = rollups.backfill(org, days) if days else 0
            ms = (time.perf_counter() - started) * 1000
            self.stdout.write(f"{org.name}: {written} snapshots, {points} history points, {ms:.0f} ms")
