"""Statistics of the procedure: exact figures on a small hand-built record set, scoping, the page.

The records are written directly (not through the services) so that every date is chosen: the
figures are about what the records say, not about how they came to be.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.accounts.models import Role, User
from jiceng.conftest import Personas, Tree, make_user
from jiceng.decisions import stats
from jiceng.decisions.models import Classification, Decision, Meeting, Notice, NoticeKind, Objection, Status
from jiceng.decisions.stats import Figures
from jiceng.orgs.models import Organization, OrgKind
from jiceng.rules.models import Body, RuleSet

TODAY = date(2025, 12, 31)
S = Status


@dataclass
class Records:
    user: User
    counter: int = 0

    def decision(self, village: Organization, status: str, amount: str | None = None, general: bool = False) -> Decision:
        return Decision.objects.create(
            village=village,
            title=f"事项{Decision.objects.count() + 1}",
            amount=Decimal(amount) if amount is not None else None,
            classification=Classification.GENERAL if general else Classification.PROCEDURE,
            classification_reason="测试",
            status=status,
            created_by=self.user,
        )

    def meeting(self, decision: Decision, step: str, held_on: date, quorum: bool = True, passed: bool = True, **kw: Any) -> Meeting:
        body = Body.TWO_COMMITTEES if step == "handle" else Body.REPRESENTATIVES
        return Meeting.objects.create(
            decision=decision,
            step=step,
            body=body,
            held_on=held_on,
            place="会议室",
            entitled=30,
            present=25 if quorum else 15,
            votes_for=(12 if quorum else 10) if passed else 5,
            minutes="记录",
            rule_set=RuleSet.objects.order_by("pk")[0],
            quorum_met=quorum,
            passed=passed,
            recorded_by=self.user,
            **kw,
        )

    def notice(self, decision: Decision, published_on: date, kind: str = NoticeKind.RESOLUTION) -> Notice:
        self.counter += 1
        return Notice.objects.create(
            decision=decision,
            kind=kind,
            code=f"CODE{self.counter:04d}",
            title="公告",
            body="内容",
            published_on=published_on,
            notice_days=7,
            content_hash="0" * 64,
            published_by=self.user,
        )

    def objection(self, decision: Decision, raised_on: date, due_on: date, answered_on: date | None = None) -> Objection:
        return Objection.objects.create(
            decision=decision,
            text="异议",
            raised_by=self.user,
            raised_on=raised_on,
            due_on=due_on,
            answer="答复" if answered_on else "",
            answered_on=answered_on,
        )


@pytest.fixture
def records(tree: Tree, personas: Personas) -> Records:
    """甲村 (A) and 乙村 (B) in 甲镇, 丙社区 (C) in 丙街道; figures for 2025 are worked out by hand below."""
    r = Records(personas.secretary_a)
    a, b, c = tree.village_a, tree.village_b, tree.community_c
    d1 = r.decision(a, S.ARCHIVED, "100000")
    r.meeting(d1, "party_review", date(2025, 3, 1))  # an earlier step: not a resolution
    r.meeting(d1, "resolve", date(2025, 3, 10))
    r.notice(d1, date(2025, 3, 15))  # 5 days: on time
    r.notice(d1, date(2025, 9, 1), kind=NoticeKind.RESULT)
    r.objection(d1, date(2025, 3, 16), date(2025, 3, 26), answered_on=date(2025, 3, 20))
    d2 = r.decision(a, S.IMPLEMENTING, "250000.50")
    r.meeting(d2, "resolve", date(2025, 5, 1), quorum=False)  # failed quorum, re-held
    r.meeting(d2, "resolve", date(2025, 5, 20))
    r.notice(d2, date(2025, 5, 28))  # 8 days: late
    r.objection(d2, date(2025, 6, 1), date(2025, 6, 11))  # open and overdue
    d3 = r.decision(a, S.RESOLVED, "3000", general=True)  # a general matter: a matter, not a use
    r.meeting(d3, "handle", date(2025, 7, 1))
    d4 = r.decision(a, S.RESOLUTION_PUBLISHED, "999")  # resolved in 2024
    r.meeting(d4, "resolve", date(2024, 12, 30))
    r.notice(d4, date(2025, 1, 3))
    d5 = r.decision(a, S.PARTY_REVIEWED, "5000")  # stopped by a failed quorum
    r.meeting(d5, "resolve", date(2025, 9, 1), quorum=False)
    d6 = r.decision(a, S.REJECTED, "7000")  # voted down: not decided, not a failed quorum
    r.meeting(d6, "resolve", date(2025, 4, 1), passed=False)
    d7 = r.decision(a, S.RESOLVED, "60000")  # failed quorum accepted by the town
    town = make_user("town_b", Role.TOWN_STAFF, tree.town)
    r.meeting(d7, "resolve", date(2025, 8, 1), quorum=False, overridden_by=town, override_reason="经镇核实同意")
    e1 = r.decision(b, S.RESULT_PUBLISHED, "1000000")
    r.meeting(e1, "group_resolve", date(2025, 2, 1))
    r.notice(e1, date(2025, 2, 8))  # exactly 7 days: on time
    r.objection(e1, date(2025, 12, 25), date(2026, 1, 4))  # open, not yet due
    c1 = r.decision(c, S.ARCHIVED)  # a plan without an amount
    r.meeting(c1, "propose_deliberate", date(2025, 5, 1))
    r.meeting(c1, "resolve", date(2025, 6, 1))
    r.notice(c1, date(2025, 6, 2))
    return r


A_2025 = Figures(
    decisions=3,
    matters=4,
    amount=Decimal("410000.50"),
    completed=1,
    resolution_notices=2,
    notices_on_time=1,
    objections_raised=2,
    objections_answered=1,
    objections_overdue=1,
    failed_meetings=3,
)
B_2025 = Figures(
    decisions=1, matters=1, amount=Decimal("1000000"), completed=1, resolution_notices=1, notices_on_time=1, objections_raised=1
)
C_2025 = Figures(decisions=1, matters=1, completed=1, resolution_notices=1, notices_on_time=1)


def _names(rows: list[stats.Row]) -> list[str]:
    return [row.org.name for row in rows]


def test_it_counts_each_village_from_its_records(records: Records, personas: Personas, tree: Tree) -> None:
    figures = stats.village_figures(personas.district_admin, 2025, TODAY)
    assert figures == {tree.village_a.pk: A_2025, tree.village_b.pk: B_2025, tree.community_c.pk: C_2025}
    assert stats.village_figures(personas.district_admin, 2024, TODAY) == {
        tree.village_a.pk: Figures(decisions=1, matters=1, amount=Decimal("999"), resolution_notices=1, notices_on_time=1)
    }
    assert stats.village_figures(personas.district_admin, 2023, TODAY) == {}


def test_overdue_follows_the_day_of_the_report(records: Records, personas: Personas, tree: Tree) -> None:
    assert stats.village_figures(personas.district_admin, 2025, date(2026, 1, 5))[tree.village_b.pk].objections_overdue == 1
    assert stats.village_figures(personas.district_admin, 2025, date(2026, 1, 4))[tree.village_b.pk].objections_overdue == 0


def test_towns_and_the_district_add_up_their_villages(records: Records, personas: Personas) -> None:
    report = stats.report(personas.district_admin, 2025, TODAY)
    assert _names(report.villages) == ["甲村", "乙村", "丙社区"]
    assert [(row.org.name, row.figures) for row in report.towns] == [("甲镇", A_2025 + B_2025), ("丙街道", C_2025)]
    (district,) = report.districts
    total = district.figures
    assert district.org.name == "测试区" and total == A_2025 + B_2025 + C_2025
    assert (total.decisions, total.matters, total.amount, total.failed_meetings) == (5, 6, Decimal("1410000.50"), 3)
    assert total.completed_share == Decimal("60.0") and total.on_time_share == Decimal("75.0")
    assert total.amount_yi == Decimal("0.014")
    assert Figures().completed_share is None


def test_a_village_sees_itself_and_a_town_its_villages(records: Records, personas: Personas, tree: Tree) -> None:
    village = stats.report(personas.secretary_a, 2025, TODAY)
    assert (_names(village.villages), village.towns, village.districts) == (["甲村"], [], [])
    assert stats.village_figures(personas.secretary_a, 2025, TODAY) == {tree.village_a.pk: A_2025}
    town = stats.report(personas.town_staff, 2025, TODAY)
    assert (_names(town.villages), _names(town.towns), town.districts) == (["甲村", "乙村"], ["甲镇"], [])
    assert town.towns[0].figures == A_2025 + B_2025
    within = stats.report(personas.district_admin, 2025, TODAY, within=tree.other_town)
    assert (_names(within.villages), _names(within.towns), within.districts) == (["丙社区"], ["丙街道"], [])
    for nobody in (personas.member, personas.auditor, personas.outsider):
        empty = stats.report(nobody, 2025, TODAY)
        assert (empty.villages, empty.towns, empty.districts) == ([], [], [])


# ---- the page --------------------------------------------------------------------------------


def _page(user: User, **params: Any) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(reverse("decisions:stats"), params)


def test_the_page_shows_a_table_per_level_in_scope(records: Records, personas: Personas) -> None:
    response = _page(personas.district_admin, year=2025)
    assert response.status_code == 200
    html = response.content.decode()
    assert all(name in html for name in ("甲村", "乙村", "丙社区", "甲镇", "丙街道", "测试区"))
    assert "141.00" in html and "0.014 亿元" in html and "60.0%" in html and 'value="2025" selected' in html
    town = _page(personas.town_staff, year=2025).content.decode()
    assert "甲镇" in town and "丙社区" not in town and "测试区" not in town
    village = _page(personas.secretary_a, year=2025).content.decode()
    assert "甲村" in village and "乙村" not in village and "甲镇" not in village


@pytest.mark.parametrize("who", ["member", "auditor", "outsider"])
def test_the_page_is_for_staff_who_may_view_decisions(records: Records, personas: Personas, who: str) -> None:
    assert _page(getattr(personas, who)).status_code == 403


def test_a_bad_year_falls_back_to_the_current_one(records: Records, personas: Personas) -> None:
    for year in ("abc", "1800", "99999"):
        assert _page(personas.district_admin, year=year).status_code == 200


def _count_page_queries(user: User) -> int:
    client = Client()
    client.force_login(user)
    client.get(reverse("decisions:stats"), {"year": 2025})  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("decisions:stats"), {"year": 2025}).status_code == 200
    return len(queries)


def test_the_page_query_count_does_not_grow_with_villages(records: Records, personas: Personas, tree: Tree) -> None:
    small = _count_page_queries(personas.district_admin)
    for i in range(18):
        village = Organization.objects.add_child(
            Organization.objects.get(pk=tree.town.pk),
            create_kwargs={"name": f"新村{i}", "code": f"4407991003{i:02d}", "kind": OrgKind.VILLAGE},
        )
        d = records.decision(village, S.ARCHIVED, "1000")
        records.meeting(d, "resolve", date(2025, 4, 1))
        records.notice(d, date(2025, 4, 2))
        records.objection(d, date(2025, 4, 3), date(2025, 4, 13))
        records.meeting(records.decision(village, S.PARTY_REVIEWED), "resolve", date(2025, 5, 1), quorum=False)
    assert Organization.objects.filter(kind__in=[OrgKind.VILLAGE, OrgKind.COMMUNITY]).count() == 21
    assert _count_page_queries(personas.district_admin) == small
    # session, user, grants (once, shared by workspace and scope), organizations, three grouped figures
    assert small == 7, small
