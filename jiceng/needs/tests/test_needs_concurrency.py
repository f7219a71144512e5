"""Many claimers at once on PostgreSQL: never past capacity (select_for_update on the need row and
a count in the same transaction). SQLite serializes writers anyway, so the race cannot happen there."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.conftest import Tree, make_user
from jiceng.needs import services
from jiceng.needs.models import Claim, MemberAccount, Need, NeedStatus
from jiceng.needs.tests.needs_fixtures import need_input
from jiceng.orgs.models import Member, Person, Stage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs a database with concurrent writers"),
]
CLAIMERS = 8


def _members(tree: Tree, n: int) -> list[User]:
    users = []
    for i in range(n):
        user = make_user(f"racer{i}", Role.PARTY_MEMBER, tree.branch_a)
        person = Person.objects.create(organization=tree.village_a, name=f"党员{i}", gender="M")
        MemberAccount.objects.create(user=user, member=Member.objects.create(person=person, branch=tree.branch_a, stage=Stage.FULL))
        users.append(user)
    return users


def _race(need: Need, users: list[User]) -> tuple[list[int], list[str]]:
    barrier = threading.Barrier(len(users))
    won: list[int] = []
    lost: list[str] = []

    def claim(user: User) -> None:
        try:
            barrier.wait()
            won.append(services.need_claim(actor=user, need=Need.objects.get(pk=need.pk)).pk)
        except ValidationError as exc:
            lost.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, lost


@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_claims_never_exceed_capacity(tree: Tree, capacity: int) -> None:
    staff = make_user("sec", Role.VILLAGE_STAFF, tree.village_a)
    need = services.need_submit(community=tree.village_a, data=need_input(), actor=staff)
    need = services.need_list(actor=staff, need=need, capacity=capacity, claim_deadline=timezone.localdate() + timedelta(days=3), points=2)
    won, lost = _race(need, _members(tree, CLAIMERS))
    assert len(won) == capacity and len(lost) == CLAIMERS - capacity
    assert all("名额已满" in m for m in lost)
    assert Claim.objects.filter(need=need).count() == capacity
    need.refresh_from_db()
    assert need.status == NeedStatus.CLAIMED


def test_the_same_member_racing_itself_gets_one_claim(tree: Tree) -> None:
    staff = make_user("sec", Role.VILLAGE_STAFF, tree.village_a)
    need = services.need_submit(community=tree.village_a, data=need_input(), actor=staff)
    need = services.need_list(actor=staff, need=need, capacity=5, claim_deadline=timezone.localdate() + timedelta(days=3), points=2)
    user = _members(tree, 1)[0]
    won, lost = _race(need, [user] * 4)
    assert len(won) == 1 and len(lost) == 3 and Claim.objects.filter(need=need).count() == 1
