"""Quorum and majority verdicts in exact arithmetic.

"以上" includes the number (≥); "过半数/超过" excludes it (>), as 《民法典》 art. 1259 reads them
(domain.md §1.2). Fractions are compared by cross-multiplying integers, never with floats.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from jiceng.rules.models import Base, Check, Comparison, Rule, RuleSet


@dataclass(frozen=True)
class Counts:
    entitled: int  # members of the body: adults 18+, representatives, party members due to attend
    present: int
    votes_for: int = 0
    households: int = 0  # households in the village or group (assembly only)
    households_present: int = 0


@dataclass(frozen=True)
class Finding:
    rule_id: int
    check: str
    met: bool
    value: int
    base_value: int
    threshold: str  # e.g. "≥ 2/3 × 45 = 30"
    article: str
    text: str


@dataclass
class Verdict:
    rule_set_id: int
    rule_set_name: str
    quorum_met: bool
    passed: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def advances(self) -> bool:
        return self.quorum_met and self.passed


def satisfies(value: int, base_value: int, numerator: int, denominator: int, comparison: str) -> bool:
    """value / base ≥ n/d (以上) or value / base > n/d (过半数/超过), in integers."""
    left, right = value * denominator, numerator * base_value
    return left >= right if comparison == Comparison.AT_LEAST else left > right


def _measure(rule: Rule, counts: Counts) -> tuple[int, int]:
    """(counted value, base) for a rule: quorum counts attendance, majority counts yes votes."""
    if rule.kind == Check.QUORUM:
        if rule.base == Base.HOUSEHOLDS:
            return counts.households_present, counts.households
        return counts.present, counts.entitled
    base = {Base.ENTITLED: counts.entitled, Base.PRESENT: counts.present, Base.HOUSEHOLDS: counts.households}[Base(rule.base)]
    return counts.votes_for, base


def _finding(rule: Rule, counts: Counts) -> Finding:
    value, base_value = _measure(rule, counts)
    sign = "≥" if rule.comparison == Comparison.AT_LEAST else ">"
    return Finding(
        rule_id=rule.pk,
        check=rule.kind,
        met=satisfies(value, base_value, rule.numerator, rule.denominator, rule.comparison),
        value=value,
        base_value=base_value,
        threshold=f"{sign} {rule.numerator}/{rule.denominator} × {base_value}",
        article=rule.article,
        text=rule.text,
    )


def _check_met(findings: list[Finding], rules: list[Rule], check: str) -> bool:
    """Every rule of the check must hold, except that within an alternative group one suffices.

    A check with no rule at all fails: a body whose thresholds are not configured never advances.
    """
    groups: dict[str, list[bool]] = defaultdict(list)
    for rule, finding in zip(rules, findings, strict=True):
        if rule.kind == check:
            groups[rule.alternative or f"rule-{rule.pk}"].append(finding.met)
    return bool(groups) and all(any(results) for results in groups.values())


def rule_set_for(body: str, region_code: str, on: date) -> RuleSet | None:
    """The most specific rule set in force on that date that has rules for the body."""
    candidates = (
        RuleSet.objects.filter(rules__body=body, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .distinct()
    )
    matching = [rs for rs in candidates if region_code.startswith(rs.region_code)]
    if not matching:
        return None
    return max(matching, key=lambda rs: (len(rs.region_code), rs.effective_from))


def evaluate(body: str, region_code: str, on: date, counts: Counts) -> Verdict | None:
    rule_set = rule_set_for(body, region_code, on)
    if rule_set is None:
        return None
    rules = list(rule_set.rules.filter(body=body).order_by("kind", "alternative", "pk"))
    findings = [_finding(rule, counts) for rule in rules]
    return Verdict(
        rule_set_id=rule_set.pk,
        rule_set_name=str(rule_set),
        quorum_met=_check_met(findings, rules, Check.QUORUM),
        passed=_check_met(findings, rules, Check.MAJORITY),
        findings=findings,
    )
