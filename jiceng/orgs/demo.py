"""A deterministic Pengjiang-like demo district for `manage.py load_demo` (PRODUCT.md, quality bars).

Everything comes from one seeded random generator and is saved with bulk inserts in one transaction
that writes a single audit event. Organization paths are built here following treebeard's MP_Node
conventions (steplen 4, alphabet 0-9A-Z, siblings in `node_order_by` order, i.e. by code), which is
what `add_child` would produce, at a fraction of the queries.
"""

import itertools
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple, Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.audit import services as audit
from jiceng.lib.validators import id_check_digit
from jiceng.orgs.models import (
    PARTY_ORG_KINDS,
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    Education,
    Formation,
    Gender,
    GrandCommitteeUnit,
    Member,
    Organization,
    OrgKind,
    Pairing,
    Person,
    Post,
    PostRole,
    ReserveCadre,
    Stage,
)
from jiceng.orgs.rules import COMMITTEE_MIN_FULL, GENERAL_BRANCH_OVER, PARTY_COMMITTEE_FROM
from jiceng.orgs.services import _secret_fields, name_initials

K = OrgKind
R = PostRole
SEED = 440703
TODAY = date(2026, 11, 1)
DISTRICT_CODE = "440703"
PASSWORD = "Jiceng@2026"  # published demo password; meets the policy (≥ 8 characters, 3 of 4 classes)


class TownSpec(NamedTuple):
    name: str
    kind: str
    villages: int
    communities: int
    named: tuple[str, ...]
    enterprises: int
    social_orgs: int
    joint: int  # units covered by the town's joint branch; 6 is over the limit of 5, so a warning shows


TOWNS = (
    TownSpec("棠下镇", K.TOWN, 23, 3, ("三堡村", "松岭村", "五洞村", "周郡村"), 8, 2, 6),
    TownSpec("荷塘镇", K.TOWN, 16, 2, (), 5, 2, 4),
    TownSpec("杜阮镇", K.TOWN, 15, 2, ("龙眠村",), 4, 1, 0),
    TownSpec("环市街道", K.SUBDISTRICT, 4, 20, ("雅怡社区", "石冲社区"), 3, 2, 0),
    TownSpec("潮连街道", K.SUBDISTRICT, 6, 14, ("兴盛社区",), 2, 1, 0),
    TownSpec("白沙街道", K.SUBDISTRICT, 1, 26, ("东风社区",), 3, 2, 4),
)
ORGANS = (
    *("区委组织部", "区委宣传部", "区教育局", "区民政局"),
    *("区卫生健康局", "区住房和城乡建设局", "区农业农村局", "区人力资源和社会保障局"),
)
# Place names: one character from the first string, one from the second (良溪村, 大亨村, 华盛社区).
VILLAGE_STEMS = (
    "良大新富永仁东西南北上下桐井石龙凤泰莲沙江禄联和安合金清竹桂梅芦源长高白黄罗朗湖",
    "溪亨岗坑洲田湾围冲边塘洞岭头美乐山埠涌坪岸陂桥塱滘",
)
COMMUNITY_STEMS = ("华丰富金嘉锦福康永新荣泰隆宏安和顺怡明瑞祥德", "盛泽苑园华景湾庭城康丽馨兴乐港源")
# fmt: off
BRANDS = [
    "锦华", "鸿达", "盈科", "华睿", "金桥", "恒信", "利达", "荣兴", "宏图", "新力", "顺通", "富源", "科盛",
    "嘉联", "粤兴", "骏威", "联盛", "德昌", "永盛", "华丰", "百川", "宝达", "美达", "万顺", "天禄", "凯源",
]
TRADES = [
    "五金制品", "电子科技", "纺织", "食品", "物流", "机电", "塑料制品",
    "摩托车配件", "不锈钢制品", "照明电器", "家具", "包装材料", "生物科技", "建材",
]
SOCIAL_ORGS = [
    "社会工作服务中心", "志愿者协会", "慈善会", "老年人协会", "商会",
    "青年创业协会", "文化艺术团", "家庭综合服务中心", "义工联合会", "体育协会",
]
# fmt: on
SURNAMES = "陈陈陈陈李李李黄黄黄梁梁梁张张吴吴林林何何周谭谭冯罗邓叶赵钟余甄伍关容莫郑卢吕"
MALE_CHARS = "伟强志明国华建军文杰浩俊家豪锦荣永健德胜炳坤振辉耀祖庆海兴超达成民忠"
FEMALE_CHARS = "丽敏美玲秀英慧娟燕芳霞婷雪莹嘉欣淑贞翠萍彩凤桂宝珍洁琪颖"
MINORITIES = ("壮族", "瑶族", "满族", "回族", "苗族", "土家族")
LANES = ("东华里", "西安里", "新村", "大巷", "南便街", "北约", "上围", "下围", "中和坊")
ROADS = ("建设路", "胜利路", "发展大道", "华园东路", "港口路", "白沙大道", "迎宾大道", "丰乐路")
PHONE_PREFIXES = ("133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "186", "187", "188")
RESERVE_NOTES = ("返乡大学生", "退役军人", "致富能手", "专职网格员", "村（居）委干部", "外出务工返乡青年")
NUMERALS = "一二三四五"
STAGE_MIX: dict[str, int] = {Stage.FULL: 86, Stage.PROBATIONARY: 4, Stage.CANDIDATE: 3, Stage.ACTIVIST: 4, Stage.APPLICANT: 3}
# The youngest age per stage keeps every application at 18 or older (domain.md §3.4).
MIN_AGE: dict[str, int] = {Stage.APPLICANT: 20, Stage.ACTIVIST: 21, Stage.CANDIDATE: 23, Stage.PROBATIONARY: 23, Stage.FULL: 25}
# Days from the previous step: activist ≥ 1 year before candidate, probation 1 year (domain.md §3.4).
# fmt: off
STEP_GAP: dict[str, tuple[int, int]] = {
    Stage.ACTIVIST: (30, 300), Stage.CANDIDATE: (366, 500), Stage.PROBATIONARY: (60, 200), Stage.FULL: (366, 400),
}
# fmt: on
YIJIANTIAO_SHARE = 0.85

# username, display name ("" = the person holding the post in the registry), grants (role, organization name)
USERS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("qu_admin", "梁志坚", ((Role.DISTRICT_ADMIN, "蓬江区"),)),
    ("tangxia_staff", "黄嘉敏", ((Role.TOWN_STAFF, "棠下镇"),)),
    ("sanbao_sec", "", ((Role.VILLAGE_STAFF, "三堡村"),)),
    ("songling_sec", "", ((Role.VILLAGE_STAFF, "松岭村"),)),
    ("yayi_sec", "", ((Role.VILLAGE_STAFF, "雅怡社区"),)),
    ("sanbao_jiandu", "", ((Role.SUPERVISION, "三堡村"),)),
    ("sanbao_grid", "", ((Role.GRID_WORKER, "三堡村"),)),
    ("sanbao_member", "", ((Role.PARTY_MEMBER, "三堡村党支部"),)),
    ("unit_liaison", "", ((Role.UNIT_LIAISON, "区委组织部"),)),
    ("sysadmin", "吴建华", ((Role.SYSTEM_ADMIN, "蓬江区"),)),
    ("secadmin", "林晓峰", ((Role.SECURITY_ADMIN, "蓬江区"),)),
    ("auditor", "何淑贞", ((Role.AUDITOR, "蓬江区"),)),
    ("multi_staff", "周文杰", ((Role.TOWN_STAFF, "荷塘镇"), (Role.VILLAGE_STAFF, "五洞村"))),
)
USERNAMES = [username for username, _, _ in USERS]


class Output(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass
class Host:
    """An organization whose people are generated together: a village, a community or a unit."""

    org: Organization  # where the people are registered
    town: Organization | None
    size: int
    min_full: int = 0  # the first people are full members, so posts and branches have enough
    young: int = 0  # the first people are 25-34, candidates for the reserve
    working_age: bool = False
    party: Organization | None = None  # its own party organization
    branches: list[Organization] = field(default_factory=list)  # where its members are attached
    work_unit: Organization | None = None
    homes: list["Host"] = field(default_factory=list)  # communities its in-service members report to
    members: list[Member] = field(default_factory=list)


class Tree:
    """Organizations collected under an existing root and saved with bulk inserts."""

    def __init__(self, root: Organization) -> None:
        self.root = root
        self.nodes: list[Organization] = []
        self.children: dict[str, list[Organization]] = defaultdict(list)

    def add(self, parent: Organization, name: str, code: str, kind: str, **fields: object) -> Organization:
        org = Organization(name=name, code=code, kind=kind, **fields)
        self.nodes.append(org)
        self.children[parent.code].append(org)
        return org

    def _place(self, parent: Organization) -> None:
        for step, org in enumerate(sorted(self.children[parent.code], key=lambda o: o.code), start=1):
            org.depth = parent.depth + 1
            org.path = Organization._get_path(parent.path, org.depth, step)
            org.numchild = len(self.children[org.code])
            self._place(org)

    def save(self) -> None:
        self._place(self.root)
        # A unit's joint branch must have its primary key before the unit can point to it.
        Organization.objects.bulk_create([o for o in self.nodes if o.joint_party_org is None], batch_size=500)
        Organization.objects.bulk_create([o for o in self.nodes if o.joint_party_org is not None])
        Organization.objects.filter(pk=self.root.pk).update(numchild=len(self.children[self.root.code]))


# ---- organizations -------------------------------------------------------------------------


def _towns(tree: Tree) -> list[Organization]:
    return [
        tree.add(tree.root, spec.name, f"{DISTRICT_CODE}{100 + i}", spec.kind, address=f"广东省江门市蓬江区{spec.name}")
        for i, spec in enumerate(TOWNS)
    ]


def _stems(rng: random.Random, stems: tuple[str, str], used: set[str], n: int) -> list[str]:
    found: list[str] = []
    while len(found) < n:
        stem = rng.choice(stems[0]) + rng.choice(stems[1])
        if stem[0] != stem[1] and stem not in used:
            used.add(stem)
            found.append(stem)
    return found


def _places(tree: Tree, rng: random.Random, towns: list[Organization]) -> list[Host]:
    used = {name.removesuffix("社区").removesuffix("村") for spec in TOWNS for name in spec.named}
    places: list[Host] = []
    for town, spec in zip(towns, TOWNS, strict=True):
        named_villages = [n for n in spec.named if n.endswith("村")]
        named_communities = [n for n in spec.named if n.endswith("社区")]
        villages = named_villages + [s + "村" for s in _stems(rng, VILLAGE_STEMS, used, spec.villages - len(named_villages))]
        # Towns have a few communities around the town centre; their names read like villages'.
        community_stems = COMMUNITY_STEMS if spec.kind == K.SUBDISTRICT else VILLAGE_STEMS
        more = spec.communities - len(named_communities)
        communities = named_communities + [s + "社区" for s in _stems(rng, community_stems, used, more)]
        # Statistical codes: residents' committees 001-199, villagers' committees 201-399.
        for kind, names, first in ((K.COMMUNITY, communities, 1), (K.VILLAGE, villages, 201)):
            for i, name in enumerate(names):
                org = tree.add(town, name, f"{town.code}{first + i:03d}", kind, address=f"广东省江门市蓬江区{town.name}{name}")
                places.append(Host(org, town, size=round(rng.triangular(15, 36, 17)), min_full=12, young=3))
    named = {name for spec in TOWNS for name in spec.named}
    big = rng.sample([h for h in places if h.org.name not in named], 12)
    for host in big[:2]:
        host.size = rng.randint(PARTY_COMMITTEE_FROM, PARTY_COMMITTEE_FROM + 10)
    for host in big[2:]:
        host.size = rng.randint(GENERAL_BRANCH_OVER + 1, GENERAL_BRANCH_OVER + 12)
    return places


def _party_orgs(tree: Tree, rng: random.Random, places: list[Host]) -> None:
    """党委 from 100 members, 党总支 above 50, else one 党支部 (《农村基层组织工作条例》第五条)."""
    for host in places:
        if host.size >= PARTY_COMMITTEE_FROM:
            kind, title, subs = K.PARTY_COMMITTEE, "党委", rng.randint(3, 4)
        elif host.size > GENERAL_BRANCH_OVER:
            kind, title, subs = K.GENERAL_BRANCH, "党总支", rng.randint(2, 3)
        else:
            kind, title, subs = K.BRANCH, "党支部", 0
        top = tree.add(host.org, f"{host.org.name}{title}", f"{host.org.code}D1", kind)
        host.party = top
        host.branches = [tree.add(top, f"{top.name}第{NUMERALS[i]}党支部", f"{top.code}B{i + 1}", K.BRANCH) for i in range(subs)] or [top]
        if kind == K.BRANCH and host.size >= 30:
            for i in range(rng.randint(2, 3)):
                tree.add(top, f"{top.name}第{NUMERALS[i]}党小组", f"{top.code}G{i + 1}", K.PARTY_GROUP)


def _communities(places: list[Host], town: Organization | None = None) -> list[Host]:
    return [h for h in places if h.org.kind == K.COMMUNITY and (town is None or h.town == town)]


def _organs(tree: Tree, rng: random.Random, places: list[Host]) -> list[Host]:
    organs = []
    for i, name in enumerate(ORGANS, start=1):
        organ = tree.add(tree.root, name, f"{DISTRICT_CODE}J{i:02d}", K.ORGAN, address="广东省江门市蓬江区")
        branch = tree.add(organ, f"{name}机关党支部", f"{organ.code}D1", K.BRANCH)
        host = Host(organ, None, rng.randint(10, 22), min_full=10, working_age=True, party=branch, branches=[branch], work_unit=organ)
        host.homes = _communities(places)
        organs.append(host)
    return organs


def _unit_names(rng: random.Random, town: Organization, spec: TownSpec, brands: list[str]) -> list[tuple[str, str, str]]:
    """(kind, name, code) of a town's two-new organizations, in random order."""
    enterprises = [f"江门市{brands.pop()}{rng.choice(TRADES)}有限公司" for _ in range(spec.enterprises)]
    socials = [f"{town.name}{name}" for name in rng.sample(SOCIAL_ORGS, spec.social_orgs)]
    units: list[tuple[str, str, str]] = [(K.ENTERPRISE, name, f"{town.code}Q{i:02d}") for i, name in enumerate(enterprises, start=1)]
    units += [(K.SOCIAL_ORG, name, f"{town.code}S{i:02d}") for i, name in enumerate(socials, start=1)]
    rng.shuffle(units)
    return units


def _unit_staff(tree: Tree, rng: random.Random, unit: Organization, town: Organization, places: list[Host]) -> Host:
    """The party members working in a two-new organization, attached where its formation puts them."""
    homes = _communities(places, town) or _communities(places)
    if unit.formation == Formation.JOINT:
        size = rng.randint(1, 2)
        return Host(unit, town, size, min_full=size, working_age=True, branches=[unit.joint_party_org], work_unit=unit, homes=homes)
    if unit.formation == Formation.SINGLE:
        branch = tree.add(unit, f"{unit.name}党支部", f"{unit.code}D1", K.BRANCH)
        size = rng.randint(4, 12)
        return Host(unit, town, size, min_full=3, working_age=True, party=branch, branches=[branch], work_unit=unit, homes=homes)
    # Staff of an unorganized unit keep their party relation in the village or community they live in.
    home = rng.choice([h for h in places if h.town == town])
    size = rng.randint(0, 2)
    return Host(home.org, town, size, min_full=size, working_age=True, branches=home.branches[:1], work_unit=unit)


def _two_new(tree: Tree, rng: random.Random, towns: list[Organization], places: list[Host]) -> list[Host]:
    """Enterprises and social organizations: own branch, covered by the town's joint branch, or none."""
    staff: list[Host] = []
    brands = rng.sample(BRANDS, len(BRANDS))
    for town, spec in zip(towns, TOWNS, strict=True):
        joint = tree.add(town, f"{town.name}两新组织联合党支部", f"{town.code}LH1", K.JOINT_BRANCH) if spec.joint else None
        for i, (kind, name, code) in enumerate(_unit_names(rng, town, spec, brands), start=1):
            if joint is not None and i <= spec.joint:
                formation = Formation.JOINT
            else:
                formation = Formation.SINGLE if rng.random() < 0.6 else Formation.NONE
            address = f"广东省江门市蓬江区{town.name}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
            covered_by = joint if formation == Formation.JOINT else None
            unit = tree.add(town, name, code, kind, address=address, formation=formation, joint_party_org=covered_by)
            staff.append(_unit_staff(tree, rng, unit, town, places))
    # One unorganized unit has three full members, so the "should form its own branch" warning shows.
    unorganized = next(host for host in staff if host.org != host.work_unit)
    unorganized.size = unorganized.min_full = 3
    return staff


# ---- people and members --------------------------------------------------------------------


def _stage_dates(rng: random.Random, stage: str, last: date) -> dict[str, date]:
    """Dates of every step reached, walking back from the current one."""
    dates: dict[str, date] = {}
    day = last
    for step in reversed(STAGE_ORDER[: STAGE_ORDER.index(Stage(stage)) + 1]):
        dates[STAGE_DATE_FIELD[step]] = day
        if step != Stage.APPLICANT:
            day -= timedelta(days=rng.randint(*STEP_GAP[step]))
    return dates


class Registry:
    """Generates people with valid, unique ID numbers and phones, encrypted like person_create does."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()
        self.people: list[Person] = []

    def _id_number(self, birth: date, gender: str) -> str:
        while True:
            order = self.rng.randint(0, 99) * 10 + self.rng.randrange(1 if gender == Gender.MALE else 0, 10, 2)
            first17 = f"{DISTRICT_CODE}{birth:%Y%m%d}{order:03d}"
            if first17 not in self.id_numbers:
                self.id_numbers.add(first17)
                return first17 + id_check_digit(first17)

    def _phone(self) -> str:
        while True:
            phone = f"{self.rng.choice(PHONE_PREFIXES)}{self.rng.randint(0, 99_999_999):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _name(self, gender: str) -> str:
        chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(chars, self.rng.choice((1, 2, 2, 2))))

    def _education(self, age: int) -> str:
        E = Education
        if age >= 60:
            choices, weights = (E.PRIMARY, E.JUNIOR, E.SENIOR, E.COLLEGE), (35, 40, 20, 5)
        elif age >= 40:
            choices, weights = (E.JUNIOR, E.SENIOR, E.COLLEGE, E.BACHELOR), (30, 35, 20, 15)
        else:
            choices, weights = (E.SENIOR, E.COLLEGE, E.BACHELOR, E.POSTGRADUATE), (15, 30, 45, 10)
        return self.rng.choices(choices, weights)[0]

    def _address(self, home: Host) -> str:
        town = home.town.name if home.town else ""
        if home.org.kind == K.VILLAGE:
            return f"江门市蓬江区{town}{home.org.name}{self.rng.choice(LANES)}{self.rng.randint(1, 80)}号"
        room = f"{self.rng.randint(1, 12)}座{self.rng.randint(1, 30)}0{self.rng.randint(1, 4)}"
        return f"江门市蓬江区{town}{self.rng.choice(ROADS)}{self.rng.randint(1, 300)}号{room}"

    def person(self, org: Organization, home: Host, age: int, gender: str) -> Person:
        birth = TODAY - timedelta(days=int(age * 365.25) + self.rng.randint(1, 360))
        name = self._name(gender)
        ethnicity = "汉族" if self.rng.random() < 0.97 else self.rng.choice(MINORITIES)
        person = Person(
            organization=org,
            name=name,
            name_initials=name_initials(name),
            gender=gender,
            birth_date=birth,
            ethnicity=ethnicity,
            education=self._education(age),
            address=self._address(home),
            **_secret_fields(self._id_number(birth, gender), self._phone()),
        )
        self.people.append(person)
        return person

    def _age(self, host: Host, stage: str, young: bool) -> int:
        if young:
            return self.rng.randint(MIN_AGE[stage], 34)
        if host.working_age:
            return self.rng.randint(MIN_AGE[stage], 58)
        if stage != Stage.FULL:
            return self.rng.randint(MIN_AGE[stage], 38)
        return MIN_AGE[stage] + round(60 * self.rng.betavariate(2.0, 1.5))  # 25-85, mostly over 50

    def _last_step(self, stage: str, birth: date, age: int) -> date:
        """The date of the current stage: full members joined in their twenties or thirties."""
        if stage != Stage.FULL:
            return TODAY - timedelta(days=self.rng.randint(20, 300))
        joined = self.rng.randint(23, min(age - 2, 40))
        return min(birth + timedelta(days=int((joined + 1) * 365.25)), TODAY - timedelta(days=self.rng.randint(30, 200)))

    def enrol(self, host: Host) -> None:
        for i in range(host.size):
            stage = Stage.FULL if i < host.min_full else self.rng.choices(list(STAGE_MIX), list(STAGE_MIX.values()))[0]
            age = self._age(host, stage, young=i < host.young)
            gender = Gender.MALE if self.rng.random() < (0.7 if stage == Stage.FULL and age > 45 else 0.5) else Gender.FEMALE
            home = self.rng.choice(host.homes) if host.homes else host
            person = self.person(host.org, home, age, gender)
            assert person.birth_date is not None
            host.members.append(
                Member(
                    person=person,
                    name=person.name,
                    name_initials=person.name_initials,
                    branch=self.rng.choice(host.branches),
                    stage=stage,
                    work_unit=host.work_unit,
                    residence_community=home.org if host.homes else None,
                    **_stage_dates(self.rng, stage, self._last_step(stage, person.birth_date, age)),
                )
            )


# ---- posts, reserves, cooperation ----------------------------------------------------------


def _place_posts(rng: random.Random, host: Host) -> list[Post]:
    """两委 elected in the 2021 换届 (domain.md §10.3); most secretaries also chair (一肩挑, §10.1)."""
    assert host.party is not None
    full = [m.person for m in host.members if m.stage == Stage.FULL]
    rng.shuffle(full)
    pick = itertools.cycle(full)
    party_day = date(2021, 3, 1) + timedelta(days=rng.randint(0, 40))
    vote_day = party_day + timedelta(days=rng.randint(20, 45))
    place, village = host.org, host.org.kind == K.VILLAGE

    def post(person: Person, org: Organization, role: str, start: date, elected: bool = True) -> Post:
        return Post(person=person, organization=org, role=role, start_date=start, elected=elected)

    secretary = next(pick)
    committee = [next(pick) for _ in range(rng.randint(2, 4))]
    posts = [post(secretary, host.party, R.SECRETARY, party_day)]
    deputy = rng.random() < 0.4
    posts += [
        post(p, host.party, R.DEPUTY_SECRETARY if deputy and i == 0 else R.COMMITTEE_MEMBER, party_day) for i, p in enumerate(committee)
    ]
    yijiantiao = rng.random() < YIJIANTIAO_SHARE
    chair = secretary if yijiantiao else next(pick)
    posts.append(post(chair, place, R.CHAIR, vote_day))
    if village:
        coop_head = secretary if yijiantiao else rng.choice([chair, next(pick)])
        posts.append(post(coop_head, place, R.COOP_HEAD, vote_day + timedelta(days=rng.randint(3, 15))))
    posts += [post(p, place, R.COMMITTEE_MEMBER_VC, vote_day) for p in committee[: rng.randint(1, 2)]]  # 交叉任职
    if village or rng.random() < 0.6:
        posts.append(post(next(pick), place, R.SUPERVISION_CHAIR, vote_day))
    grid_days = [date(rng.randint(2021, 2024), rng.randint(1, 12), rng.randint(1, 28)) for _ in range(rng.randint(2, 4))]
    posts += [post(next(pick), place, R.GRID_CHIEF, day, elected=False) for day in grid_days]
    return posts


def _branch_posts(rng: random.Random, branch: Organization, full: list[Person]) -> list[Post]:
    """A secretary; with 7 or more full members a committee of three (支部工作条例第十条)."""
    people = rng.sample(full, min(len(full), 3 if len(full) >= COMMITTEE_MIN_FULL else 1))
    # Village branches were elected with their village in 2021; other branches serve 3-year terms.
    start = date(2021, 3, 20) if branch.depth > 4 else date(2023, rng.randint(1, 12), rng.randint(1, 28))
    roles = (R.SECRETARY, R.COMMITTEE_MEMBER, R.COMMITTEE_MEMBER)
    return [Post(person=p, organization=branch, role=role, start_date=start) for p, role in zip(people, roles, strict=False)]


def _posts(rng: random.Random, places: list[Host], members: list[Member]) -> list[Post]:
    posts = [post for host in places for post in _place_posts(rng, host)]
    led_with_place = {host.party for host in places}
    full: dict[Organization, list[Person]] = defaultdict(list)
    for member in members:
        if member.stage == Stage.FULL:
            full[member.branch].append(member.person)
    for branch, people in full.items():
        if branch not in led_with_place:
            posts += _branch_posts(rng, branch, people)
    return posts


def _reserves(rng: random.Random, places: list[Host]) -> list[ReserveCadre]:
    """Two or three reserve cadres aged 35 or under per place (domain.md §10.2)."""
    reserves = []
    for host in places:
        young = [m.person for m in host.members if (m.person.age_on(TODAY) or 99) <= 35]
        for person in rng.sample(young, min(len(young), rng.randint(2, 3))):
            since = date(rng.randint(2021, 2025), rng.randint(1, 12), 1)
            reserves.append(ReserveCadre(organization=host.org, person=person, since=since, note=rng.choice(RESERVE_NOTES)))
    return reserves


def _agreement_day(rng: random.Random) -> date:
    return date(rng.randint(2021, 2025), rng.randint(1, 12), rng.randint(1, 28))


def _grand_committees(rng: random.Random, places: list[Host], organs: list[Host], members: list[Member]) -> list[GrandCommitteeUnit]:
    """Each community's grand party committee: 3-5 organs and enterprises with a part-time member (§7.6)."""
    staff: dict[Organization, list[Person]] = defaultdict(list)
    for member in members:
        if member.work_unit is not None:
            staff[member.work_unit].append(member.person)
    enterprises = [unit for unit in staff if unit.kind == K.ENTERPRISE]
    rows = []
    for host in _communities(places):
        pool = [organ.org for organ in organs] + [unit for unit in enterprises if unit.path.startswith(host.town.path if host.town else "")]
        for unit in rng.sample(pool, rng.randint(3, 5)):
            person = rng.choice(staff[unit])
            rows.append(GrandCommitteeUnit(community=host.org, unit=unit, part_time_member=person, agreement_date=_agreement_day(rng)))
    return rows


def _pairings(rng: random.Random, organs: list[Host], places: list[Host]) -> list[Pairing]:
    return [
        Pairing(unit=organ.org, community=place.org, agreement_date=_agreement_day(rng))
        for organ in organs
        for place in rng.sample(places, rng.randint(2, 4))
    ]


# ---- users ---------------------------------------------------------------------------------


def _holder_name(role: str, org: Organization) -> str:
    """The registry person behind a place-bound demo account, so the login and the registry agree."""
    post_roles: dict[str, str] = {Role.VILLAGE_STAFF: R.SECRETARY, Role.SUPERVISION: R.SUPERVISION_CHAIR, Role.GRID_WORKER: R.GRID_CHIEF}
    post_role = post_roles.get(role)
    if post_role is not None:
        people = Person.objects.filter(
            posts__role=post_role, posts__organization__path__startswith=org.path, posts__organization__depth__lte=org.depth + 1
        )
    elif role == Role.PARTY_MEMBER:
        people = Person.objects.filter(member__branch=org, member__stage=Stage.FULL, posts__isnull=True)
    else:
        people = Person.objects.filter(organization=org)
    return people.order_by("pk").values_list("name", flat=True).first() or "演示用户"


def _users(district: Organization) -> None:
    names = {grant[1] for _, _, grants in USERS for grant in grants}
    orgs = {o.name: o for o in Organization.objects.filter(path__startswith=district.path, name__in=names)}
    password = make_password(PASSWORD)  # one PBKDF2 run for all: the demo password is public anyway
    users, grants = [], []
    for username, display_name, user_grants in USERS:
        first_role, first_org = user_grants[0]
        user = User(username=username, password=password, display_name=display_name or _holder_name(first_role, orgs[first_org]))
        users.append(user)
        grants += [RoleGrant(user=user, organization=orgs[org_name], role=role) for role, org_name in user_grants]
    User.objects.bulk_create(users)
    RoleGrant.objects.bulk_create(grants)


# ---- loading and reporting -----------------------------------------------------------------


def _build(rng: random.Random) -> Organization:
    fields = {"name": "蓬江区", "code": DISTRICT_CODE, "kind": K.DISTRICT, "address": "广东省江门市蓬江区"}
    district = Organization.objects.add_root(create_kwargs=fields)  # treebeard sorts it among existing roots
    tree = Tree(district)
    towns = _towns(tree)
    places = _places(tree, rng, towns)
    _party_orgs(tree, rng, places)
    organs = _organs(tree, rng, places)
    units = _two_new(tree, rng, towns, places)
    tree.save()
    registry = Registry(rng)
    for host in [*places, *organs, *units]:
        registry.enrol(host)
    Person.objects.bulk_create(registry.people, batch_size=500)
    members = [m for host in [*places, *organs, *units] for m in host.members]
    Member.objects.bulk_create(members, batch_size=500)
    Post.objects.bulk_create(_posts(rng, places, members), batch_size=500)
    ReserveCadre.objects.bulk_create(_reserves(rng, places))
    GrandCommitteeUnit.objects.bulk_create(_grand_committees(rng, places, organs, members))
    Pairing.objects.bulk_create(_pairings(rng, organs, places))
    _users(district)
    return district


def demo_counts(district: Organization) -> dict[str, int]:
    path = district.path
    kinds = dict(Organization.objects.filter(path__startswith=path).values_list("kind").annotate(n=Count("pk")).order_by())
    members = Member.objects.filter(branch__path__startswith=path)
    return {
        "organizations": sum(kinds.values()),
        "towns": kinds.get(K.TOWN, 0) + kinds.get(K.SUBDISTRICT, 0),
        "places": kinds.get(K.VILLAGE, 0) + kinds.get(K.COMMUNITY, 0),
        "party_orgs": sum(kinds.get(kind, 0) for kind in PARTY_ORG_KINDS),
        "organs": kinds.get(K.ORGAN, 0),
        "two_new": kinds.get(K.ENTERPRISE, 0) + kinds.get(K.SOCIAL_ORG, 0),
        "people": Person.objects.filter(organization__path__startswith=path).count(),
        "members": members.count(),
        "full_members": members.filter(stage=Stage.FULL).count(),
        "posts": Post.objects.filter(organization__path__startswith=path).count(),
        "reserve_cadres": ReserveCadre.objects.filter(organization__path__startswith=path).count(),
        "grand_committee_units": GrandCommitteeUnit.objects.filter(community__path__startswith=path).count(),
        "pairings": Pairing.objects.filter(unit__path__startswith=path).count(),
        "users": User.objects.filter(username__in=USERNAMES).count(),
    }


# fmt: off
COUNT_LABELS = {
    "organizations": "组织（全部）", "towns": "镇（街道）", "places": "村（社区）", "party_orgs": "党组织",
    "organs": "区直机关单位", "two_new": "两新组织", "people": "人员", "members": "党员及发展对象",
    "full_members": "其中正式党员", "posts": "职务", "reserve_cadres": "后备干部",
    "grand_committee_units": "大党委成员单位", "pairings": "结对共建", "users": "演示账号",
}
# fmt: on


def _cell(text: str, width: int) -> str:
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - shown, 0)


def _report(out: Output, counts: dict[str, int], created: bool) -> None:
    out.write("已载入演示数据：蓬江区（440703）\n" if created else "演示数据已存在：蓬江区（440703），未重复载入。\n")
    for key, label in COUNT_LABELS.items():
        out.write(f"  {_cell(label, 16)}{counts[key]:>6,}\n")
    grants = RoleGrant.objects.filter(user__username__in=USERNAMES).select_related("user", "organization").order_by("pk")
    out.write(f"\n演示账号（密码均为 {PASSWORD}）：\n")
    out.write(f"  {_cell('用户名', 16)}{_cell('姓名', 10)}{_cell('角色', 22)}{_cell('组织', 16)}密码\n")
    for grant in grants:
        user = grant.user
        out.write(
            f"  {_cell(user.username, 16)}{_cell(user.display_name, 10)}{_cell(grant.get_role_display(), 22)}"
            f"{_cell(grant.organization.name, 16)}{PASSWORD}\n"
        )


def load_demo(stdout: Output | None = None) -> dict[str, int]:
    """Load the demo district once; later runs load nothing and only report it. Returns the counts."""
    district = Organization.objects.filter(code=DISTRICT_CODE).first()
    created = district is None
    if district is None:
        taken = list(User.objects.filter(username__in=USERNAMES).values_list("username", flat=True))
        if taken:
            raise ValueError(f"演示账号用户名已被占用：{'、'.join(taken)}。请在空数据库中载入演示数据。")
        with transaction.atomic():
            district = _build(random.Random(SEED))
            counts = demo_counts(district)
            audit.record(actor=None, action="demo.load", org=district, changes=counts)
    else:
        counts = demo_counts(district)
    if stdout is not None:
        _report(stdout, counts, created)
    return counts
