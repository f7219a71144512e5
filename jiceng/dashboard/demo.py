"""Demo indicators: snapshots of the demo district and its month-end history, computed from the
records loaded before this (load_demo calls it last). Nothing is typed in; running it again
recomputes the same rows (snapshots and points are replaced, not added)."""

from typing import Any

from django.utils import timezone

from jiceng.dashboard import rollups

# Month-ends of history computed from the records' dates (posts, cases): two years.
HISTORY_MONTHS = 24


def load(stdout: Any = None) -> None:
    days = rollups.month_ends(HISTORY_MONTHS, timezone.localdate())
    for root in rollups.roots():
        snapshots = rollups.refresh(root)
        points = rollups.backfill(root, days)
        if stdout is not None:
            stdout.write(f"指标看板：{root.name} {snapshots} 个快照，{points} 个历史数据点（按记录日期回溯）")
