"""generate_scale at the tiny scale: a consistent tree, a valid ledger, the configured counts, determinism."""

import contextlib
import importlib
import json
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F

from jiceng.accounts.access import allowed_paths
from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.audit.models import Event, LedgerHead
from jiceng.audit.services import verify
from jiceng.bench.generate import (
    BENCH_AUDITOR_USERNAME,
    BENCH_DISTRICT_USERNAME,
    BENCH_USERNAME,
    GIVEN,
    SCALES,
    SURNAMES,
    Scale,
    district_groups,
    generate,
    id_number,
    path_step,
    pinyin_initials,
)
from jiceng.bench.ledger import measure
from jiceng.decisions.models import Decision
from jiceng.grid.models import Case, Grid
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import id_check_digit
from jiceng.needs.models import Need
from jiceng.orgs.models import Member, Organization, OrgKind, Person
from jiceng.orgs.selectors import members_for_user
from jiceng.orgs.services import name_initials

pytestmark = pytest.mark.django_db
TINY = SCALES["tiny"]


class _Rollback(Exception):
    pass


def _fingerprint(seed: int) -> tuple[object, ...]:
    """Generate inside a savepoint, read what the seed decides, and roll it all back."""
    result: tuple[object, ...] = ()
    with contextlib.suppress(_Rollback), transaction.atomic():
        generate("tiny", seed=seed)
        result = (
            list(Person.objects.order_by("pk").values_list("name", "name_initials", "id_number_hash", "birth_date")),
            list(Case.objects.order_by("pk").values_list("grid_id", "reported_at")),
            # Not the head hash: events name the bench user, whose id follows the database sequence,
            # which a rolled-back savepoint does not rewind on PostgreSQL.
            list(Event.objects.order_by("seq").values_list("org_path", "action", "at")),
        )
        raise _Rollback
    return result


def test_it_builds_a_tree_treebeard_accepts() -> None:
    generate("tiny")
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    villages = TINY.districts * TINY.towns * TINY.villages
    assert Organization.objects.filter(kind=OrgKind.VILLAGE).count() == villages
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() == villages
    assert Organization.objects.count() == TINY.districts * (1 + TINY.towns) + 2 * villages
    root = Organization.objects.get_root_nodes().get()
    assert [o.kind for o in Organization.objects.get_children(root)] == [OrgKind.TOWN] * TINY.towns
    village = Organization.objects.filter(kind=OrgKind.VILLAGE).order_by("path").first()
    assert village is not None and Organization.objects.get_parent(village).kind == OrgKind.TOWN
    assert [c.kind for c in Organization.objects.get_children(village)] == [OrgKind.BRANCH]


def test_it_writes_the_configured_counts() -> None:
    generate("tiny")
    assert Person.objects.count() == Member.objects.count() == TINY.members
    assert Grid.objects.count() == TINY.grids
    assert Case.objects.count() == TINY.cases
    assert Need.objects.count() == TINY.needs
    assert Decision.objects.count() == TINY.decisions
    assert Event.objects.count() == TINY.events


def test_it_writes_a_ledger_that_verifies() -> None:
    generate("tiny")
    result = verify()
    assert result.ok, result.reason
    assert result.checked == TINY.events == LedgerHead.objects.get().seq


def test_every_ledger_measurement_finds_the_generated_chain_intact() -> None:
    generate("tiny")
    lines = measure(workers=2, orm_sample=20, routine_events=10)
    timed = [text for label, text in lines.items() if "CPU" not in label]
    assert len(timed) == 4
    assert all("ok: True" in text for text in timed), lines


def test_it_encrypts_personal_data_readably() -> None:
    generate("tiny")
    person = Person.objects.order_by("pk").first()
    assert person is not None
    assert fieldcrypto.decrypt(person.id_number_encrypted) == id_number(person.pk)
    assert person.id_number_hash == fieldcrypto.lookup_hash(id_number(person.pk))
    assert Person.objects.values("id_number_hash").distinct().count() == TINY.members


def test_cases_and_needs_are_written_in_the_order_they_came() -> None:
    generate("tiny", seed=1)
    reported = list(Case.objects.order_by("pk").values_list("reported_at", flat=True))
    submitted = list(Need.objects.order_by("pk").values_list("submitted_at", flat=True))
    assert reported == sorted(reported) and submitted == sorted(submitted)
    assert len(set(reported)) == len(reported)  # spread over the span, not piled on one moment


def test_it_is_deterministic_by_seed() -> None:
    first = _fingerprint(7)
    assert first == _fingerprint(7)
    assert first != _fingerprint(8)


def test_new_ids_continue_after_generated_rows() -> None:
    generate("tiny")
    village = Organization.objects.filter(kind=OrgKind.VILLAGE).first()
    assert village is not None
    person = Person.objects.create(organization=village, name="新人", gender="M")
    assert person.pk == TINY.members + 1


def test_it_refuses_a_database_with_data() -> None:
    generate("tiny")
    with pytest.raises(CommandError, match="empty"):
        call_command("generate_scale", "--scale", "tiny", stdout=StringIO())


def test_the_command_reports_rows_per_second() -> None:
    out = StringIO()
    call_command("generate_scale", "--scale", "tiny", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "orgs_person" in text and "rows/s" in text and "audit_event" in text


def test_path_steps_follow_treebeard() -> None:
    assert [path_step(n) for n in (1, 10, 35, 36)] == ["0001", "000A", "000Z", "0010"]
    assert Organization._get_path("", 1, 36) == path_step(36)


def test_id_numbers_carry_a_valid_check_digit() -> None:
    for i in (1, 999, 1000, 3_999_999):
        assert id_number(i)[-1] == id_check_digit(id_number(i)[:17])


@pytest.mark.django_db(transaction=True)
def test_each_table_is_committed_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure in a late table keeps the earlier ones: no single transaction spans the whole run."""
    # An earlier transactional test's flush empties the categories that a data migration seeds.
    seed_categories = importlib.import_module("jiceng.grid.migrations.0004_seed_case_categories").seed
    seed_categories(django_apps, None)

    def fail(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("jiceng.bench.generate._events", fail)
    with pytest.raises(RuntimeError):
        generate("tiny")
    assert Person.objects.count() == TINY.members and Decision.objects.count() == TINY.decisions
    assert not Event.objects.exists()


def test_it_reports_peak_memory() -> None:
    report = generate("tiny")
    assert report.extra["peak RSS (MB)"] > 10


# A province in miniature: 5 districts over 2 cities (3 + 2) under one province node.
TINY_PROVINCE = Scale(5, 1, 2, 4, 20, 10, 4, 2, 10, cities=2, province=True)


def test_districts_are_spread_over_the_cities_like_the_province() -> None:
    groups = district_groups(SCALES["province"])
    assert len(groups) == 21 and sum(len(g) for g in groups) == 122
    assert [len(g) for g in groups] == [6] * 17 + [5] * 4
    assert [n for g in groups for n in g] == list(range(1, 123))
    assert district_groups(SCALES["city"]) == [list(range(1, 11))]
    assert district_groups(TINY_PROVINCE) == [[1, 2, 3], [4, 5]]


def test_a_province_scale_builds_province_cities_districts_and_one_grant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCALES, "tiny-province", TINY_PROVINCE)
    generate("tiny-province")
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    province = Organization.objects.get_root_nodes().get()
    assert province.kind == OrgKind.PROVINCE
    cities = list(Organization.objects.get_children(province))
    assert [c.kind for c in cities] == [OrgKind.CITY, OrgKind.CITY]
    assert [[d.name for d in Organization.objects.get_children(c)] for c in cities] == [["第1区", "第2区", "第3区"], ["第4区", "第5区"]]
    assert Organization.objects.filter(kind=OrgKind.DISTRICT, depth=3).count() == 5
    assert Organization.objects.filter(kind=OrgKind.VILLAGE, depth=5).count() == 5 * 1 * 2
    user = User.objects.get(username=BENCH_USERNAME)
    grant = RoleGrant.objects.get(user=user)
    assert (grant.organization_id, grant.role) == (province.pk, Role.DISTRICT_ADMIN)
    assert allowed_paths(user, {Role.DISTRICT_ADMIN}) == [province.path]
    auditor = RoleGrant.objects.get(user__username=BENCH_AUDITOR_USERNAME)  # the ledger page's user, beside `bench`
    assert (auditor.organization_id, auditor.role) == (province.pk, Role.AUDITOR)
    # every generated record sits under the one granted path range
    assert not Member.objects.exclude(branch__path__startswith=province.path).exists()
    assert not Case.objects.exclude(village__path__startswith=province.path).exists()


def test_a_city_scale_builds_one_city_above_its_districts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCALES, "tiny-city", Scale(3, 1, 2, 4, 20, 10, 4, 2, 10, cities=1))
    generate("tiny-city")
    city = Organization.objects.get_root_nodes().get()
    assert city.kind == OrgKind.CITY and city.numchild == 3
    assert [d.kind for d in Organization.objects.get_children(city)] == [OrgKind.DISTRICT] * 3
    assert list(RoleGrant.objects.filter(user__username=BENCH_USERNAME).values_list("organization_id", flat=True)) == [city.pk]
    first_district = Organization.objects.get_children(city).first()
    assert first_district is not None
    district_admin = RoleGrant.objects.get(user__username=BENCH_DISTRICT_USERNAME)
    assert (district_admin.organization_id, district_admin.role) == (first_district.pk, Role.DISTRICT_ADMIN)
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_members_carry_their_persons_name_for_the_member_search() -> None:
    generate("tiny")
    assert not Member.objects.exclude(name=F("person__name")).exists()
    surname = Member.objects.values_list("name", flat=True).first()
    assert surname and members_for_user(User.objects.get(username=BENCH_USERNAME), {"q": surname[0]}).exists()


def test_people_and_members_get_the_pinyin_initials_the_services_would_write() -> None:
    generate("tiny")
    people = list(Person.objects.values_list("name", "name_initials"))
    assert len(people) == TINY.members and all(initials == name_initials(name) for name, initials in people)
    assert not Member.objects.exclude(name_initials=F("person__name_initials")).exists()
    user = User.objects.get(username=BENCH_USERNAME)
    initials = people[0][1]
    expected = {i for _, i in people if i.startswith(initials[:2])}
    found = {m.name_initials for m in members_for_user(user, {"q": initials[:2]})}
    assert found == expected and initials in found  # the runner's search-latin endpoint has rows to count


def test_every_name_the_generator_can_make_reads_character_by_character() -> None:
    """The generator takes each character's initial once (generate._INITIAL): right only while no pair
    of its characters is a phrase that pypinyin reads differently (as 重 in 重庆)."""
    names = [s + g + h for s in SURNAMES for g in GIVEN for h in ("", *GIVEN)]
    assert [pinyin_initials(n) for n in names] == [name_initials(n) for n in names]


def test_ledger_events_look_like_the_services_events() -> None:
    generate("tiny")
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"person.create", "member.change", "case.move", "need.list", "decision.publish_result"} <= actions
    sizes = [len(json.dumps(c, ensure_ascii=False)) for c in Event.objects.values_list("changes", flat=True)]
    assert 50 <= sum(sizes) / len(sizes) <= 150
