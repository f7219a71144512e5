"""Fixtures of the needs-loop tests (imported by test_needs*.py and the browser test).

On top of jiceng/conftest.py's tree and personas: a grid in 甲村, two party members of 甲村's branch
with accounts linked to them (MemberAccount), a district organ paired with 甲村 and its liaison, a
grid worker, and helpers that file a need the way a resident does (code read from the console
gateway's outbox).
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from jiceng.accounts.models import Role, User
from jiceng.conftest import Personas, Tree, make_user
from jiceng.grid.models import Grid
from jiceng.lib import fieldcrypto
from jiceng.needs import otp, services
from jiceng.needs.models import MemberAccount, Need, NeedCategory, NeedKind
from jiceng.orgs.models import Member, Organization, OrgKind, Pairing, Person, Stage

RESIDENT_PHONE = "13912345678"


@dataclass
class World:
    tree: Tree
    p: Personas
    grid: Grid
    member1: User
    member2: User
    m1: Member
    m2: Member
    unit: Organization
    liaison: User
    grid_worker: User
    staff_c: User  # village staff of 丙社区 (another town)


def _member(tree: Tree, name: str, user: User) -> Member:
    person = Person.objects.create(organization=tree.village_a, name=name, gender="M")
    member = Member.objects.create(person=person, branch=tree.branch_a, stage=Stage.FULL)
    MemberAccount.objects.create(user=user, member=member)
    return member


@pytest.fixture
def world(tree: Tree, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    otp.ConsoleGateway.outbox.clear()
    grid = Grid.objects.create(village=tree.village_a, code="440799100201001", name="甲村第一网格")
    member2 = make_user("member2", Role.PARTY_MEMBER, tree.branch_a)
    unit = Organization.objects.add_child(
        Organization.objects.get(pk=tree.district.pk), create_kwargs={"name": "区直单位", "code": "440799A01", "kind": OrgKind.ORGAN}
    )
    Pairing.objects.create(unit=unit, community=tree.village_a, agreement_date=date(2024, 1, 1))
    return World(
        tree=tree,
        p=personas,
        grid=grid,
        member1=personas.member,
        member2=member2,
        m1=_member(tree, "王一", personas.member),
        m2=_member(tree, "赵二", member2),
        unit=unit,
        liaison=make_user("liaison", Role.UNIT_LIAISON, unit),
        grid_worker=make_user("grid_a", Role.GRID_WORKER, tree.village_a),
        staff_c=make_user("staff_c", Role.VILLAGE_STAFF, tree.community_c),
    )


def need_input(**overrides: Any) -> services.NeedInput:
    fields: dict[str, Any] = {
        "kind": NeedKind.SERVICE,
        "category": NeedCategory.ELDER,
        "title": "帮老人修水管",
        "description": "厨房水管漏水，老人独居，需要人帮忙维修。",
        "requester_name": "陈阿婆",
        "phone": RESIDENT_PHONE,
        "consent": True,
        "address": "甲村东华里3号",
    }
    fields.update(overrides)
    return services.NeedInput(**fields)


def code_for(phone: str) -> str:
    code = otp.ConsoleGateway.last_code(phone)
    assert code is not None, "no code sent"
    return code


def submit(community: Organization, phone: str = RESIDENT_PHONE, **overrides: Any) -> Need:
    otp.PhoneCode.objects.filter(phone_hash=fieldcrypto.lookup_hash(phone)).update(sent_at=timezone.now() - timedelta(minutes=2))
    services.send_submit_code(community=community, phone=phone)
    return services.need_submit(community=community, data=need_input(phone=phone, **overrides), code=code_for(phone))


def listed(w: World, capacity: int = 1, points: int = 5, **overrides: Any) -> Need:
    need = submit(w.tree.village_a, **overrides)
    return services.need_list(
        actor=w.p.secretary_a, need=need, capacity=capacity, claim_deadline=timezone.localdate() + timedelta(days=7), points=points
    )


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()
