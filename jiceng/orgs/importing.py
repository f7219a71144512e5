"""Bulk import of people, party members and posts (人员、党员、职务批量导入).

The file is read as a stream and handled in batches of BATCH rows: cell checks in plain Python
(in a worker thread, one batch ahead: _read_ahead), then per batch one query for the people
already registered (by the keyed hash of the ID number), one for their member records and one for
their open posts; organization codes are resolved once each. validate() only counts; import_file()
does the same inside one transaction and writes each batch (binary COPY on PostgreSQL,
bulk_create elsewhere; bulk_update for changes), so either the whole file goes in or nothing does (unless the
user asked for the valid rows only). The ID number is the natural key: a known ID number updates
that person, an open post is not opened twice, so importing the same file twice creates nothing new.

The whole file is one `registry.import` ledger event with its counts, the file's SHA-256 and the
ids of what it created or changed (as ranges), instead of one event per row.
"""

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Lookup, Model
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from jiceng.accounts.access import allowed_paths, can, user_grants
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.audit.models import Event
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import birth_date_from_id, normalize_id_number, normalize_phone
from jiceng.orgs.access import MATRIX
from jiceng.orgs.importing_files import (
    COLUMNS,
    DATE_COLUMNS,
    EDUCATION_CHOICES,
    EDUCATIONS,
    GENDERS,
    HEADER,
    ImportFileError,
    number_like_id,
    parse_date,
    read_rows,
    roles,
    stages,
    text,
)
from jiceng.orgs.models import PARTY_ORG_KINDS, STAGE_DATE_FIELD, STAGE_ORDER, Gender, Member, Organization, OrgKind, Person, Post, Stage
from jiceng.orgs.services import _check_post_role, check_stage_dates, member_names_sync, name_initials

BATCH = 2000
T = TypeVar("T")

# ---- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str


class ImportRefused(Exception):
    """The import was not written; nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class ImportRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    id_hashes: list[str] = field(default_factory=list)  # under every configured field key, newest first
    phone_hashes: list[str] = field(default_factory=list)  # likewise
    initials: str = ""
    sealed: tuple[str, str] = ("", "")  # the ID number and the phone encrypted, when the import writes
    organization: Organization | None = None
    branch: Organization | None = None
    post_org: Organization | None = None
    person: Person | None = None
    person_id: int | None = None  # once written
    member: Member | None = None
    person_changes: dict[str, Any] = field(default_factory=dict)
    phone_changed: bool = False
    member_action: str = ""
    member_dates: dict[str, date | None] = field(default_factory=dict)
    post_action: str = ""


@dataclass
class Report:
    total: int = 0
    valid: int = 0
    errors: list[RowError] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def invalid(self) -> int:
        return len({e.row for e in self.errors})


# ---- cell checks (no database) -----------------------------------------------------------------


def _parse(number: int, raw: dict[str, Any], errors: list[RowError], labels: tuple[dict[str, str], dict[str, str]]) -> ImportRow:
    row = ImportRow(number)
    v = row.values
    failed: set[str] = set()

    def fail(key: str, message: str) -> None:
        failed.add(key)
        errors.append(RowError(number, HEADER[key], message))

    for key in ("name", "ethnicity", "address", "organization", "branch", "post_org"):
        v[key] = text(raw.get(key))
    if not v["name"]:
        fail("name", _("姓名不能为空。"))
    for key, limit in (("name", 50), ("ethnicity", 20), ("address", 200)):
        if len(v[key]) > limit:
            fail(key, _("内容过长，最多 %(n)d 个字。") % {"n": limit})
    if not v["organization"]:
        fail("organization", _("所属组织编码不能为空。"))

    gender = text(raw.get("gender"))
    v["gender"] = GENDERS.get(gender, "")
    if not v["gender"]:
        fail("gender", _("性别应填写“男”或“女”。") if gender else _("性别不能为空。"))

    _parse_id_and_phone(raw, v, fail)
    education = text(raw.get("education"))
    v["education"] = EDUCATIONS.get(education, "")
    if education and not v["education"]:
        fail("education", _("学历应为：%(choices)s。") % {"choices": "、".join(EDUCATION_CHOICES)})

    for key in DATE_COLUMNS:
        try:
            v[key] = parse_date(raw.get(key))
        except ValueError:
            v[key] = None
            fail(key, _("无法识别的日期“%(value)s”，请填写如 2001-07-01 的日期。") % {"value": text(raw.get(key))})

    if v["id_number"]:
        born = birth_date_from_id(v["id_number"])
        if v["birth_date"] is not None and v["birth_date"] != born:
            fail("birth_date", _("出生日期与身份证号中的出生日期（%(date)s）不一致。") % {"date": born.isoformat()})
        v["birth_date"] = born
        # GB 11643-1999: the 17th digit is odd for men and even for women.
        implied = Gender.MALE if int(v["id_number"][16]) % 2 else Gender.FEMALE
        if v["gender"] and v["gender"] != implied:
            fail("gender", _("性别与身份证号不一致（身份证号第17位为奇数是男性，偶数是女性）。"))

    _parse_member_and_post(raw, v, fail, failed, labels)
    return row


def _parse_id_and_phone(raw: dict[str, Any], v: dict[str, Any], fail: Any) -> None:
    v["id_number"] = ""
    raw_id = raw.get("id_number")
    if number_like_id(raw_id):
        fail("id_number", _("身份证号被存成了数字，末几位可能已丢失；请将该列设为文本格式后重新填写。"))
    elif not text(raw_id):
        fail("id_number", _("身份证号不能为空。"))
    else:
        try:
            v["id_number"] = normalize_id_number(text(raw_id))
        except ValidationError as exc:
            fail("id_number", exc.messages[0])
    v["phone"] = ""
    if phone := text(raw.get("phone")):
        try:
            v["phone"] = normalize_phone(phone)
        except ValidationError as exc:
            fail("phone", exc.messages[0])


def _parse_member_and_post(
    raw: dict[str, Any], v: dict[str, Any], fail: Any, failed: set[str], labels: tuple[dict[str, str], dict[str, str]]
) -> None:
    stage_labels, role_labels = labels
    stage = text(raw.get("stage"))
    v["stage"] = stage_labels.get(stage, "")
    if stage and not v["stage"]:
        fail("stage", _("发展阶段应为：%(choices)s。") % {"choices": "、".join(stage_labels)})
    has_dates = any(v[f] is not None for f in STAGE_DATE_FIELD.values())
    if v["branch"] and not stage:
        fail("stage", _("填写了党组织编码时须填写发展阶段。"))
    if not v["branch"] and (stage or has_dates):
        fail("branch", _("填写了发展阶段或入党相关日期时须填写党组织编码。"))

    role = text(raw.get("role"))
    v["role"] = role_labels.get(role, "")
    if role and not v["role"]:
        fail("role", _("未知的职务“%(role)s”。可填写：%(choices)s。") % {"role": role, "choices": "、".join(role_labels)})
    if role:
        if not v["post_org"]:
            fail("post_org", _("填写职务时须填写任职组织编码。"))
        if v["post_start"] is None and "post_start" not in failed:
            fail("post_start", _("填写职务时须填写任职日期。"))
    elif v["post_org"] or v["post_start"] is not None:
        fail("role", _("填写了任职组织编码或任职日期时须填写职务。"))


# ---- checks against the registry, a batch at a time ---------------------------------------------


class _Run:
    """What one validation or import keeps across batches: the actor's scope, codes seen, ID numbers seen."""

    def __init__(self, actor: User, *, lock: bool) -> None:
        self.actor = actor
        self.lock = lock
        self.labels = (stages(), roles())
        self.import_paths = allowed_paths(actor, MATRIX["registry.import"])
        self.action_paths = {a: allowed_paths(actor, MATRIX[a]) for a in ("person.change", "member.change", "post.change")}
        self.allowed: dict[tuple[str, str], bool] = {}
        self.orgs: dict[str, Organization | None] = {}
        self.first_row_of: dict[str, int] = {}
        self.touched_paths: set[str] = set()
        self.ids: dict[str, list[int]] = {}
        self.fields_changed: Counter[str] = Counter()

    def may(self, action: str, org: Organization) -> bool:
        """Memoized per organization: a file names the same few villages and branches on every row."""
        key = (action, org.path)
        allowed = self.allowed.get(key)
        if allowed is None:
            path = org.path
            allowed = any(path.startswith(p) for p in self.import_paths) and any(path.startswith(p) for p in self.action_paths[action])
            self.allowed[key] = allowed
        return allowed

    def resolve(self, codes: set[str]) -> None:
        """Organizations by code; each code is looked up once per run."""
        missing = sorted(codes - self.orgs.keys())
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            found = {o.code: o for o in Organization.objects.filter(code__in=chunk)}
            self.orgs |= {code: found.get(code) for code in chunk}

    def note(self, key: str, ids: Iterable[int]) -> None:
        self.ids.setdefault(key, []).extend(ids)


def _parse_batch(run: _Run, batch: list[tuple[int, dict[str, Any]]], errors: list[RowError]) -> list[ImportRow]:
    rows = []
    with_id = []
    first_row_of = run.first_row_of
    for number, raw in batch:
        row = _parse(number, raw, errors, run.labels)
        if id_number := row.values["id_number"]:
            with_id.append(row)
            first = first_row_of.setdefault(id_number, number)
            if first != number:
                errors.append(RowError(number, HEADER["id_number"], _("与第 %(row)d 行的身份证号重复。") % {"row": first}))
        rows.append(row)
    # The keyed hashes of the batch's ID numbers and phones in one call each (the keys looked up once, not per row).
    for row, hashes in zip(with_id, fieldcrypto.lookup_hashes_many([row.values["id_number"] for row in with_id]), strict=True):
        row.id_hashes = hashes
    with_phone = [row for row in rows if row.values["phone"]]
    for row, hashes in zip(with_phone, fieldcrypto.lookup_hashes_many([row.values["phone"] for row in with_phone]), strict=True):
        row.phone_hashes = hashes
    for row in rows:
        row.initials = initials(row.values["name"])
    return rows


def _seal_batch(rows: list[ImportRow]) -> None:
    """Encrypt each row's ID number and phone ahead of writing, whether or not the person turns out to be new.

    It runs in the reading thread (see _read_ahead), so the cost hides in the wait for PostgreSQL;
    the ciphertexts of people already registered are simply not used.
    """
    with_id = [row for row in rows if row.values["id_number"]]
    with_phone = [row for row in with_id if row.values["phone"]]
    for row, sealed in zip(with_id, fieldcrypto.encrypt_many([row.values["id_number"] for row in with_id]), strict=True):
        row.sealed = (sealed, "")
    for row, sealed in zip(with_phone, fieldcrypto.encrypt_many([row.values["phone"] for row in with_phone]), strict=True):
        row.sealed = (row.sealed[0], sealed)


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`column = ANY(%s)` with the values as one array parameter on PostgreSQL; `IN (...)` elsewhere.

    For a batch's 2,000 values: Django's psycopg cursors bind on the client, and psycopg parses a
    query of 2,000 placeholders in Python on every execution (≈ 18 µs per imported row); one array
    parameter keeps the query short and its parse cached. The caller skips empty value lists.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        return list(self.rhs)

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]


def _load_people(run: _Run, rows: list[ImportRow]) -> None:
    """The registered people behind the batch's ID numbers, and their member records; locked when importing."""
    hashes = {h for row in rows for h in row.id_hashes}
    if not hashes:
        return
    # The unique index on id_number_hash is partial (blank hashes left out); PostgreSQL proves a
    # long IN / ANY list implies its predicate only when the predicate is written out, and otherwise
    # scans the whole person table once per batch.
    people_qs = Person.objects.filter(AnyOf(F("id_number_hash"), sorted(hashes))).exclude(id_number_hash="").select_related("organization")
    if run.lock:
        people_qs = people_qs.select_for_update(of=("self",))
    people = {p.id_number_hash: p for p in people_qs}
    if not people:
        return
    members_qs = Member.objects.filter(AnyOf(F("person_id"), sorted(p.pk for p in people.values()))).select_related("branch")
    if run.lock:
        members_qs = members_qs.select_for_update(of=("self",))
    members = {m.person_id: m for m in members_qs}
    for row in rows:
        # Mid key rotation a person may still carry the hash of an older key.
        row.person = next((people[h] for h in row.id_hashes if h in people), None)
        if row.person is not None:
            row.member = members.get(row.person.pk)


def _open_posts(rows: list[ImportRow]) -> set[tuple[int, int, str]]:
    person_ids = {row.person.pk for row in rows if row.person is not None and row.post_org is not None}
    if not person_ids:
        return set()
    posts = Post.objects.filter(AnyOf(F("person_id"), sorted(person_ids)), end_date__isnull=True)
    return set(posts.values_list("person_id", "organization_id", "role"))


def _check_against_registry(run: _Run, row: ImportRow, errors: list[RowError]) -> None:
    """Scope, organization kinds and what the row would change, against what is already recorded."""
    v = row.values

    def fail(key: str, message: str) -> None:
        errors.append(RowError(row.row, HEADER[key], message))

    # Scope first, so a kind message can never tell an outsider that a code exists.
    for key, action in (("organization", "person.change"), ("branch", "member.change"), ("post_org", "post.change")):
        if not (code := v[key]):
            continue
        org = run.orgs.get(code)
        if org is None or not run.may(action, org):
            # gettext only on failure: once per row it was ~6 % of the whole import's CPU.
            fail(key, _("组织编码不存在或不在您的管辖范围内。"))
            continue
        setattr(row, key, org)
    if row.organization is not None and row.organization.kind in PARTY_ORG_KINDS:
        fail("organization", _("所属组织应为村（社区）、镇街或单位；党组织的编码请填在“党组织编码”列。"))
        row.organization = None
    if row.branch is not None and (row.branch.kind not in PARTY_ORG_KINDS or row.branch.kind == OrgKind.PARTY_GROUP):
        fail("branch", _("党组织编码应为党委、党总支、党支部或联合党支部的编码。"))
        row.branch = None
    if row.post_org is not None and v["role"]:
        try:
            _check_post_role(v["role"], row.post_org)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                fail("post_org" if name == "organization" else "role", messages[0])

    person = row.person
    if person is not None:
        if not run.may("person.change", person.organization):
            fail("id_number", _("该身份证号已登记在您管辖范围以外的人员名下，不能通过导入修改。"))
            return
        if row.organization is not None and person.organization_id != row.organization.pk:
            fail("organization", _("该人员已登记在“%(org)s”，导入不能变更所属组织。") % {"org": person.organization.name})

    member = row.member
    if v["branch"] and member is not None:
        if not run.may("member.change", member.branch):
            fail("branch", _("该人员的党组织关系不在您的管辖范围内，不能通过导入修改。"))
        elif row.branch is not None and member.branch_id != row.branch.pk:
            fail("branch", _("该人员的党组织关系在“%(org)s”，导入不能转移组织关系，请办理组织关系转接。") % {"org": member.branch.name})

    if row.branch is not None and v["stage"]:
        _check_stages(row, fail)


def _check_stages(row: ImportRow, fail: Any) -> None:
    """Stage order, dates and age (domain.md §3.4), over the file's dates merged with the recorded ones."""
    v, member, person = row.values, row.member, row.person
    stage = Stage(v["stage"])
    dates: dict[str, date | None] = {}
    reached = STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]
    for step in STAGE_ORDER:
        name = STAGE_DATE_FIELD[step]
        given = v[name]
        # A blank cell keeps what is recorded; dates past the row's stage do not apply.
        dates[name] = given if given is not None or member is None else getattr(member, name)
        if step not in reached and given is None:
            dates[name] = None
    try:
        check_stage_dates(stage, dates, v["birth_date"] or (person.birth_date if person else None))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            fail(name if name in HEADER else "stage", messages[0])
    row.member_dates = dates


def _plan(row: ImportRow, open_posts: set[tuple[int, int, str]], counts: Counter[str]) -> None:
    """What writing this valid row will do; also what the preview counts."""
    v, person = row.values, row.person
    if person is None:
        counts["people_created"] += 1
    else:
        wanted = {"name": v["name"], "gender": v["gender"], "birth_date": v["birth_date"]}
        # Blank optional cells keep what is recorded.
        wanted |= {key: v[key] for key in ("ethnicity", "education", "address") if v[key]}
        row.person_changes = {key: value for key, value in wanted.items() if getattr(person, key) != value}
        row.phone_changed = bool(v["phone"]) and person.phone_hash not in row.phone_hashes
        counts["people_updated" if row.person_changes or row.phone_changed else "people_unchanged"] += 1
    if row.branch is not None:
        member = row.member
        if member is None:
            row.member_action = "create"
        elif member.stage != v["stage"] or any(getattr(member, k) != d for k, d in row.member_dates.items()):
            row.member_action = "update"
        else:
            row.member_action = "unchanged"
        counts[{"create": "members_created", "update": "members_updated"}.get(row.member_action, "members_unchanged")] += 1
    if row.post_org is not None:
        key = (person.pk if person else 0, row.post_org.pk, v["role"])
        row.post_action = "exists" if key in open_posts else "create"
        counts["posts_existing" if row.post_action == "exists" else "posts_created"] += 1


def _check_batch(run: _Run, rows: list[ImportRow], errors: list[RowError], first_error: int, counts: Counter[str]) -> list[ImportRow]:
    """The batch's valid rows (no error from errors[first_error] on), planned; errors and counts are added to the run's."""
    run.resolve({row.values[k] for row in rows for k in ("organization", "branch", "post_org") if row.values[k]})
    _load_people(run, rows)
    for row in rows:
        _check_against_registry(run, row, errors)
    bad = {e.row for e in errors[first_error:]}
    valid = [row for row in rows if row.row not in bad]
    open_posts = _open_posts(valid)
    for row in valid:
        _plan(row, open_posts, counts)
    return valid


def _parsed_batches(run: _Run, data: bytes, file_name: str, *, seal: bool) -> Iterator[tuple[list[ImportRow], list[RowError]]]:
    """The file's rows, parsed and cell-checked BATCH at a time, each batch with its own errors."""
    items = read_rows(data, file_name)
    while batch := list(islice(items, BATCH)):
        errors: list[RowError] = []
        rows = _parse_batch(run, batch, errors)
        if seal:
            _seal_batch(rows)
        yield rows, errors


def _read_ahead(items: Iterator[T]) -> Iterator[T]:
    """items, each next one produced in a worker thread while the caller handles the current one.

    Reading and cell-checking a batch is pure Python and never touches the database, while checking
    and writing the previous batch mostly waits for PostgreSQL (psycopg releases the GIL while it
    waits): overlapping the two hides most of that wait. The worker speaks the caller's language,
    and an error it raises (a malformed file) reaches the caller at that item.
    """
    language = translation.get_language()

    def produce() -> T | None:
        with translation.override(language):
            return next(items, None)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read") as worker:
        pending = worker.submit(produce)
        while (item := pending.result()) is not None:
            pending = worker.submit(produce)
            yield item


def _run(run: _Run, data: bytes, file_name: str, *, write_valid_only: bool | None) -> Report:
    """Read, check and (unless write_valid_only is None) write, batch by batch, reading one batch ahead."""
    report = Report()
    for rows, parse_errors in _read_ahead(_parsed_batches(run, data, file_name, seal=write_valid_only is not None)):
        first_error = len(report.errors)
        report.errors += parse_errors
        valid = _check_batch(run, rows, report.errors, first_error, report.counts)
        report.total += len(rows)
        report.valid += len(valid)
        # Importing everything stops writing at the first bad row; the rollback follows at the end.
        if write_valid_only is not None and valid and (write_valid_only or not report.errors):
            _write_batch(run, valid)
    if not report.total:
        raise ImportFileError(_("文件中没有数据行。"))
    order = {c.header: i for i, c in enumerate(COLUMNS)}
    report.errors.sort(key=lambda e: (e.row, order.get(e.column, 0)))
    return report


def validate(*, actor: User, data: bytes, file_name: str = "") -> Report:
    """Read and check every row; nothing is written."""
    return _run(_Run(actor, lock=False), data, file_name, write_valid_only=None)


# ---- writing -----------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _char_initial(char: str) -> str:
    """The first letter of a character's default reading, or "" when the character has none."""
    readings = pinyin_dict.get(ord(char))
    if not readings:
        return ""
    return unicodedata.normalize("NFD", readings.split(",", 1)[0])[0].lower()


@lru_cache(maxsize=65536)
def initials(name: str) -> str:
    """services.name_initials, without pypinyin's per-call cost when no phrase can change a reading.

    lazy_pinyin gives each character its first reading unless the name holds a known phrase, so a
    name with no phrase inside and only Chinese characters reads character by character.
    """
    letters = [_char_initial(char) for char in name]
    phrases = (name[i:j] for i in range(len(name)) for j in range(i + 2, len(name) + 1))
    if not all(letters) or any(phrase in phrases_dict for phrase in phrases):
        return name_initials(name)
    return "".join(letters)


_SQL_TYPE = re.compile(r"\(.*\)")  # "varchar(50)" -> "varchar", a name psycopg's type registry knows


def _insert(model: type[Model], fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert rows (tuples in `fields` order, by attname) and return their ids, in order.

    PostgreSQL takes them by COPY with ids drawn from the table's sequence in one query; elsewhere
    bulk_create. Either way the model's other columns get their declared defaults.
    """
    if not rows:
        return []
    extra = [f for f in model._meta.concrete_fields if f.attname not in fields and not f.primary_key]
    now = timezone.now()
    defaults = tuple(now if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False) else f.get_default() for f in extra)
    names = (*fields, *(f.attname for f in extra))
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(names, row + defaults, strict=True))) for row in rows]
        return [obj.pk for obj in model._default_manager.bulk_create(objects, batch_size=BATCH)]
    table = model._meta.db_table
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    columns = [by_attname[n] for n in ("id", *names)]
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    # Binary COPY with the column types given once: psycopg then packs each value without looking
    # up its dumper, ≈ 1 µs a row instead of ≈ 8 µs in text format (and PostgreSQL parses less).
    types = [_SQL_TYPE.sub("", f.db_type(connection) or "") for f in columns]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:  # type: ignore[attr-defined]
            copy.set_types(types)
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row, *defaults))
    return ids


PERSON_FIELDS = (
    "organization_id",
    "name",
    "name_initials",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "address",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
)


def _person_values(rows: list[ImportRow]) -> list[tuple[Any, ...]]:
    """PERSON_FIELDS of each new person, from the cells and what _parse_batch and _seal_batch computed."""
    mask_id, mask_phone = fieldcrypto.mask_id_number, fieldcrypto.mask_phone
    out = []
    for row in rows:
        v = row.values
        assert row.organization is not None
        phone = v["phone"]
        out.append(
            (
                row.organization.pk,
                v["name"],
                row.initials,
                v["gender"],
                v["birth_date"],
                v["ethnicity"] or "汉族",
                v["education"],
                v["address"],
                row.sealed[0],
                row.id_hashes[0],
                mask_id(v["id_number"]),
                row.sealed[1],
                row.phone_hashes[0] if phone else "",
                mask_phone(phone) if phone else "",
            )
        )
    return out


def _set_phones(people: list[tuple[Person, str]]) -> None:
    phones = [phone for _person, phone in people]
    for (person, phone), sealed, hashed in zip(people, fieldcrypto.encrypt_many(phones), fieldcrypto.lookup_hash_many(phones), strict=True):
        person.phone_encrypted = sealed
        person.phone_hash = hashed
        person.phone_masked = fieldcrypto.mask_phone(phone)


def _write_people(run: _Run, rows: list[ImportRow]) -> None:
    created = [row for row in rows if row.person is None]
    ids = _insert(Person, PERSON_FIELDS, _person_values(created))
    for row, pk in zip(created, ids, strict=True):
        row.person_id = pk
    run.note("people_created", ids)

    changed: list[Person] = []
    new_phones: list[tuple[Person, str]] = []
    fields: set[str] = set()
    for row in rows:
        person = row.person
        if person is None:
            continue
        row.person_id = person.pk
        if not (row.person_changes or row.phone_changed):
            continue
        for key, value in row.person_changes.items():
            setattr(person, key, value)
        if "name" in row.person_changes:
            person.name_initials = initials(person.name)
            fields.add("name_initials")
        if row.phone_changed:
            new_phones.append((person, row.values["phone"]))
            fields |= {"phone_encrypted", "phone_hash", "phone_masked"}
        fields |= row.person_changes.keys()
        run.fields_changed.update([*row.person_changes, *(["phone"] if row.phone_changed else [])])
        changed.append(person)
    _set_phones(new_phones)
    if changed:
        Person.objects.bulk_update(changed, sorted(fields), batch_size=500)
        run.note("people_updated", (p.pk for p in changed))
        # Renamed people: their member rows carry a copy of the name for the member search.
        renamed = [row.person.pk for row in rows if row.person is not None and "name" in row.person_changes]
        for start in range(0, len(renamed), 500):
            member_names_sync(person_ids=renamed[start : start + 500])


# name and name_initials: the person's, copied onto the member row for the member search (orgs 0007).
MEMBER_FIELDS = ("person_id", "branch_id", "stage", *STAGE_DATE_FIELD.values(), "name", "name_initials")


def _write_members(run: _Run, rows: list[ImportRow]) -> None:
    new: list[tuple[Any, ...]] = []
    changed: list[Member] = []
    for row in rows:
        if row.member_action == "create":
            assert row.branch is not None
            dates = row.member_dates
            # The person's name once this row is written.
            new.append(
                (
                    row.person_id,
                    row.branch.pk,
                    row.values["stage"],
                    *(dates[f] for f in STAGE_DATE_FIELD.values()),
                    row.values["name"],
                    row.initials,
                )
            )
        elif row.member_action == "update":
            member = row.member
            assert member is not None
            member.stage = row.values["stage"]
            for name, value in row.member_dates.items():
                setattr(member, name, value)
            changed.append(member)
    run.note("members_created", _insert(Member, MEMBER_FIELDS, new))
    if changed:
        Member.objects.bulk_update(changed, ["stage", *STAGE_DATE_FIELD.values()], batch_size=500)
        run.note("members_updated", (m.pk for m in changed))


def _write_posts(run: _Run, rows: list[ImportRow]) -> None:
    new = []
    for row in rows:
        if row.post_action == "create":
            assert row.post_org is not None
            new.append((row.person_id, row.post_org.pk, row.values["role"], row.values["post_start"], None, True))
    run.note("posts_created", _insert(Post, ("person_id", "organization_id", "role", "start_date", "end_date", "elected"), new))


def _write_batch(run: _Run, rows: list[ImportRow]) -> None:
    for row in rows:
        run.touched_paths |= {o.path for o in (row.organization, row.branch, row.post_org) if o is not None}
    _write_people(run, rows)
    _write_members(run, rows)
    _write_posts(run, rows)


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """[[first, last], ...] of consecutive ids: bulk-created rows take consecutive ids, so this stays short."""
    ranges: list[list[int]] = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def _event_org(actor: User, paths: set[str]) -> Organization | None:
    """The lowest organization above everything the import touched, so the event is seen where it belongs."""
    if paths:
        # Sorted paths: what the first and the last share, whole tree steps only, all of them share.
        first, last, step = min(paths), max(paths), Organization.steplen
        prefix = ""
        for end in range(step, min(len(first), len(last)) + 1, step):
            if first[:end] != last[:end]:
                break
            prefix = first[:end]
        if prefix:
            return Organization.objects.filter(path=prefix).first()
    grants = [g for g in user_grants(actor) if g.role in MATRIX["registry.import"]]
    return grants[0].organization if grants else None


@dataclass
class ImportResult:
    total: int
    imported: int
    skipped: int
    counts: Counter[str]
    event: Event


def import_file(*, actor: User, data: bytes, file_name: str, only_valid: bool) -> ImportResult:
    """Validate again (never trust the preview) and write, all in one transaction with one ledger event."""
    if not can(actor, MATRIX["registry.import"], None):
        raise PermissionDenied(_("您无权导入数据。"))
    try:
        with transaction.atomic():
            run = _Run(actor, lock=True)
            report = _run(run, data, file_name, write_valid_only=only_valid)
            if report.errors and not only_valid:
                raise ImportRefused(
                    _("文件中有 %(n)d 行存在错误，未导入任何数据。请修正后重新上传，或选择仅导入有效行。") % {"n": report.invalid}
                )
            if not report.valid:
                raise ImportRefused(_("没有可导入的有效行。"))
            changes: dict[str, Any] = {
                "file_name": file_name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "mode": "valid_only" if only_valid else "all",
                "rows": report.total,
                "imported": report.valid,
                "skipped": report.invalid,
                **dict(sorted(report.counts.items())),
            }
            if run.fields_changed:
                changes["fields_changed"] = dict(sorted(run.fields_changed.items()))
            # Row-level detail without one event per row: which records the file created or changed.
            changes["ids"] = {key: id_ranges(ids) for key, ids in sorted(run.ids.items()) if ids}
            event = audit.record(actor=actor, action="registry.import", org=_event_org(actor, run.touched_paths), changes=changes)
    except IntegrityError as exc:
        # Someone registered the same ID number or post between the checks and the writing; never show database internals.
        raise ImportRefused(_("写入失败：数据已被他人修改。未导入任何数据，请重新检查后再试。")) from exc
    return ImportResult(total=report.total, imported=report.valid, skipped=report.invalid, counts=report.counts, event=event)
