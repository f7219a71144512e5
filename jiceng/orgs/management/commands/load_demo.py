from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiceng.decisions import demo as decisions_demo
from jiceng.grid import demo as grid_demo
from jiceng.needs import demo as needs_demo
from jiceng.orgs.demo import load_demo


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
        # Already loaded by now, so this only prints the counts and the demo logins: last, where they are seen.
        load_demo(stdout=self.stdout)
