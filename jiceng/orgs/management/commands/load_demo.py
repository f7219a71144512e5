from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiceng.dashboard import demo as dashboard_demo
from jiceng.decisions import demo as decisions_demo
from jiceng.grid import demo as grid_demo
from jiceng.needs import demo as needs_demo
from jiceng.orgs.demo import load_demo
from jiceng.portal import demo as portal_demo


class Command(BaseCommand):
    help = "Load the Pengjiang demo district (deterministic; if it is already loaded, only print the demo logins)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            load_demo(stdout=None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        decisions_demo.load(stdout=self.stdout)  # loads once too: skipped when its ledger event exists
        grid_demo.load(stdout=self.stdout)  # grids before needs: needs may name a grid
        needs_demo.load(stdout=self.stdout)
        portal_demo.load(stdout=self.stdout)
        dashboard_demo.load(stdout=self.stdout)  # last: its history is computed from everything above
        # Already loaded by now, so this only prints the counts and the demo logins: last, where they are seen.
        load_demo(stdout=self.stdout)
