"""Reads of the 四议两公开 pages, always through the scoping function of jiceng.accounts.access.

Lists are scoped by `village__path`; single objects come from `get_for_user`, which gives the same
404 for another village's record and a missing one. Verdicts are explained here in words a village
clerk can check by hand: "实到 19 人，须 ≥ 2/3 × 30 = 20 人（第二十六条）".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet

from jiceng.accounts.access import get_for_user, scope, scope_by_village
from jiceng.accounts.models import User
from jiceng.decisions import access
from jiceng.decisions.models import (
    Classification,
    Decision,
    MatterCatalogue,
    MatterCategory,
    Meeting,
    MeetingFile,
    Objection,
    Progress,
    Status,
)
from jiceng.decisions.workflow import step_named
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.rules.engine import Finding, Verdict
from jiceng.rules.models import Base, Check, Comparison, Rule

# ---- scope ----------------------------------------------------------------------------------


def villages_for_user(user: User, action: str = "decision.view") -> QuerySet[Organization]:
    """Villages and communities in the user's part of the tree where the action is allowed."""
    return scope(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, access.roles(action), "path").order_by("path")


def get_village_for_user(user: User, pk: int) -> Organization:
    return get_for_user(Organization.objects.filter(kind__in=GRASSROOTS_KINDS), user, access.roles("decision.view"), "path", pk=pk)


def get_decision_for_user(user: User, pk: int) -> Decision:
    qs = Decision.objects.select_related("village", "category__catalogue", "created_by", "town_reviewed_by")
    return get_for_user(qs, user, access.roles("decision.view"), "village__path", pk=pk)


def get_meeting_for_user(user: User, pk: int) -> Meeting:
    qs = Meeting.objects.select_related("decision__village")
    return get_for_user(qs, user, access.roles("decision.view"), "decision__village__path", pk=pk)


def get_meeting_file_for_user(user: User, pk: int) -> MeetingFile:
    qs = MeetingFile.objects.select_related("meeting__decision__village")
    return get_for_user(qs, user, access.roles("decision.view"), "meeting__decision__village__path", pk=pk)


def get_progress_for_user(user: User, pk: int) -> Progress:
    qs = Progress.objects.select_related("decision__village")
    return get_for_user(qs, user, access.roles("decision.view"), "decision__village__path", pk=pk)


def get_objection_for_user(user: User, pk: int) -> Objection:
    qs = Objection.objects.select_related("decision__village")
    return get_for_user(qs, user, access.roles("decision.view"), "decision__village__path", pk=pk)


def get_catalogue_for_user(user: User, pk: int) -> MatterCatalogue:
    qs = MatterCatalogue.objects.select_related("village")
    return get_for_user(qs, user, access.roles("decision.view"), "village__path", pk=pk)


def get_category_for_user(user: User, pk: int) -> MatterCategory:
    qs = MatterCategory.objects.select_related("catalogue__village")
    return get_for_user(qs, user, access.roles("decision.view"), "catalogue__village__path", pk=pk)


# ---- the decision list ----------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


FILTER_KEYS = ("status", "village", "year", "classification")


def filter_decisions(qs: QuerySet[Decision], params: Mapping[str, str], by_village: bool = True) -> QuerySet[Decision]:
    """status, village (an organization id; a village out of scope matches nothing), year of
    registration, classification. Unknown values are ignored, never an error. The list page passes
    by_village=False: its area filter (orgs.selectors.area_filter) reads the village itself."""
    if (status := params.get("status", "")) in Status.values:
        qs = qs.filter(status=status)
    if by_village and (village := _int(params.get("village"))) is not None:
        qs = qs.filter(village_id=village)
    if (year := _int(params.get("year"))) is not None:
        qs = qs.filter(created_on__year=year)
    if (classification := params.get("classification", "")) in Classification.values:
        qs = qs.filter(classification=classification)
    return qs


def decisions_for_user(user: User, params: Mapping[str, str], by_village: bool = True) -> QuerySet[Decision]:
    qs = scope_by_village(Decision.objects.select_related("village", "category"), user, access.roles("decision.view"), "village")
    return filter_decisions(qs, params, by_village).order_by("-created_on", "-pk")


# The columns the list page shows: read as values, so a page builds no model instances.
LIST_COLUMNS = (
    "pk",
    "title",
    "group_name",
    "village__name",
    "classification",
    "category__name",
    "status",
    "amount",
    "created_on",
    "needs_town_review",
    "town_reviewed_on",
    "filed_on",
)


def used_filters(params: Mapping[str, str]) -> dict[str, str]:
    return {key: params[key] for key in FILTER_KEYS if params.get(key)}


# ---- verdicts in words ----------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    met: bool
    check: str  # quorum / majority
    sentence: str  # "实到 19 人，须 ≥ 2/3 × 30 = 20 人"
    article: str
    text: str
    alternative: bool  # one of an either/or group (村民会议: adults or households)

    @property
    def citation(self) -> str:
        """The article in brackets: "（第二十六条）", "（2025年修正：条款序号待核实，原第二十六条）"."""
        inner = self.article
        if inner.startswith("（") and "）" in inner:
            inner = inner[1:].replace("）", "：", 1)
        return f"（{inner}）"


def minimum_needed(base_value: int, numerator: int, denominator: int, comparison: str) -> int:
    """The smallest whole count that satisfies the rule: ⌈n·b/d⌉ for 以上 (≥), ⌊n·b/d⌋ + 1 for 过半数 (>)."""
    product = numerator * base_value
    if comparison == Comparison.AT_LEAST:
        return -(-product // denominator)
    return product // denominator + 1


def _sentence(rule: Rule | None, finding: Mapping[str, Any]) -> str:
    value, base_value = finding["value"], finding["base_value"]
    if rule is None:  # the rule row is gone: fall back to the threshold recorded with the verdict
        return f"计数 {value}，须 {finding['threshold']}"
    if rule.kind == Check.QUORUM:
        counted, unit = ("到会户代表", "户") if rule.base == Base.HOUSEHOLDS else ("实到", "人")
    else:
        counted, unit = "赞成", "票"
    sign = "≥" if rule.comparison == Comparison.AT_LEAST else ">"
    need = minimum_needed(base_value, rule.numerator, rule.denominator, rule.comparison)
    exact = rule.numerator * base_value % rule.denominator == 0
    threshold = f"{sign} {rule.numerator}/{rule.denominator} × {base_value}"
    if exact and rule.comparison == Comparison.AT_LEAST:
        return f"{counted} {value} {unit}，须 {threshold} = {need} {unit}"
    return f"{counted} {value} {unit}，须 {threshold}，即至少 {need} {unit}"


def describe(findings: Iterable[Mapping[str, Any]], rules: Mapping[int, Rule]) -> list[FindingView]:
    """Attendance first, then the vote: the order in which a meeting is judged."""
    views = []
    for f in sorted(findings, key=lambda f: f["check"] != Check.QUORUM):
        rule = rules.get(f["rule_id"])
        views.append(
            FindingView(
                met=f["met"],
                check=f["check"],
                sentence=_sentence(rule, f),
                article=f["article"],
                text=f["text"],
                alternative=bool(rule and rule.alternative),
            )
        )
    return views


def rules_for(finding_lists: Iterable[Iterable[Mapping[str, Any]]]) -> dict[int, Rule]:
    """The rules behind recorded findings, in one query."""
    ids = {f["rule_id"] for findings in finding_lists for f in findings}
    return Rule.objects.in_bulk(ids) if ids else {}


def describe_verdict(verdict: Verdict) -> list[FindingView]:
    findings = [_as_dict(f) for f in verdict.findings]
    return describe(findings, rules_for([findings]))


def _as_dict(finding: Finding) -> dict[str, Any]:
    return dict(finding.__dict__)


# ---- the decision page ----------------------------------------------------------------------


@dataclass
class MeetingView:
    meeting: Meeting
    step_label: str
    findings: list[FindingView]
    files: list[MeetingFile]


def meeting_views(decision: Decision) -> list[MeetingView]:
    """Every recorded meeting with its verdict in words, its rule set and its files (constant queries)."""
    meetings = list(
        decision.meetings.select_related("rule_set", "recorded_by", "overridden_by")
        .prefetch_related(Prefetch("files", queryset=MeetingFile.objects.order_by("kind", "pk")))
        .order_by("held_on", "pk")
    )
    rules = rules_for(m.findings for m in meetings)
    views = []
    for m in meetings:
        step = step_named(decision, m.step, merge_allowed=True)
        views.append(MeetingView(m, step.label if step else m.step, describe(m.findings, rules), list(m.files.all())))
    return views


@dataclass
class ObjectionView:
    objection: Objection
    state: str  # answered / open / overdue
    label: str


def objection_views(decision: Decision, today: date) -> list[ObjectionView]:
    views = []
    for o in decision.objections.select_related("raised_by", "answered_by", "notice").order_by("raised_on", "pk"):
        if not o.is_open:
            views.append(ObjectionView(o, "answered", "已答复"))
        elif o.overdue(today):
            views.append(ObjectionView(o, "overdue", "逾期未答复"))
        else:
            views.append(ObjectionView(o, "open", "待答复"))
    return views
