"""Figures of the 四议两公开 procedure per village, town and district and year (issue #3, "Statistics").

Everything is counted by the database from the records: three grouped queries per report, one row
per village, whatever the number of decisions. Towns and the district are the sums of their villages.

What counts in a year:
- a decision taken (运用“四议两公开”) is a procedure matter whose resolution meeting (the meeting
  that moved it to RESOLVED) was held that year; `matters` also counts the general matters resolved
  by the two committees that year, so it reads like Pengjiang's "302 uses, 519 matters";
- amounts, completion and notices are those of the decisions taken;
- objections count by the day they were raised, failed meetings by the day they were held.
"""

from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, FilteredRelation, Q, Sum
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from jiceng.accounts.access import scope
from jiceng.accounts.models import User
from jiceng.decisions import access
from jiceng.decisions.models import Classification, Meeting, NoticeKind, Objection, Status
from jiceng.decisions.workflow import GENERAL_STEPS, GROUP_STEPS, MERGED_STEP, VILLAGE_STEPS
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization, OrgKind

# [U] A resolution notice counts as on time when published within 7 days of the resolution meeting.
# Neither the law nor the sources of domain.md §2.1 fix this delay (only "promptly", 及时公开), so it
# is a setting of the report, not a legal rule; change it here when the district sets its own.
NOTICE_ON_TIME_DAYS = 7

# The steps whose meeting moves a decision to RESOLVED, read from the step tables.
RESOLVING_STEPS = frozenset(s.action for s in (*VILLAGE_STEPS, MERGED_STEP, *GROUP_STEPS, *GENERAL_STEPS) if s.target == Status.RESOLVED)
DECIDED = (Status.RESOLVED, Status.RESOLUTION_PUBLISHED, Status.IMPLEMENTING, Status.RESULT_PUBLISHED, Status.ARCHIVED)
COMPLETED = (Status.RESULT_PUBLISHED, Status.ARCHIVED)
TOWN_KINDS = frozenset({OrgKind.TOWN, OrgKind.SUBDISTRICT})
LEVELS = ("village", "town", "district")
LEVEL_KINDS: dict[str, frozenset[str]] = {"village": GRASSROOTS_KINDS, "town": TOWN_KINDS, "district": frozenset({OrgKind.DISTRICT})}

CENT = Decimal("0.01")

# A meeting moved its decision on: quorate and passed, or accepted by the town.
ADVANCED = Q(quorum_met=True, passed=True) | Q(overridden_by__isnull=False)


@dataclass
class Figures:
    decisions: int = 0  # procedure matters resolved (四议两公开 uses)
    matters: int = 0  # all matters resolved, procedure and general
    amount: Decimal = Decimal("0.00")  # of the decisions, in yuan
    completed: int = 0  # of the decisions, result published or archived
    resolution_notices: int = 0  # of the decisions, resolution notice published
    notices_on_time: int = 0  # of those, published within NOTICE_ON_TIME_DAYS of the resolution
    objections_raised: int = 0
    objections_answered: int = 0
    objections_overdue: int = 0  # open past their answer deadline today
    failed_meetings: int = 0  # quorum not met

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def completed_share(self) -> Decimal | None:
        """Completed decisions as a percentage of the decisions taken, one decimal; None without decisions."""
        return _percent(self.completed, self.decisions)

    @property
    def on_time_share(self) -> Decimal | None:
        """Notices on time as a percentage of the resolution notices published."""
        return _percent(self.notices_on_time, self.resolution_notices)

    @property
    def amount_wan(self) -> Decimal:
        """The amount in 万元 (10⁴ yuan), two decimals."""
        return (self.amount / Decimal(10_000)).quantize(Decimal("0.01"))

    @property
    def amount_yi(self) -> Decimal:
        """The amount in 亿元 (10⁸ yuan), as district reports give it."""
        return (self.amount / Decimal(100_000_000)).quantize(Decimal("0.001"))


def _percent(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(100 * part) / whole).quantize(Decimal("0.1"))


@dataclass
class Row:
    org: Organization
    figures: Figures


@dataclass
class Report:
    year: int
    villages: list[Row]
    towns: list[Row]
    districts: list[Row]

    def level(self, name: str) -> list[Row]:
        return {"village": self.villages, "town": self.towns, "district": self.districts}[name]


def village_figures(user: User, year: int, today: date | None = None, within: Organization | None = None) -> dict[int, Figures]:
    """Figures per village id for the villages in the user's scope (and under `within`): three queries."""
    today = today or timezone.localdate()
    roles = access.roles("decision.view")
    meetings = scope(Meeting.objects.all(), user, roles, "decision__village__path")
    objections = scope(Objection.objects.all(), user, roles, "decision__village__path")
    if within is not None:
        meetings = meetings.filter(decision__village__path__startswith=within.path)
        objections = objections.filter(decision__village__path__startswith=within.path)
    figures: dict[int, Figures] = {}

    def at(village_id: int) -> Figures:
        return figures.setdefault(village_id, Figures())

    procedure = Q(decision__classification=Classification.PROCEDURE)
    # published - resolved ≤ N days; the subtraction of two dates is portable (SQLite and PostgreSQL).
    delay = ExpressionWrapper(F("notice__published_on") - F("held_on"), output_field=DurationField())
    on_time: LessThanOrEqual = LessThanOrEqual(delay, timedelta(days=NOTICE_ON_TIME_DAYS))
    # One advancing resolution meeting per decided matter, and at most one resolution notice per decision.
    resolutions = (
        meetings.filter(ADVANCED, step__in=RESOLVING_STEPS, held_on__year=year, decision__status__in=DECIDED)
        .annotate(notice=FilteredRelation("decision__notices", condition=Q(decision__notices__kind=NoticeKind.RESOLUTION)))
        .values("decision__village_id")
        .annotate(
            matters=Count("pk"),
            decisions=Count("pk", filter=procedure),
            amount=Sum("decision__amount", filter=procedure),
            completed=Count("pk", filter=procedure & Q(decision__status__in=COMPLETED)),
            notices=Count("notice", filter=procedure),
            on_time=Count("notice", filter=procedure & Q(on_time)),
        )
        .order_by()
    )
    for row in resolutions:
        f = at(row["decision__village_id"])
        f.matters, f.decisions, f.completed = row["matters"], row["decisions"], row["completed"]
        f.amount = (row["amount"] or Decimal(0)).quantize(CENT)
        f.resolution_notices, f.notices_on_time = row["notices"], row["on_time"]

    raised = (
        objections.filter(raised_on__year=year)
        .values("decision__village_id")
        .annotate(
            n_raised=Count("pk"),
            n_answered=Count("pk", filter=Q(answered_on__isnull=False)),
            n_overdue=Count("pk", filter=Q(answered_on__isnull=True, due_on__lt=today)),
        )
        .order_by()
    )
    for row in raised:
        f = at(row["decision__village_id"])
        f.objections_raised, f.objections_answered, f.objections_overdue = row["n_raised"], row["n_answered"], row["n_overdue"]

    failed = meetings.filter(held_on__year=year, quorum_met=False).values("decision__village_id").annotate(n=Count("pk")).order_by()
    for row in failed:
        at(row["decision__village_id"]).failed_meetings = row["n"]
    return figures


def report(user: User, year: int, today: date | None = None, within: Organization | None = None) -> Report:
    """Rows per village, town and district in the user's scope: a level shows only organizations
    wholly in scope, so a village sees itself, a town its villages and itself, the district all."""
    kinds = GRASSROOTS_KINDS | TOWN_KINDS | {OrgKind.DISTRICT}
    orgs = scope(Organization.objects.filter(kind__in=kinds), user, access.roles("decision.view"), "path")
    if within is not None:
        orgs = orgs.filter(path__startswith=within.path)
    found = list(orgs.order_by("path"))
    per_village = village_figures(user, year, today, within)
    villages = [Row(o, per_village.get(o.pk, Figures())) for o in found if o.kind in GRASSROOTS_KINDS]

    def rolled_up(org: Organization) -> Row:
        return Row(org, sum((r.figures for r in villages if r.org.path.startswith(org.path)), Figures()))

    return Report(
        year=year,
        villages=villages,
        towns=[rolled_up(o) for o in found if o.kind in TOWN_KINDS],
        districts=[rolled_up(o) for o in found if o.kind == OrgKind.DISTRICT],
    )
