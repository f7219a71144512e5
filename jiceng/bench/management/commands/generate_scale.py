"""manage.py generate_scale --scale district|city|province [--seed N]: synthetic data for benchmarks."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.bench.generate import SCALES, encryption_rate, generate


class Command(BaseCommand):
    help = "在空数据库中生成区、市、省规模的合成数据（用于性能基准）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="district")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"field encryption: {encryption_rate():,.0f} values/s")
        try:
            report = generate(options["scale"], seed=options["seed"], progress=lambda m: self.stdout.write(f"… {m}"))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{'table':<22}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
        for table, rows, seconds in report.tables:
            self.stdout.write(f"{table:<22}{rows:>12,}{seconds:>10.2f}{rows / max(seconds, 1e-9):>12,.0f}")
        total = report.total_seconds
        self.stdout.write(f"{'total':<22}{report.total_rows:>12,}{total:>10.2f}{report.total_rows / max(total, 1e-9):>12,.0f}")
        for label, seconds in report.extra.items():
            self.stdout.write(f"{label}: {seconds:.2f}")
