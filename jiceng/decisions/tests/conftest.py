"""Village A with a registry the procedure can snapshot, an approved matter catalogue, and a
supervision-committee user."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from jiceng.accounts.models import Role, User
from jiceng.conftest import Personas, Tree, make_user
from jiceng.decisions.models import MatterCatalogue, MatterCategory, MatterGroup
from jiceng.orgs.models import Member, Person, Post, PostRole, Stage


@dataclass
class Village:
    catalogue: MatterCatalogue
    land: MatterCategory  # always through the procedure, town review
    funds: MatterCategory  # through the procedure from 50,000 元 (以上)
    party_members: list[Person]
    supervisor: User
    supervisor_b: User


@pytest.fixture
def village(tree: Tree, personas: Personas) -> Village:
    people = Person.objects.bulk_create(Person(organization=tree.village_a, name=f"党员{i:02}", gender="M") for i in range(9))
    Member.objects.bulk_create(Member(person=p, branch=tree.branch_a, stage=Stage.FULL) for p in people)
    prob = Person.objects.create(organization=tree.village_a, name="预备党员", gender="F")
    Member.objects.create(person=prob, branch=tree.branch_a, stage=Stage.PROBATIONARY)
    start = date(2021, 5, 1)
    Post.objects.create(person=people[0], organization=tree.branch_a, role=PostRole.SECRETARY, start_date=start)
    Post.objects.create(person=people[1], organization=tree.branch_a, role=PostRole.COMMITTEE_MEMBER, start_date=start)
    Post.objects.create(person=people[2], organization=tree.branch_a, role=PostRole.COMMITTEE_MEMBER, start_date=start)
    Post.objects.create(person=people[3], organization=tree.village_a, role=PostRole.CHAIR, start_date=start)
    Post.objects.create(person=people[4], organization=tree.village_a, role=PostRole.COMMITTEE_MEMBER_VC, start_date=start)
    catalogue = MatterCatalogue.objects.create(village=tree.village_a, version=1, approved_on=date(2026, 3, 1), approved_by="村民代表会议")
    land = catalogue.categories.create(name="集体土地发包", group=MatterGroup.ART24, needs_town_review=True, basis="组织法第二十四条")
    funds = catalogue.categories.create(name="集体资金使用", group=MatterGroup.FUNDS, amount_threshold=Decimal("50000"))
    return Village(
        catalogue=catalogue,
        land=land,
        funds=funds,
        party_members=people,
        supervisor=make_user("supervisor_a", Role.SUPERVISION, tree.village_a),
        supervisor_b=make_user("supervisor_b", Role.SUPERVISION, tree.village_b),
    )
