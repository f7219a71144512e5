"""The statutory disclosure rhythm (村民委员会组织法 art. 30, domain.md §1.7): general items at
least quarterly, finances monthly, major matters at once. A village that misses it is listed."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Max

from jiceng.orgs.models import Organization
from jiceng.portal.models import Disclosure
from jiceng.portal.models import DisclosureCategory as C

# [S] art. 30: "至少每季度公布一次" — a quarter, counted back from today.
GENERAL_EVERY_DAYS = 92
# [S] art. 30: finances monthly where transactions are frequent — last month must be covered.
FINANCE_MONTHLY = True
# [S] art. 30: major matters "随时公布"; "at once" taken as within this many days of arising (our setting).
MAJOR_WITHIN_DAYS = 5


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@dataclass
class Miss:
    village: Organization
    problems: list[str] = field(default_factory=list)


def check(villages: list[Organization], today: date) -> list[Miss]:
    """Villages behind their rhythm, each with what is missing. Three queries whatever the size."""
    ids = [v.pk for v in villages]
    items = Disclosure.objects.filter(village_id__in=ids, published_on__lte=today)
    last_general = dict(
        items.filter(category=C.GENERAL).values("village_id").annotate(last=Max("published_on")).values_list("village_id", "last")
    )
    start, end = last_month(today)
    finance_ok = set(items.filter(category=C.FINANCE, period_start__lte=end, period_end__gte=start).values_list("village_id", flat=True))
    late_major: dict[int, list[str]] = {}
    for village_id, title, arose, published in items.filter(category=C.MAJOR).values_list(
        "village_id", "title", "period_start", "published_on"
    ):
        if (published - arose).days > MAJOR_WITHIN_DAYS:
            late_major.setdefault(village_id, []).append(f"重大事项“{title}”发生后 {(published - arose).days} 天才公开")
    misses = []
    for village in villages:
        problems = []
        last = last_general.get(village.pk)
        if last is None or (today - last).days > GENERAL_EVERY_DAYS:
            problems.append("近一个季度没有一般事项公开" if last is None else f"一般事项上次公开于 {last:%Y-%m-%d}，已超过一个季度")
        if FINANCE_MONTHLY and village.pk not in finance_ok:
            problems.append(f"{start.year}年{start.month}月财务收支未公开")
        problems.extend(late_major.get(village.pk, []))
        if problems:
            misses.append(Miss(village, problems))
    return misses
