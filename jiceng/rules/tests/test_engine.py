"""Quorum and majority at their boundaries, with the seeded rule sets (domain.md §1.2, §1.4, §2.1)."""

from datetime import date

import pytest

from jiceng.rules.engine import Counts, evaluate, rule_set_for, satisfies
from jiceng.rules.models import Body, Comparison, RuleSet

pytestmark = pytest.mark.django_db

PENGJIANG = "440703100201"
D2025 = date(2025, 6, 1)
D2026 = date(2026, 6, 1)


def test_yishang_includes_the_number_and_guobanshu_excludes_it() -> None:
    assert satisfies(30, 45, 2, 3, Comparison.AT_LEAST)  # exactly 2/3: 以上 passes
    assert not satisfies(29, 45, 2, 3, Comparison.AT_LEAST)
    assert not satisfies(50, 100, 1, 2, Comparison.MORE_THAN)  # exactly 1/2: 过半数 fails
    assert satisfies(51, 100, 1, 2, Comparison.MORE_THAN)
    assert not satisfies(0, 0, 1, 2, Comparison.MORE_THAN)


def test_representatives_need_two_thirds_present_and_a_majority_of_those_present() -> None:
    exactly = evaluate(Body.REPRESENTATIVES, PENGJIANG, D2025, Counts(entitled=30, present=20, votes_for=11))
    assert exactly is not None and exactly.quorum_met and exactly.passed
    short = evaluate(Body.REPRESENTATIVES, PENGJIANG, D2025, Counts(entitled=30, present=19, votes_for=19))
    assert short is not None and not short.quorum_met and not short.advances
    half = evaluate(Body.REPRESENTATIVES, PENGJIANG, D2025, Counts(entitled=30, present=20, votes_for=10))
    assert half is not None and half.quorum_met and not half.passed


def test_the_villagers_assembly_meets_by_adults_or_by_households() -> None:
    by_adults = Counts(entitled=801, present=401, votes_for=201, households=300, households_present=10)
    by_households = Counts(entitled=800, present=300, votes_for=151, households=300, households_present=200)
    neither = Counts(entitled=800, present=400, votes_for=201, households=300, households_present=199)
    for counts, met in ((by_adults, True), (by_households, True), (neither, False)):
        verdict = evaluate(Body.VILLAGERS_ASSEMBLY, PENGJIANG, D2025, counts)
        assert verdict is not None and verdict.quorum_met is met


def test_the_party_assembly_counts_yes_votes_against_members_due() -> None:
    # 45 members: quorum 30 (≥ 2/3); 23 yes of 45 due passes, 22 fails even with 30 present
    passes = evaluate(Body.PARTY_ASSEMBLY, PENGJIANG, D2026, Counts(entitled=45, present=30, votes_for=23))
    fails = evaluate(Body.PARTY_ASSEMBLY, PENGJIANG, D2026, Counts(entitled=45, present=30, votes_for=22))
    assert passes is not None and passes.advances
    assert fails is not None and fails.quorum_met and not fails.passed
    assert all("四议两公开" in f.article for f in fails.findings)


def test_it_uses_the_rule_set_in_force_on_the_meeting_date() -> None:
    old = rule_set_for(Body.REPRESENTATIVES, PENGJIANG, date(2025, 12, 31))
    new = rule_set_for(Body.REPRESENTATIVES, PENGJIANG, date(2026, 1, 1))
    assert old is not None and old.version == "2018年修正" and old.verified
    assert new is not None and new.version == "2025年修正" and not new.verified
    verdict = evaluate(Body.REPRESENTATIVES, PENGJIANG, date(2026, 1, 1), Counts(entitled=30, present=20, votes_for=11))
    assert verdict is not None and "2025" in verdict.rule_set_name
    assert all("待核实" in f.article for f in verdict.findings)


def test_a_more_specific_rule_set_wins_in_its_region_only() -> None:
    local = RuleSet.objects.create(
        name="某省办法", jurisdiction="province", region_code="44", law="某省实施办法", version="2026", effective_from=date(2026, 1, 1)
    )
    local.rules.create(
        body=Body.REPRESENTATIVES, kind="quorum", numerator=4, denominator=5, comparison="gte", base="entitled", article="第十条", text="x"
    )
    local.rules.create(
        body=Body.REPRESENTATIVES, kind="majority", numerator=1, denominator=2, comparison="gt", base="present", article="第十条", text="x"
    )
    counts = Counts(entitled=30, present=20, votes_for=11)
    guangdong = evaluate(Body.REPRESENTATIVES, PENGJIANG, D2026, counts)
    elsewhere = evaluate(Body.REPRESENTATIVES, "330100100201", D2026, counts)
    assert guangdong is not None and not guangdong.quorum_met and guangdong.rule_set_name.startswith("某省实施办法")
    assert elsewhere is not None and elsewhere.quorum_met


def test_a_body_without_rules_gives_no_verdict() -> None:
    assert evaluate(Body.REPRESENTATIVES, PENGJIANG, date(2010, 1, 1), Counts(entitled=3, present=3, votes_for=3)) is None


def test_a_check_without_rules_fails_closed() -> None:
    rs = RuleSet.objects.create(
        name="残缺", jurisdiction="district", region_code="440703", law="测试", version="1", effective_from=date(2026, 1, 1)
    )
    rs.rules.create(
        body=Body.REPRESENTATIVES, kind="quorum", numerator=1, denominator=2, comparison="gt", base="entitled", article="一", text="x"
    )
    verdict = evaluate(Body.REPRESENTATIVES, PENGJIANG, D2026, Counts(entitled=30, present=30, votes_for=30))
    assert verdict is not None and verdict.quorum_met and not verdict.passed
