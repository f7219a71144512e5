"""The demo district: shape, personal data, idempotence, ledger, logins.

Loading takes a couple of seconds, so the checks are grouped into three tests.
"""

import io
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import Client

from jiceng.accounts.models import RoleGrant, User
from jiceng.audit.models import Event
from jiceng.audit.services import verify
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import birth_date_from_id, normalize_id_number, normalize_phone
from jiceng.orgs.demo import PASSWORD, TODAY, USERNAMES, load_demo
from jiceng.orgs.models import (
    GRASSROOTS_KINDS,
    PARTY_ORG_KINDS,
    Formation,
    GrandCommitteeUnit,
    Member,
    Organization,
    OrgKind,
    Pairing,
    Person,
    Post,
    ReserveCadre,
    Stage,
)
from jiceng.orgs.rules import formation_warnings, yijiantiao
from jiceng.orgs.services import check_stage_dates

NAMED = ("雅怡社区", "三堡村", "松岭村", "五洞村", "周郡村", "龙眠村", "东风社区", "兴盛社区", "石冲社区")
TABLES = (Organization, Person, Member, Post, ReserveCadre, GrandCommitteeUnit, Pairing, User, RoleGrant, Event)


@pytest.fixture
def demo(db: None) -> dict[str, int]:
    return load_demo()


@pytest.fixture
def fast_hasher(settings: Any) -> None:
    # One PBKDF2 run per login would make the test slow; the login flow is the same with any hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _places() -> list[Organization]:
    return list(Organization.objects.filter(kind__in=GRASSROOTS_KINDS))


def test_it_builds_a_pengjiang_like_district(demo: dict[str, int]) -> None:
    _assert_tree_and_places(demo)
    _assert_people_valid_and_encrypted(demo)


def _assert_tree_and_places(demo: dict[str, int]) -> None:
    district = Organization.objects.get(code="440703")
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    towns = list(Organization.objects.get_children(district).filter(kind__in=[OrgKind.TOWN, OrgKind.SUBDISTRICT]))
    assert [t.name for t in towns] == ["棠下镇", "荷塘镇", "杜阮镇", "环市街道", "潮连街道", "白沙街道"]
    assert all(len(t.code) == 9 for t in towns)
    for parent in [district, *towns]:  # treebeard's node_order_by: siblings in code order
        codes = [c.code for c in Organization.objects.get_children(parent)]
        assert codes == sorted(codes)

    places = _places()
    assert 125 <= len(places) <= 140 and demo["places"] == len(places)
    assert len({p.name for p in places}) == len(places)
    assert all(len(p.code) == 12 and Organization.objects.get_parent(p) in towns for p in places)
    by_name = {p.name: p for p in places}
    assert set(NAMED) <= set(by_name)
    tangxia, hetang, baisha = towns[0], towns[1], towns[5]
    assert Organization.objects.get_parent(by_name["三堡村"]) == tangxia == Organization.objects.get_parent(by_name["松岭村"])
    assert not by_name["五洞村"].is_descendant_of(hetang)  # so multi_staff's two grants do not overlap
    in_tangxia = Counter(p.kind for p in places if p.is_descendant_of(tangxia))
    in_baisha = Counter(p.kind for p in places if p.is_descendant_of(baisha))
    assert in_tangxia[OrgKind.VILLAGE] > in_tangxia[OrgKind.COMMUNITY] > 0 and in_baisha[OrgKind.COMMUNITY] > in_baisha[OrgKind.VILLAGE]

    # Each place has its own party organization and 15 or more people in the pipeline.
    for place in places:
        (party,) = Organization.objects.get_children(place).filter(kind__in=PARTY_ORG_KINDS)
        assert Member.objects.filter(branch__path__startswith=party.path).count() >= 15
    kinds = Counter(Organization.objects.values_list("kind", flat=True))
    assert 1 <= kinds[OrgKind.PARTY_COMMITTEE] <= 2 and kinds[OrgKind.GENERAL_BRANCH] >= 5 and kinds[OrgKind.PARTY_GROUP] > 0
    assert 3000 <= demo["members"] <= 4000 and demo["full_members"] > 0.8 * demo["members"]

    # 一肩挑 in most places, not in all (domain.md §10.1).
    held = yijiantiao(places, TODAY)
    assert 0.7 <= sum(held.values()) / len(held) < 1

    # Organs with their branches, pairings and grand-committee units.
    organs = list(Organization.objects.filter(kind=OrgKind.ORGAN))
    assert len(organs) >= 8 and all(Organization.objects.get_children(o).filter(kind=OrgKind.BRANCH).count() == 1 for o in organs)
    per_organ = Pairing.objects.values("unit").annotate(n=Count("pk")).values_list("n", flat=True)
    assert len(per_organ) == len(organs) and set(per_organ) <= {2, 3, 4}
    per_community = GrandCommitteeUnit.objects.values("community").annotate(n=Count("pk")).values_list("n", flat=True)
    assert len(per_community) == kinds[OrgKind.COMMUNITY] and set(per_community) <= {3, 4, 5}
    assert not GrandCommitteeUnit.objects.filter(part_time_member=None).exists()

    # Two-new organizations: single, joint (one joint branch over the limit of 5) and none.
    units = list(Organization.objects.filter(kind__in=[OrgKind.ENTERPRISE, OrgKind.SOCIAL_ORG]))
    assert 30 <= len(units) <= 40 and {u.formation for u in units} == set(Formation.values)
    assert all(
        Organization.objects.get_children(u).filter(kind=OrgKind.BRANCH).exists() == (u.formation == Formation.SINGLE) for u in units
    )
    joints = sorted(Organization.objects.filter(kind=OrgKind.JOINT_BRANCH), key=lambda j: j.covered_units.count())
    assert [j.covered_units.count() for j in joints][-1] == 6 and all(j.covered_units.count() <= 5 for j in joints[:-1])
    assert any("超过" in w.text for w in formation_warnings(joints[-1], TODAY))
    assert [not formation_warnings(j, TODAY) for j in joints[:-1]] == [True] * (len(joints) - 1)

    # Reserve cadres: two or three per place, 35 or younger.
    per_place = ReserveCadre.objects.values("organization").annotate(n=Count("pk")).values_list("n", flat=True)
    assert len(per_place) == len(places) and set(per_place) <= {2, 3}
    assert all((r.person.age_on(TODAY) or 99) <= 35 for r in ReserveCadre.objects.select_related("person"))


def _assert_people_valid_and_encrypted(demo: dict[str, int]) -> None:
    people = list(Person.objects.all())
    assert len(people) == demo["people"] >= 3000
    ids = [fieldcrypto.decrypt(p.id_number_encrypted) for p in people]
    phones = [fieldcrypto.decrypt(p.phone_encrypted) for p in people]
    assert len(set(ids)) == len(ids) and len(set(phones)) == len(phones)
    rows = {row["id"]: " ".join(map(str, row.values())) for row in Person.objects.values()}
    for person, id_number, phone in zip(people, ids, phones, strict=True):
        assert normalize_id_number(id_number) == id_number and id_number.startswith("440703")
        assert birth_date_from_id(id_number) == person.birth_date
        assert int(id_number[16]) % 2 == (1 if person.gender == "M" else 0)
        assert normalize_phone(phone) == phone
        assert id_number not in rows[person.pk] and phone not in rows[person.pk]  # stored encrypted, hashed, masked
        assert person.id_number_hash == fieldcrypto.lookup_hash(id_number)
        assert person.id_number_masked == fieldcrypto.mask_id_number(id_number) and person.phone_masked == fieldcrypto.mask_phone(phone)
        assert 20 <= (person.age_on(TODAY) or 0) <= 85
    ages = [p.age_on(TODAY) or 0 for p in people]
    assert sum(ages) / len(ages) > 45  # skewed older, as grassroots membership is

    stages = Counter(Member.objects.values_list("stage", flat=True))
    assert set(stages) == set(Stage.values) and stages[Stage.FULL] > 0.8 * sum(stages.values())
    for member in Member.objects.select_related("person"):
        dates = {f: getattr(member, f) for f in ("applied_on", "activist_on", "candidate_on", "probationary_on", "full_on")}
        check_stage_dates(member.stage, dates)  # raises if a reached step has no date or the order is wrong
        assert member.person.birth_date is not None and member.applied_on is not None
        assert (member.applied_on - member.person.birth_date).days >= 18 * 365.25
        assert all(d is None or d <= TODAY for d in dates.values())
        if member.stage == Stage.FULL:
            assert member.full_on and member.probationary_on and (member.full_on - member.probationary_on).days >= 366
    assert Member.objects.exclude(work_unit=None).exists() and Member.objects.exclude(residence_community=None).exists()


def _fingerprint() -> list[tuple[Any, ...]]:
    orgs = list(Organization.objects.order_by("path").values_list("path", "code", "name", "kind", "formation"))
    people = list(Person.objects.order_by("pk").values_list("name", "gender", "birth_date", "address", "id_number_hash", "phone_hash"))
    posts = list(Post.objects.order_by("pk").values_list("person__id_number_hash", "organization__code", "role", "start_date"))
    return orgs + people + posts


def test_it_is_deterministic_and_a_second_run_loads_nothing(db: None) -> None:
    with transaction.atomic():
        load_demo()
        first = _fingerprint()
        transaction.set_rollback(True)
    counts = load_demo()
    assert _fingerprint() == first

    before = {model.__name__: model.objects.count() for model in TABLES}
    out = io.StringIO()
    assert load_demo(stdout=out) == counts
    assert {model.__name__: model.objects.count() for model in TABLES} == before

    (event,) = Event.objects.all()
    assert event.action == "demo.load" and event.actor_id is None and event.changes == counts
    assert verify().ok
    text = out.getvalue()
    assert "未重复载入" in text and PASSWORD in text
    assert all(username in text for username in USERNAMES)
    assert "三堡村" in text and "村（社区）工作人员" in text


def test_every_demo_user_can_log_in(demo: dict[str, int], fast_hasher: None) -> None:
    validate_password(PASSWORD)  # the published demo password meets the password policy
    assert demo["users"] == len(USERNAMES) == User.objects.count()
    assert {g.organization.name for g in RoleGrant.objects.filter(user__username="multi_staff")} == {"荷塘镇", "五洞村"}
    for username in USERNAMES:
        client = Client()
        response = client.post("/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/", username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
    assert Client().post("/login/", {"username": "qu_admin", "password": "wrong"}).status_code == 200


def test_it_refuses_to_load_when_a_demo_username_is_taken(db: None) -> None:
    User.objects.create_user(username="auditor", password=None)
    with pytest.raises(CommandError, match="auditor"):
        call_command("load_demo", stdout=io.StringIO())
    assert not Organization.objects.exists() and not Event.objects.exists()
