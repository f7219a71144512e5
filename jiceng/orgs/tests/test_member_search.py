"""The member search reads the member's own copy of the name (Member.name, Member.name_initials).

The copy is what makes a search for 陈 cheap (the (branch, name) index); these tests prove every
service that creates a member or renames a person keeps it in step, that the search stays inside the
scope, and that the 1-2 character prefix rule (docs/workflows/registry.md) holds on the copy.
"""

from datetime import date

import pytest
from django.db import connection

from jiceng.conftest import Personas, Tree
from jiceng.orgs import selectors, services
from jiceng.orgs.models import Member, Organization, Person, Stage

FULL: dict[str, date | None] = {"applied_on": date(2000, 1, 1), "activist_on": date(2000, 6, 1), "candidate_on": date(2001, 7, 1)}
FULL |= {"probationary_on": date(2001, 9, 1), "full_on": date(2002, 9, 1)}


def _member(personas: Personas, village: Organization, branch: Organization, name: str) -> Member:
    admin = personas.district_admin
    person = services.person_create(actor=admin, organization=village, name=name, gender="M")
    return services.member_save(actor=admin, person=person, branch=branch, stage=Stage.FULL, dates=FULL)


def _found(user: object, q: str) -> set[str]:
    return {m.person.name for m in selectors.members_for_user(user, {"q": q})}  # type: ignore[arg-type]


def test_it_copies_the_name_and_initials_when_a_member_is_created(personas: Personas, tree: Tree) -> None:
    member = _member(personas, tree.village_a, tree.branch_a, "陈建国")
    member.refresh_from_db()
    assert (member.name, member.name_initials) == ("陈建国", "cjg")
    assert _found(personas.district_admin, "陈") == {"陈建国"}
    assert _found(personas.district_admin, "cjg") == {"陈建国"}


def test_it_follows_a_rename_of_the_person(personas: Personas, tree: Tree) -> None:
    member = _member(personas, tree.village_a, tree.branch_a, "陈建国")
    services.person_update(actor=personas.district_admin, person=member.person, name="林国强")
    member.refresh_from_db()
    assert (member.name, member.name_initials) == ("林国强", "lgq")
    assert _found(personas.district_admin, "陈") == set()
    assert _found(personas.district_admin, "林国") == {"林国强"}
    assert _found(personas.district_admin, "lgq") == {"林国强"}


def test_a_member_update_rewrites_the_copy(personas: Personas, tree: Tree) -> None:
    member = _member(personas, tree.village_a, tree.branch_a, "陈建国")
    Member.objects.filter(pk=member.pk).update(name="", name_initials="")  # a row written by a bulk path
    services.member_save(actor=personas.district_admin, person=member.person, branch=tree.branch_a, stage=Stage.FULL, dates=FULL)
    assert _found(personas.district_admin, "陈建") == {"陈建国"}


def test_sync_refreshes_rows_written_without_the_names(personas: Personas, tree: Tree) -> None:
    people = [
        Person.objects.create(organization=tree.village_a, name=n, name_initials=i, gender="F") for n, i in (("陈红", "ch"), ("李红", "lh"))
    ]
    Member.objects.bulk_create(Member(person=p, branch=tree.branch_a, stage=Stage.FULL, full_on=date(2020, 1, 1)) for p in people)
    assert _found(personas.district_admin, "陈") == set()  # not yet: the copy is empty
    assert services.member_names_sync(person_ids=[people[0].pk]) == 1
    assert _found(personas.district_admin, "陈") == {"陈红"} and _found(personas.district_admin, "李") == set()
    assert services.member_names_sync() == 2
    assert _found(personas.district_admin, "李") == {"李红"}


def test_the_search_stays_in_scope(personas: Personas, tree: Tree) -> None:
    _member(personas, tree.village_a, tree.branch_a, "陈甲")
    _member(personas, tree.village_b, tree.branch_b, "陈乙")
    assert _found(personas.secretary_a, "陈") == {"陈甲"}  # nobody sees another village's members
    assert _found(personas.secretary_b, "陈") == {"陈乙"}
    assert _found(personas.town_staff, "陈") == {"陈甲", "陈乙"}
    assert _found(personas.secretary_a, "陈乙") == set()


@pytest.mark.parametrize(
    ("q", "found"), [("陈", {"陈建国"}), ("建国", set()), ("陈建国", {"陈建国"}), ("建国强", set()), ("CJ", {"陈建国"})]
)
def test_short_chinese_queries_match_the_start_only(personas: Personas, tree: Tree, q: str, found: set[str]) -> None:
    _member(personas, tree.village_a, tree.branch_a, "陈建国")
    assert _found(personas.district_admin, q) == found


@pytest.mark.django_db
def test_the_scope_and_prefix_indexes_exist_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the pattern operator class is PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('member_branch_name', 'person_org_name')")
        found = dict(cursor.fetchall())
    assert set(found) == {"member_branch_name", "person_org_name"}
    assert all("varchar_pattern_ops" in d for d in found.values())
