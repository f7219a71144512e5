"""The member search reads the member's own copy of the name (Member.name, Member.name_initials).

The copy is what makes a search for 陈 cheap (the (branch, name) index); these tests prove every
service that creates a member or renames a person keeps it in step, that the search stays inside the
scope, and that the 1-2 character prefix rule (docs/workflows/registry.md) holds on the copy, for
Chinese characters on the name and for Latin letters on the pinyin initials.
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


@pytest.mark.parametrize("q", ["c", "cj", "CJ", "cjh", "jh"])
def test_a_latin_search_stays_in_scope(personas: Personas, tree: Tree, q: str) -> None:
    """Prefix (one or two letters) or contains (three or more), never a member of another village."""
    _member(personas, tree.village_a, tree.branch_a, "陈建国")
    _member(personas, tree.village_b, tree.branch_b, "陈建华")
    in_b = {"陈建华"} if q.lower() in {"c", "cj", "cjh"} else set()
    assert _found(personas.secretary_a, q) == ({"陈建国"} if q.lower() in {"c", "cj"} else set())
    assert _found(personas.secretary_b, q) == in_b
    people_a = {p.name for p in selectors.people_for_user(personas.secretary_a, {"q": q})}
    assert "陈建华" not in people_a


@pytest.mark.parametrize(
    ("q", "found"),
    [("陈", {"陈建国"}), ("建国", set()), ("陈建国", {"陈建国"}), ("建国强", set()), ("CJ", {"陈建国"}), ("jg", set())],
)
def test_short_queries_match_the_start_only(personas: Personas, tree: Tree, q: str, found: set[str]) -> None:
    _member(personas, tree.village_a, tree.branch_a, "陈建国")
    assert _found(personas.district_admin, q) == found


def test_three_letters_match_anywhere_in_the_initials(personas: Personas, tree: Tree) -> None:
    member = _member(personas, tree.village_a, tree.branch_a, "林建国强")
    assert member.name_initials == "ljgq"
    assert _found(personas.district_admin, "jgq") == {"林建国强"}  # contains
    assert _found(personas.district_admin, "jg") == set()  # a prefix at two letters
    assert _found(personas.district_admin, "lj") == {"林建国强"}


@pytest.mark.django_db
def test_the_scope_and_prefix_indexes_exist_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the pattern operator class is PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'member_branch_%' OR indexname LIKE 'person_org_%'")
        found = {name: d for name, d in cursor.fetchall() if name != "member_branch_stage"}
    assert set(found) == {"member_branch_name", "person_org_name", "member_branch_initials", "person_org_initials"}
    assert all("varchar_pattern_ops" in d for d in found.values())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL planner")
@pytest.mark.parametrize("q", ["cj", "c"])
def test_a_short_latin_count_is_served_by_the_initials_index(personas: Personas, tree: Tree, q: str) -> None:
    """The count behind the pager ranges over (branch, initials) instead of reading every member in
    scope (orgs migration 0010), for members and for people alike. 3,000 analyzed members over three
    villages: the planner takes the index for a village's cj (one in 676). For c (one in 26) it rightly
    reads a 22-page table whole, so that case only proves the index serves it once a scan is ruled out
    (on the generated district, 20,000 members, the planner took it for one town's c unaided)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    places = [(tree.village_a, tree.branch_a), (tree.village_b, tree.branch_b), (tree.community_c, tree.community_c)]
    people = Person.objects.bulk_create(
        Person(organization=places[i % 3][0], name=f"人{i}", name_initials=letters[i % 26] + letters[i // 26 % 26] + "g", gender="F")
        for i in range(3000)
    )
    Member.objects.bulk_create(
        Member(person=p, branch=places[i % 3][1], name=p.name, name_initials=p.name_initials, stage=Stage.FULL, full_on=date(2020, 1, 1))
        for i, p in enumerate(people)
    )
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgs_member, orgs_person, orgs_organization")
        if q == "c":
            cursor.execute("SET LOCAL enable_seqscan = off")  # ends with the test's transaction
        for label, qs in (
            ("member", selectors.members_for_user(personas.secretary_a, {"q": q})),
            ("person", selectors.people_for_user(personas.secretary_a, {"q": q})),
        ):
            sql, params = qs.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN SELECT count(*) FROM ({sql}) counted", params)
            plans[label] = "\n".join(row[0] for row in cursor.fetchall())
    assert "member_branch_initials" in plans["member"], plans["member"]
    assert "person_org_initials" in plans["person"], plans["person"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL planner")
@pytest.mark.parametrize(
    ("q", "index"), [("cjg", "person_initials_trgm"), ("cjg", "person_name_upper_trgm"), ("人12", "person_name_upper_trgm")]
)
def test_a_longer_query_is_served_by_the_trigram_indexes(personas: Personas, tree: Tree, q: str, index: str) -> None:
    """Three or more letters or characters find the few matching people through the trigram
    indexes (initials: orgs 0004; UPPER(name): orgs 0012) instead of reading every member in scope;
    the member list goes through the person (selectors._member_name_filter). 3,000 people fit in a
    few pages that the planner rightly reads whole, so the test leaves it bitmap scans only; on the
    generated province (4 M people) it takes both indexes unaided (docs/performance.md, item 22)."""
    people = Person.objects.bulk_create(
        Person(organization=tree.village_a, name=f"人{i}", name_initials=f"r{i % 97:02d}", gender="F") for i in range(3000)
    )
    Member.objects.bulk_create(
        Member(person=p, branch=tree.branch_a, name=p.name, name_initials=p.name_initials, stage=Stage.FULL, full_on=date(2020, 1, 1))
        for p in people
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orgs_member, orgs_person, orgs_organization")
        cursor.execute(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"
        )  # bitmap scans only, to the end of the transaction
        for qs in (
            selectors.members_for_user(personas.district_admin, {"q": q}),
            selectors.people_for_user(personas.district_admin, {"q": q}),
        ):
            sql, params = qs.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN SELECT count(*) FROM ({sql}) counted", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan, plan
