"""A deterministic synthetic dataset at district, city or province scale (issue 7).

Rows are built as plain tuples and written with COPY on PostgreSQL (bulk_create elsewhere), so the
ORM's per-object cost stays out of the way. Organization paths are treebeard materialized paths built
by hand (steplen 4, alphabet 0-9A-Z), audit events carry a hash chain computed here in the canonical
form of jiceng/audit/chain.py, so `audit.services.verify()` passes on the result.

Each table is committed on its own, so a province run does not hold tens of millions of rows (and
their WAL) in one transaction. A run that fails half-way leaves the tables written so far: drop and
recreate the database before the next run (generate refuses a non-empty registry).
"""

import random
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.audit.chain import GENESIS, canonical, digest_function
from jiceng.audit.models import Event, LedgerHead
from jiceng.decisions.models import Classification, Decision
from jiceng.decisions.models import Status as DecisionStatus
from jiceng.grid.models import Case, CaseCategory, CaseSource, CaseStatus, Grid
from jiceng.lib import fieldcrypto
from jiceng.needs.models import Need, NeedCategory, NeedStatus
from jiceng.orgs.models import Education, Gender, Member, Organization, OrgKind, Person, Stage
from jiceng.orgs.services import name_initials

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
BENCH_USERNAME = "bench"
# A district's own admin (one grant on the first district): the ordinary user of a province-sized database.
BENCH_DISTRICT_USERNAME = "bench_district"
# An audit administrator on the top node: the ledger page's user (see _auditor).
BENCH_AUDITOR_USERNAME = "bench_auditor"
BENCH_PASSWORD = "Bench-2026-scale"  # a synthetic account on a throw-away benchmark database


@dataclass(frozen=True)
class Scale:
    districts: int
    towns: int  # per district
    villages: int  # per town
    grids: int
    members: int
    cases: int
    needs: int
    decisions: int
    events: int
    cities: int = 0  # city (市) nodes above the districts; 0 = the districts are the roots
    province: bool = False  # one province (省) node above the cities


# District/city/province sizes from issue 7; cases, needs, decisions and events keep the province's
# ratios to members (2.5 : 0.25 : 0.05 : 2.5), which the issue states only for the province.
# A city's districts hang under one city node, a province's under 21 cities under one province node
# (Guangdong: 21 prefecture-level cities, 122 county-level divisions), so the bench user holds one grant.
SCALES = {
    "tiny": Scale(1, 2, 3, 10, 60, 40, 12, 6, 50),
    "district": Scale(1, 11, 12, 410, 20_000, 50_000, 5_000, 1_000, 50_000),
    "city": Scale(10, 10, 13, 3_000, 200_000, 500_000, 50_000, 10_000, 500_000, cities=1),
    "province": Scale(122, 13, 16, 150_000, 4_000_000, 10_000_000, 1_000_000, 200_000, 10_000_000, cities=21, province=True),
}

SURNAMES = "陈李黄张梁林刘吴罗何郑谢冯区关麦叶邓苏谭潘钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国海燕"
# Each name character's pinyin initial, asked of pypinyin once here rather than for each of a province's
# 4 million names. No two of these characters form a phrase that changes a reading, so a name's initials
# are its characters' (test_generate checks the generated names against services.name_initials).
_INITIAL = {char: name_initials(char) for char in SURNAMES + GIVEN}
# The 18 weights and check characters of GB 11643-1999.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def path_step(n: int) -> str:
    """The n-th sibling's 4-character key, as treebeard's MP_Node writes it (1 → '0001')."""
    out = ""
    while n:
        n, r = divmod(n, len(ALPHABET))
        out = ALPHABET[r] + out
    return out.rjust(STEPLEN, "0")


def id_number(i: int) -> str:
    region = 440703 + (i // 3_650_000) * 10
    born = date(1950, 1, 1) + timedelta(days=(i // 1000) % 3650 * 5)
    body = f"{region}{born:%Y%m%d}{i % 1000:03d}"
    return body + _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def phone(i: int) -> str:
    return f"13{i:09d}"


@dataclass
class Report:
    """Rows written and seconds spent per table."""

    tables: list[tuple[str, int, float]] = field(default_factory=list)
    extra: dict[str, float] = field(default_factory=dict)

    def add(self, table: str, rows: int, seconds: float) -> None:
        self.tables.append((table, rows, seconds))

    @property
    def total_rows(self) -> int:
        return sum(n for _, n, _ in self.tables)

    @property
    def total_seconds(self) -> float:
        return sum(s for _, _, s in self.tables)


def _defaults(model: type[models.Model], given: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """Columns the caller did not give, with the value the ORM would have put there."""
    now = timezone.now()
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in given:
            continue
        # The declared default, None for nullable fields, "" for blank text; now for auto_now(_add).
        auto = getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
        names.append(f.attname)
        values.append(now if auto else f.get_default())
    return names, tuple(values)


def write(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]], report: Report) -> int:
    """Write rows (tuples in `fields` order, by attname) with COPY, or bulk_create off PostgreSQL."""
    started = time.perf_counter()
    extra_names, extra_values = _defaults(model, fields)
    names = [*fields, *extra_names]
    count = 0
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        json_at = {i for i, n in enumerate(names) if isinstance(by_attname[n], models.JSONField)}
        columns = ", ".join(connection.ops.quote_name(by_attname[n].column) for n in names)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                full = row + extra_values
                if json_at:
                    full = tuple(Jsonb(v) if i in json_at and v is not None else v for i, v in enumerate(full))
                copy.write_row(full)
                count += 1
    else:
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**dict(zip(names, row + extra_values, strict=True))))
            count += 1
            if len(batch) >= 2000:
                model._default_manager.bulk_create(batch)
                batch = []
        model._default_manager.bulk_create(batch)
    report.add(model._meta.db_table, count, time.perf_counter() - started)
    return count


def _reset_sequences(*model_list: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(sql)


@dataclass
class Tree:
    villages: list[tuple[int, str, str]]  # (id, path, code)
    branches: list[int]
    roots: list[int]  # the root nodes: the province, the city, or the districts; the bench user's grants
    count: int
    first_district: int


def district_groups(scale: Scale) -> list[list[int]]:
    """The district numbers (1-based, in order) under each city; one group of all when there are no cities.
    The first districts % cities cities take one district more (122 over 21: 17 × 6 + 4 × 5)."""
    if not scale.cities:
        return [list(range(1, scale.districts + 1))]
    each, extra = divmod(scale.districts, scale.cities)
    groups, first = [], 1
    for c in range(scale.cities):
        size = each + (1 if c < extra else 0)
        groups.append(list(range(first, first + size)))
        first += size
    return groups


def _organizations(scale: Scale, report: Report) -> Tree:
    rows: list[tuple[Any, ...]] = []
    villages: list[tuple[int, str, str]] = []
    branches: list[int] = []
    roots: list[int] = []
    next_id = 1

    def add(path: str, depth: int, numchild: int, name: str, code: str, kind: str) -> int:
        nonlocal next_id
        rows.append((next_id, path, depth, numchild, name, code, kind))
        next_id += 1
        return next_id - 1

    def district(d: int, d_path: str, depth: int) -> int:
        d_code = f"D{d:04d}"
        pk = add(d_path, depth, scale.towns, f"第{d}区", d_code, OrgKind.DISTRICT)
        for t in range(1, scale.towns + 1):
            t_path, t_code = d_path + path_step(t), f"{d_code}T{t:03d}"
            add(t_path, depth + 1, scale.villages, f"第{d}区第{t}镇", t_code, OrgKind.TOWN)
            for v in range(1, scale.villages + 1):
                v_path, v_code = t_path + path_step(v), f"{t_code}V{v:03d}"
                vid = add(v_path, depth + 2, 1, f"第{d}区第{t}镇第{v}村", v_code, OrgKind.VILLAGE)
                villages.append((vid, v_path, v_code))
                branch = add(v_path + path_step(1), depth + 3, 0, f"第{d}区第{t}镇第{v}村党支部", f"{v_code}B", OrgKind.BRANCH)
                branches.append(branch)
        return pk

    groups = district_groups(scale)
    if not scale.cities:
        roots.extend(district(d, path_step(d), 1) for d in groups[0])
    else:
        top = ""
        if scale.province:
            top = path_step(1)
            roots.append(add(top, 1, scale.cities, "合成省", "P01", OrgKind.PROVINCE))
        city_depth = len(top) // STEPLEN + 1
        for c, numbers in enumerate(groups, start=1):
            c_path = top + path_step(c)
            city = add(c_path, city_depth, len(numbers), f"第{c}市", f"C{c:03d}", OrgKind.CITY)
            if not scale.province:
                roots.append(city)
            for i, d in enumerate(numbers, start=1):
                district(d, c_path + path_step(i), city_depth + 1)
    write(Organization, ["id", "path", "depth", "numchild", "name", "code", "kind"], rows, report)
    first_district = next(r[0] for r in rows if r[6] == OrgKind.DISTRICT)
    return Tree(villages, branches, roots, len(rows), first_district)


def _district_admin(tree: Tree) -> None:
    user = User.objects.create(username=BENCH_DISTRICT_USERNAME, display_name="基准测试（区）", password=make_password(BENCH_PASSWORD))
    RoleGrant.objects.create(user=user, organization_id=tree.first_district, role=Role.DISTRICT_ADMIN)


def _auditor(tree: Tree) -> None:
    """Only an auditor reads the ledger (audit.access). A user of its own rather than a second grant for
    `bench`, which would change what every other page shows it (the grant switcher, the navigation);
    on the top node as `bench`, so the page reads the whole ledger, as the root auditor's does."""
    user = User.objects.create(username=BENCH_AUDITOR_USERNAME, display_name="基准测试（审计）", password=make_password(BENCH_PASSWORD))
    RoleGrant.objects.bulk_create(RoleGrant(user=user, organization_id=pk, role=Role.AUDITOR) for pk in tree.roots)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")


def pinyin_initials(name: str) -> str:
    return "".join(_INITIAL[char] for char in name)


def _people_and_members(scale: Scale, tree: Tree, rng: random.Random, report: Report) -> None:
    started = time.perf_counter()
    people: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    stages = [Stage.FULL] * 8 + [Stage.PROBATIONARY, Stage.ACTIVIST]
    educations = list(Education.values)
    n_villages = len(tree.villages)
    for i in range(1, scale.members + 1):
        village = (i - 1) % n_villages
        id_no, tel, name = id_number(i), phone(i), _name(rng)
        initials = pinyin_initials(name)
        people.append(
            (
                i,
                tree.villages[village][0],
                name,
                initials,
                Gender.MALE if rng.random() < 0.6 else Gender.FEMALE,
                date(1950 + rng.randrange(50), rng.randint(1, 12), rng.randint(1, 28)),
                rng.choice(educations),
                fieldcrypto.encrypt(id_no),
                fieldcrypto.lookup_hash(id_no),
                fieldcrypto.mask_id_number(id_no),
                fieldcrypto.encrypt(tel),
                fieldcrypto.lookup_hash(tel),
                fieldcrypto.mask_phone(tel),
            )
        )
        stage = stages[i % len(stages)]
        joined = date(1980 + rng.randrange(44), rng.randint(1, 12), rng.randint(1, 28))
        # The member row carries the person's name and initials for the member search (Member.name, Member.name_initials).
        members.append((i, i, tree.branches[village], stage, joined, joined if stage == Stage.FULL else None, name, initials))
    report.extra["people: build and encrypt (s)"] = time.perf_counter() - started
    person_fields = [
        "id",
        "organization_id",
        "name",
        "name_initials",
        "gender",
        "birth_date",
        "education",
        "id_number_encrypted",
        "id_number_hash",
        "id_number_masked",
        "phone_encrypted",
        "phone_hash",
        "phone_masked",
    ]
    write(Person, person_fields, people, report)
    write(Member, ["id", "person_id", "branch_id", "stage", "applied_on", "full_on", "name", "name_initials"], members, report)


def _grids(scale: Scale, tree: Tree, report: Report) -> list[tuple[int, int]]:
    grids: list[tuple[int, int]] = []  # (grid id, village id)
    rows = []
    n_villages = len(tree.villages)
    for i in range(1, scale.grids + 1):
        vid = tree.villages[(i - 1) % n_villages][0]
        lng, lat = 113.0 + (i % 500) * 0.002, 22.5 + (i // 500) * 0.002
        box = [[lng, lat], [lng + 0.002, lat], [lng + 0.002, lat + 0.002], [lng, lat + 0.002], [lng, lat]]
        boundary = {"type": "Polygon", "coordinates": [box]}
        rows.append((i, vid, f"G{i:08d}", f"第{i}网格", boundary, lng, lat, lng + 0.002, lat + 0.002, 300, 900))
        grids.append((i, vid))
    fields = ["id", "village_id", "code", "name", "boundary", "min_lng", "min_lat", "max_lng", "max_lat", "households", "population"]
    write(Grid, fields, rows, report)
    return grids


def _in_order(i: int, count: int, span: int, rng: random.Random) -> int:
    """The i-th of count moments spread over span, in order: a live system writes cases and needs
    as they come, so their ids and their place in the table follow time. Random moments (as before
    the eighth session) scattered one district's newest cases over the whole 2 GB table at province,
    and the list's index-only walk over them read a different visibility-map page for nearly every
    entry (docs/performance.md, item 41)."""
    slot = max(span // count, 1)
    return min((i - 1) * span // count + rng.randrange(slot), span - 1)


def _cases(scale: Scale, grids: list[tuple[int, int]], rng: random.Random, report: Report) -> None:
    categories = list(CaseCategory.objects.order_by("pk").values_list("pk", "total_hours"))
    statuses = list(CaseStatus.values)
    sources = list(CaseSource.values)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = 2 * 365 * 24 * 3600

    def rows() -> Iterable[tuple[Any, ...]]:
        for i in range(1, scale.cases + 1):
            grid_id, village_id = grids[rng.randrange(len(grids))]
            cat_id, hours = categories[i % len(categories)]
            reported = start + timedelta(seconds=_in_order(i, scale.cases, span, rng))
            status = statuses[i % len(statuses)]
            closed = reported + timedelta(hours=rng.randint(1, hours)) if status in ("closed", "evaluated") else None
            yield (
                i,
                f"C{i:010d}",
                village_id,
                grid_id,
                cat_id,
                f"第{i}号事件：路灯损坏、垃圾堆放等",
                113.0 + rng.random(),
                22.5 + rng.random(),
                sources[i % len(sources)],
                status,
                reported,
                reported,
                reported + timedelta(hours=hours),
                closed,
            )

    fields = [
        "id",
        "code",
        "village_id",
        "grid_id",
        "category_id",
        "description",
        "lng",
        "lat",
        "source",
        "status",
        "reported_at",
        "stage_started_at",
        "due_at",
        "closed_at",
    ]
    write(Case, fields, rows(), report)


def _needs(scale: Scale, tree: Tree, rng: random.Random, report: Report) -> None:
    categories = list(NeedCategory.values)
    statuses = [NeedStatus.SUBMITTED, NeedStatus.LISTED, NeedStatus.CLAIMED, NeedStatus.DELIVERED, NeedStatus.CONFIRMED]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    tel = phone(999_999_999)
    tel_enc, tel_hash, tel_mask = fieldcrypto.encrypt(tel), fieldcrypto.lookup_hash(tel), fieldcrypto.mask_phone(tel)

    def rows() -> Iterable[tuple[Any, ...]]:
        for i in range(1, scale.needs + 1):
            vid = tree.villages[rng.randrange(len(tree.villages))][0]
            at = start + timedelta(minutes=_in_order(i, scale.needs, 2 * 365 * 24 * 60, rng))
            status = statuses[i % len(statuses)]
            listed = at + timedelta(days=1) if status != NeedStatus.SUBMITTED else None
            # One requester phone for every synthetic need: its ciphertext is reused (documented in docs/performance.md).
            yield (
                i,
                vid,
                categories[i % len(categories)],
                f"需求{i}",
                "上门理发、代买药品等",
                "居民",
                tel_enc,
                tel_hash,
                tel_mask,
                at,
                "v1",
                at,
                f"N{i:010d}",
                status,
                listed,
            )

    fields = [
        "id",
        "community_id",
        "category",
        "title",
        "description",
        "requester_name",
        "phone_encrypted",
        "phone_hash",
        "phone_masked",
        "consent_at",
        "consent_version",
        "submitted_at",
        "tracking_code",
        "status",
        "listed_at",
    ]
    write(Need, fields, rows(), report)


def _decisions(scale: Scale, tree: Tree, user_id: int, rng: random.Random, report: Report) -> None:
    statuses = list(DecisionStatus.values)

    def rows() -> Iterable[tuple[Any, ...]]:
        for i in range(1, scale.decisions + 1):
            vid = tree.villages[rng.randrange(len(tree.villages))][0]
            created = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
            yield (
                i,
                vid,
                f"第{i}号事项：村道硬化工程",
                Classification.PROCEDURE,
                "涉及村集体重大事项",
                statuses[i % len(statuses)],
                user_id,
                created,
            )

    fields = ["id", "village_id", "title", "classification", "classification_reason", "status", "created_by_id", "created_on"]
    write(Decision, fields, rows(), report)


def _event_changes(seq: int, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """(action, object type, changes) shaped like the services' own events: Chinese text, before/after pairs,
    notice codes and content hashes; about 100 bytes of JSON each, as in the demo ledger (94 on average)."""
    kind = seq % 5
    if kind == 0:
        return "person.create", "orgs.person", {"name": _name(rng), "gender": "male", "education": "high_school", "source": "导入"}
    if kind == 1:
        return "member.change", "orgs.member", {"stage": ["probationary", "full"], "full_on": [None, f"2025-{seq % 12 + 1:02d}-01"]}
    if kind == 2:
        return "case.move", "grid.case", {"status": ["accepted", "dispatched"], "note": f"已派至第{seq % 900}网格网格员处置"}
    if kind == 3:
        return "need.list", "needs.need", {"status": ["submitted", "listed"], "title": f"需求{seq}", "category": "elderly"}
    code = "".join(rng.choice(ALPHABET[10:]) for _ in range(8))
    return "decision.publish_result", "decisions.decision", {"notice": code, "content_hash": f"{rng.getrandbits(256):064x}"}


def _events(scale: Scale, tree: Tree, user: User, rng: random.Random, report: Report) -> None:
    digest = digest_function()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    prev = GENESIS
    last_seq = 0

    def rows() -> Iterable[tuple[Any, ...]]:
        nonlocal prev, last_seq
        for seq in range(1, scale.events + 1):
            _, path, _ = tree.villages[rng.randrange(len(tree.villages))]
            # Timestamps are UTC with microseconds, as PostgreSQL gives them back, so the hash recomputes equal.
            at = start + timedelta(microseconds=seq * 1_234_567)
            action, object_type, changes = _event_changes(seq, rng)
            fields = {
                "seq": seq,
                "at": at,
                "actor_id": user.pk,
                "actor_label": user.username,
                "org_path": path,
                "action": action,
                "object_type": object_type,
                "object_id": str(seq),
                "changes": changes,
                "prev_hash": prev,
            }
            h = digest(canonical(**fields))  # type: ignore[arg-type]
            yield (seq, at, user.pk, user.username, path, "", action, object_type, str(seq), changes, prev, h)
            prev, last_seq = h, seq

    fields = [
        "seq",
        "at",
        "actor_id",
        "actor_label",
        "org_path",
        "org_name",
        "action",
        "object_type",
        "object_id",
        "changes",
        "prev_hash",
        "hash",
    ]
    write(Event, fields, rows(), report)
    LedgerHead.objects.update_or_create(id=1, defaults={"seq": last_seq, "hash": prev})


def generate(scale_name: str, seed: int = 7, progress: Callable[[str], None] | None = None) -> Report:
    """Fill an empty registry with the named scale's synthetic data."""
    scale = SCALES[scale_name]
    if Organization.objects.exists() or Event.objects.exists():
        raise ValueError("generate_scale needs an empty registry and ledger (a freshly migrated database)")
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)
    report = Report()

    def step(message: str, work: Callable[[], Any]) -> Any:
        say(f"{message} (peak RSS so far {peak_rss_mb():,.0f} MB)")
        with transaction.atomic():
            return work()

    user = step(
        "bench user", lambda: User.objects.create(username=BENCH_USERNAME, display_name="基准测试", password=make_password(BENCH_PASSWORD))
    )
    tree = step("organizations", lambda: _organizations(scale, report))
    # One grant per root: the province or the city covers every district under it by one path range.
    grants = [RoleGrant(user=user, organization_id=pk, role=Role.DISTRICT_ADMIN) for pk in tree.roots]
    step("grants", lambda: RoleGrant.objects.bulk_create(grants))
    step("district admin", lambda: _district_admin(tree))
    step("auditor", lambda: _auditor(tree))
    step("people and members", lambda: _people_and_members(scale, tree, rng, report))
    grids = step("grids", lambda: _grids(scale, tree, report))
    step("cases", lambda: _cases(scale, grids, rng, report))
    step("needs", lambda: _needs(scale, tree, rng, report))
    step("decisions", lambda: _decisions(scale, tree, user.pk, rng, report))
    step("audit events", lambda: _events(scale, tree, user, rng, report))
    step("sequences", lambda: _reset_sequences(Organization, Person, Member, Grid, Case, Need, Decision))
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # VACUUM, not only ANALYZE: until the visibility map is set no count can be an index-only
            # scan (the needs queue's capped count: 61 ms before, 3.4 ms after, at city).
            # (Inside a transaction, as in tests, VACUUM cannot run: ANALYZE alone then.)
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        report.extra["VACUUM (ANALYZE) (s)"] = time.perf_counter() - started
    report.extra["peak RSS (MB)"] = peak_rss_mb()
    return report


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def encryption_rate(n: int = 20_000) -> float:
    """Field encryptions per second (AES-256-GCM with a fresh nonce, as fieldcrypto.encrypt does)."""
    started = time.perf_counter()
    for i in range(n):
        fieldcrypto.encrypt(phone(i))
    return n / (time.perf_counter() - started)
