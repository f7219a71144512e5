"""Excel import of people, party members and posts (人员、党员、职务批量导入).

validate() reads the whole file and lists every bad row with its row, column and a Chinese
message. import_file() validates again inside one transaction and writes through the registry
services, so either the whole file goes in or nothing does (unless the user asked for the valid
rows only). The ID number is the natural key: a known ID number updates that person, an open post
is not opened twice, so importing the same file twice creates nothing new.

Uploads wait between preview and confirm under VAR_DIR/imports, encrypted with the field key,
because they hold plain ID numbers and phones (domain.md §9.1).
"""

import hashlib
import json
import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from jiceng.accounts.access import can, user_grants
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.audit.models import Event
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import birth_date_from_id, normalize_id_number, normalize_phone
from jiceng.orgs.access import MATRIX
from jiceng.orgs.models import (
    PARTY_ORG_KINDS,
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    Education,
    Gender,
    Member,
    Organization,
    OrgKind,
    Person,
    Post,
    PostRole,
    Stage,
)
from jiceng.orgs.services import check_stage_dates, member_save, person_create, person_update, post_create

MAX_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TTL_SECONDS = 24 * 3600
_CHUNK = 500

# ---- the file format ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    hint: str = ""
    width: int = 14


DATE_HINT = "如 2001-07-01、2001/7/1 或 2001年7月1日"
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, "必填", 10),
    Column("gender", "性别", True, "必填：男 或 女", 6),
    Column("id_number", "身份证号", True, "必填，18位，请按文本填写。同一身份证号再次导入时更新该人员，不会重复新增。", 22),
    Column("phone", "手机号", hint="11位手机号", width=14),
    Column("birth_date", "出生日期", hint="可不填，按身份证号推算；" + DATE_HINT, width=12),
    Column("ethnicity", "民族", hint="如 汉族", width=8),
    Column("education", "学历", hint="小学/初中/高中/中专/大专/本科/研究生", width=8),
    Column("address", "住址", width=24),
    Column("organization", "所属组织编码", True, "必填：人员所在村（社区）或单位的组织编码", 16),
    Column("branch", "党组织编码", hint="填写即作为党员（含入党申请人、积极分子、发展对象）导入：所在党支部等的编码", width=16),
    Column("stage", "发展阶段", hint="入党申请人/入党积极分子/发展对象/预备党员/正式党员；填写党组织编码时必填", width=12),
    Column("applied_on", "申请入党日期", hint=DATE_HINT, width=12),
    Column("activist_on", "确定积极分子日期", hint=DATE_HINT, width=12),
    Column("candidate_on", "确定发展对象日期", hint=DATE_HINT, width=12),
    Column("probationary_on", "接收预备党员日期", hint=DATE_HINT, width=12),
    Column("full_on", "转正日期", hint=DATE_HINT, width=12),
    Column("role", "职务", hint="可不填；如 书记、副书记、委员、主任", width=10),
    Column("post_org", "任职组织编码", hint="填写职务时必填", width=16),
    Column("post_start", "任职日期", hint="填写职务时必填；" + DATE_HINT, width=12),
)
HEADER = {c.key: c.header for c in COLUMNS}
DATE_COLUMNS = ("birth_date", *STAGE_DATE_FIELD.values(), "post_start")

GENDERS = {"男": Gender.MALE, "男性": Gender.MALE, "女": Gender.FEMALE, "女性": Gender.FEMALE}
EDUCATIONS = {
    "小学": Education.PRIMARY,
    "初中": Education.JUNIOR,
    "高中": Education.SENIOR,
    "中专": Education.SENIOR,
    "高中/中专": Education.SENIOR,
    "大专": Education.COLLEGE,
    "本科": Education.BACHELOR,
    "研究生": Education.POSTGRADUATE,
    "硕士": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
}
EDUCATION_CHOICES = ("小学", "初中", "高中", "中专", "大专", "本科", "研究生")


@lru_cache
def _labels(choices: type[TextChoices], language: str | None) -> dict[str, str]:
    return {str(c.label): c.value for c in choices}


def _stages() -> dict[str, str]:
    return _labels(Stage, get_language())


def _roles() -> dict[str, str]:
    return _labels(PostRole, get_language())


def build_template() -> bytes:
    """The downloadable template: one sheet, Chinese headers with notes, drop-downs for coded columns."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "人员导入"
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=column.header + ("*" if column.required else ""))
        cell.font = bold
        if column.hint:
            cell.comment = Comment(column.hint, "基层")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width + 4
        if column.key in ("id_number", "phone", "organization", "branch", "post_org"):
            ws.column_dimensions[letter].number_format = "@"  # keep 18-digit IDs and codes as text
        elif column.key in DATE_COLUMNS:
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    lists = {
        "gender": "男,女",
        "education": ",".join(EDUCATION_CHOICES),
        "stage": ",".join(_stages()),
        "role": ",".join(_roles()),
    }
    letters = {c.key: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    for key, choices in lists.items():
        rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        ws.add_data_validation(rule)
        rule.add(f"{letters[key]}2:{letters[key]}{MAX_ROWS + 1}")
    ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# ---- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class ImportFileError(Exception):
    """The file as a whole cannot be read (not Excel, too large, headers missing, too many rows)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportRefused(Exception):
    """The import was not written; nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    id_hashes: list[str] = field(default_factory=list)  # under every configured field key, newest first
    organization: Organization | None = None
    branch: Organization | None = None
    post_org: Organization | None = None
    person: Person | None = None
    member: Member | None = None
    person_changes: dict[str, Any] = field(default_factory=dict)
    phone_changed: bool = False
    member_action: str = ""
    member_dates: dict[str, date | None] = field(default_factory=dict)
    post_action: str = ""


@dataclass
class Report:
    total: int
    rows: list[ImportRow]
    errors: list[RowError]
    counts: Counter[str]

    @property
    def invalid(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def valid(self) -> int:
        return len(self.rows)


# ---- reading -----------------------------------------------------------------------------------


def _not_excel() -> ImportFileError:
    return ImportFileError(_("文件无法读取，请上传 .xlsx 格式的 Excel 文件。"))


def check_size(size: int) -> None:
    if size > settings.MAX_UPLOAD_MB * 1024 * 1024:
        raise ImportFileError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。") % {"mb": settings.MAX_UPLOAD_MB})


_HEADER_NOISE = re.compile(r"[（(][^）)]*[）)]|[*＊\s]")


def _header_key(value: Any) -> str | None:
    text = _HEADER_NOISE.sub("", str(value or ""))
    for column in COLUMNS:
        if column.header == text:
            return column.key
    return None


def _read(data: bytes) -> Generator[tuple[int, dict[str, Any]], None, None]:
    """Stream the first sheet: yields (Excel row number, {column key: raw value}) for non-blank rows."""
    check_size(len(data))
    if not data.startswith(b"PK\x03\x04"):
        raise _not_excel()
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises a dozen different errors on damaged or foreign files
        raise _not_excel() from None
    try:
        sheets = wb.worksheets
        if not sheets:
            raise _not_excel()
        rows = sheets[0].iter_rows(values_only=True)
        try:
            header = next(rows, None) or ()
            index: dict[str, int] = {}
            for position, value in enumerate(header):
                key = _header_key(value)
                if key is not None and key not in index:
                    index[key] = position
            missing = [c.header for c in COLUMNS if c.required and c.key not in index]
            if missing:
                raise ImportFileError(_("缺少必填列：%(columns)s。请使用导入模板的表头。") % {"columns": "、".join(missing)})
            count = 0
            for number, cells in enumerate(rows, start=2):
                if not any(v is not None and str(v).strip() for v in cells):
                    continue
                count += 1
                if count > MAX_ROWS:
                    raise ImportFileError(_("数据超过 %(max)s 行的上限，请拆分后分批导入。") % {"max": f"{MAX_ROWS:,}"})
                yield number, {key: cells[pos] if pos < len(cells) else None for key, pos in index.items()}
        except ImportFileError:
            raise
        except Exception:
            raise _not_excel() from None
    finally:
        wb.close()


def check_file(data: bytes) -> None:
    """The cheap checks at upload: size, readable Excel, required headers, at least one data row."""
    rows = _read(data)
    try:
        if next(rows, None) is None:
            raise ImportFileError(_("文件中没有数据行。"))
    finally:
        rows.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip()


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


def _date(value: Any) -> date | None:
    """Excel dates, and text like 2001-07-01, 2001/7/1, 2001.7.1, 2001年7月1日 or 20010701."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value) if isinstance(value, int | float) else str(value).strip()
    parts: tuple[str, ...]
    if re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    elif match := _DATE_TEXT.match(text):
        parts = match.groups()
    else:
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


# ---- validation --------------------------------------------------------------------------------


def _may(actor: User, action: str, org: Organization) -> bool:
    return can(actor, MATRIX["registry.import"], org) and can(actor, MATRIX[action], org)


def _parse(number: int, raw: dict[str, Any], errors: list[RowError]) -> ImportRow:
    """Cell-by-cell checks that need no database."""
    row = ImportRow(number)
    v = row.values

    failed: set[str] = set()

    def fail(key: str, message: str) -> None:
        failed.add(key)
        errors.append(RowError(number, HEADER[key], message))

    for key in ("name", "ethnicity", "address", "organization", "branch", "post_org"):
        v[key] = _text(raw.get(key))
    limits = {"name": 50, "ethnicity": 20, "address": 200}
    if not v["name"]:
        fail("name", _("姓名不能为空。"))
    for key, limit in limits.items():
        if len(v[key]) > limit:
            fail(key, _("内容过长，最多 %(n)d 个字。") % {"n": limit})
    if not v["organization"]:
        fail("organization", _("所属组织编码不能为空。"))

    gender = _text(raw.get("gender"))
    v["gender"] = GENDERS.get(gender, "")
    if not v["gender"]:
        fail("gender", _("性别应填写“男”或“女”。") if gender else _("性别不能为空。"))

    v["id_number"] = ""
    raw_id = raw.get("id_number")
    if isinstance(raw_id, int | float):
        fail("id_number", _("身份证号被存成了数字，末几位可能已丢失；请将该列设为文本格式后重新填写。"))
    elif not _text(raw_id):
        fail("id_number", _("身份证号不能为空。"))
    else:
        try:
            v["id_number"] = normalize_id_number(_text(raw_id))
        except ValidationError as exc:
            fail("id_number", exc.messages[0])

    v["phone"] = ""
    if phone := _text(raw.get("phone")):
        try:
            v["phone"] = normalize_phone(phone)
        except ValidationError as exc:
            fail("phone", exc.messages[0])

    education = _text(raw.get("education"))
    v["education"] = EDUCATIONS.get(education, "")
    if education and not v["education"]:
        fail("education", _("学历应为：%(choices)s。") % {"choices": "、".join(EDUCATION_CHOICES)})

    for key in DATE_COLUMNS:
        try:
            v[key] = _date(raw.get(key))
        except ValueError:
            v[key] = None
            fail(key, _("无法识别的日期“%(value)s”，请填写如 2001-07-01 的日期。") % {"value": _text(raw.get(key))})

    if v["id_number"]:
        born = birth_date_from_id(v["id_number"])
        if v["birth_date"] is not None and v["birth_date"] != born:
            fail("birth_date", _("出生日期与身份证号中的出生日期（%(date)s）不一致。") % {"date": born.isoformat()})
        v["birth_date"] = born
        # GB 11643-1999: the 17th digit is odd for men and even for women.
        implied = Gender.MALE if int(v["id_number"][16]) % 2 else Gender.FEMALE
        if v["gender"] and v["gender"] != implied:
            fail("gender", _("性别与身份证号不一致（身份证号第17位为奇数是男性，偶数是女性）。"))

    stage = _text(raw.get("stage"))
    v["stage"] = _stages().get(stage, "")
    if stage and not v["stage"]:
        fail("stage", _("发展阶段应为：%(choices)s。") % {"choices": "、".join(_stages())})
    has_dates = any(v[f] is not None for f in STAGE_DATE_FIELD.values())
    if v["branch"] and not stage:
        fail("stage", _("填写了党组织编码时须填写发展阶段。"))
    if not v["branch"] and (stage or has_dates):
        fail("branch", _("填写了发展阶段或入党相关日期时须填写党组织编码。"))

    role = _text(raw.get("role"))
    v["role"] = _roles().get(role, "")
    if role and not v["role"]:
        fail("role", _("未知的职务“%(role)s”。可填写：%(choices)s。") % {"role": role, "choices": "、".join(_roles())})
    if role:
        if not v["post_org"]:
            fail("post_org", _("填写职务时须填写任职组织编码。"))
        if v["post_start"] is None and "post_start" not in failed:
            fail("post_start", _("填写职务时须填写任职日期。"))
    elif v["post_org"] or v["post_start"] is not None:
        fail("role", _("填写了任职组织编码或任职日期时须填写职务。"))
    return row


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _load_orgs(codes: set[str]) -> dict[str, Organization]:
    found: dict[str, Organization] = {}
    for chunk in _chunks(sorted(codes)):
        found |= {o.code: o for o in Organization.objects.filter(code__in=chunk)}
    return found


def _load_people(hashes: set[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    related = ("organization", "member__branch", "member__work_unit", "member__residence_community")
    for chunk in _chunks(sorted(hashes)):
        found |= {p.id_number_hash: p for p in Person.objects.filter(id_number_hash__in=chunk).select_related(*related)}
    return found


def _open_posts(person_ids: list[int]) -> set[tuple[int, int, str]]:
    found: set[tuple[int, int, str]] = set()
    for start in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[start : start + _CHUNK]
        found |= set(Post.objects.filter(person_id__in=chunk, end_date__isnull=True).values_list("person_id", "organization_id", "role"))
    return found


def _check_against_registry(actor: User, row: ImportRow, orgs: dict[str, Organization], errors: list[RowError]) -> None:
    """Scope, organization kinds and what the row would change, against what is already recorded."""
    v = row.values

    def fail(key: str, message: str) -> None:
        errors.append(RowError(row.row, HEADER[key], message))

    hidden = _("组织编码不存在或不在您的管辖范围内。")
    # Scope first, so a kind message can never tell an outsider that a code exists.
    for key, action in (("organization", "person.change"), ("branch", "member.change"), ("post_org", "post.change")):
        code = v[key]
        if not code:
            continue
        org = orgs.get(code)
        if org is None or not _may(actor, action, org):
            fail(key, hidden)
            continue
        setattr(row, key, org)
    if row.organization is not None and row.organization.kind in PARTY_ORG_KINDS:
        fail("organization", _("所属组织应为村（社区）、镇街或单位；党组织的编码请填在“党组织编码”列。"))
        row.organization = None
    if row.branch is not None and (row.branch.kind not in PARTY_ORG_KINDS or row.branch.kind == OrgKind.PARTY_GROUP):
        fail("branch", _("党组织编码应为党委、党总支、党支部或联合党支部的编码。"))
        row.branch = None

    person = row.person
    if person is not None:
        if not _may(actor, "person.change", person.organization):
            fail("id_number", _("该身份证号已登记在您管辖范围以外的人员名下，不能通过导入修改。"))
            return
        if row.organization is not None and person.organization_id != row.organization.pk:
            fail("organization", _("该人员已登记在“%(org)s”，导入不能变更所属组织。") % {"org": person.organization.name})
        row.member = getattr(person, "member", None)

    member = row.member
    if v["branch"] and member is not None:
        if not _may(actor, "member.change", member.branch):
            fail("branch", _("该人员的党组织关系不在您的管辖范围内，不能通过导入修改。"))
        elif row.branch is not None and member.branch_id != row.branch.pk:
            fail("branch", _("该人员的党组织关系在“%(org)s”，导入不能转移组织关系，请办理组织关系转接。") % {"org": member.branch.name})

    if row.branch is not None and v["stage"]:
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
        row.phone_changed = bool(v["phone"]) and person.phone_hash not in fieldcrypto.lookup_hashes(v["phone"])
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


def validate(*, actor: User, data: bytes) -> Report:
    """Read and check every row; nothing is written."""
    errors: list[RowError] = []
    rows: list[ImportRow] = []
    first_row_of: dict[str, int] = {}
    for number, raw in _read(data):
        row = _parse(number, raw, errors)
        if row.values["id_number"]:
            row.id_hashes = fieldcrypto.lookup_hashes(row.values["id_number"])
            first = first_row_of.setdefault(row.id_hashes[0], number)
            if first != number:
                errors.append(RowError(number, HEADER["id_number"], _("与第 %(row)d 行的身份证号重复。") % {"row": first}))
        rows.append(row)
    if not rows:
        raise ImportFileError(_("文件中没有数据行。"))

    codes = {row.values[k] for row in rows for k in ("organization", "branch", "post_org") if row.values[k]}
    orgs = _load_orgs(codes)
    # Mid key rotation a person may still carry the hash of an older key.
    people = _load_people({h for row in rows for h in row.id_hashes})
    for row in rows:
        row.person = next((people[h] for h in row.id_hashes if h in people), None)
        _check_against_registry(actor, row, orgs, errors)

    bad = {e.row for e in errors}
    valid = [row for row in rows if row.row not in bad]
    open_posts = _open_posts(sorted({row.person.pk for row in valid if row.person is not None and row.post_org is not None}))
    counts: Counter[str] = Counter()
    for row in valid:
        _plan(row, open_posts, counts)
    order = {c.header: i for i, c in enumerate(COLUMNS)}
    errors.sort(key=lambda e: (e.row, order.get(e.column, 0)))
    return Report(total=len(rows), rows=valid, errors=errors, counts=counts)


# ---- writing -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    imported: int
    skipped: int
    counts: Counter[str]
    event: Event


def _write(actor: User, row: ImportRow) -> None:
    v = row.values
    person = row.person
    if person is None:
        assert row.organization is not None
        person = person_create(
            actor=actor,
            organization=row.organization,
            name=v["name"],
            gender=v["gender"],
            birth_date=v["birth_date"],
            ethnicity=v["ethnicity"] or "汉族",
            education=v["education"],
            address=v["address"],
            id_number=v["id_number"],
            phone=v["phone"],
        )
    elif row.person_changes or row.phone_changed:
        person = person_update(actor=actor, person=person, phone=v["phone"] if row.phone_changed else None, **row.person_changes)
    if row.member_action in ("create", "update"):
        assert row.branch is not None
        member = row.member
        member_save(
            actor=actor,
            person=person,
            branch=row.branch,
            stage=v["stage"],
            dates=row.member_dates,
            # The file has no columns for these; an update keeps what is recorded.
            work_unit=member.work_unit if member else None,
            residence_community=member.residence_community if member else None,
        )
    if row.post_action == "create":
        assert row.post_org is not None
        post_create(actor=actor, person=person, organization=row.post_org, role=v["role"], start_date=v["post_start"])


def _event_org(actor: User, rows: Iterable[ImportRow]) -> Organization | None:
    """The lowest organization above everything the import touched, so the event is seen where it belongs."""
    paths = {o.path for row in rows for o in (row.organization, row.branch, row.post_org) if o is not None}
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


def import_file(*, actor: User, data: bytes, file_name: str, only_valid: bool) -> ImportResult:
    """Validate again (never trust the preview) and write, all in one transaction."""
    if not can(actor, MATRIX["registry.import"], None):
        raise PermissionDenied(_("您无权导入数据。"))
    with transaction.atomic():
        report = validate(actor=actor, data=data)
        if report.errors and not only_valid:
            raise ImportRefused(
                _("文件中有 %(n)d 行存在错误，未导入任何数据。请修正后重新上传，或选择仅导入有效行。") % {"n": report.invalid}
            )
        if not report.rows:
            raise ImportRefused(_("没有可导入的有效行。"))
        for row in report.rows:
            try:
                _write(actor, row)
            except (ValidationError, PermissionDenied, IntegrityError) as exc:
                # Someone changed the registry between validation and writing; never show database internals.
                detail = "；".join(exc.messages) if isinstance(exc, ValidationError) else _("数据已被他人修改。")
                raise ImportRefused(
                    _("第 %(row)d 行写入失败：%(detail)s 未导入任何数据，请重新检查后再试。") % {"row": row.row, "detail": detail}
                ) from exc
        changes: dict[str, Any] = {
            "file_name": file_name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "mode": "valid_only" if only_valid else "all",
            "rows": report.total,
            "imported": report.valid,
            "skipped": report.invalid,
            **dict(sorted(report.counts.items())),
        }
        event = audit.record(actor=actor, action="registry.import", org=_event_org(actor, report.rows), changes=changes)
    return ImportResult(imported=report.valid, skipped=report.invalid, counts=report.counts, event=event)


# ---- uploads kept between preview and confirm ----------------------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_MAGIC = b"JCIMP1"


@dataclass
class Upload:
    token: str
    user_id: int
    file_name: str
    sha256: str
    data: bytes


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _paths(token: str) -> tuple[Path, Path, Path]:
    base = _upload_dir()
    return base / f"{token}.xlsx.enc", base / f"{token}.json", base / f"{token}.lock"


def _seal(token: str, data: bytes) -> bytes:
    key = fieldcrypto.keys()[0]
    nonce = os.urandom(12)
    # The token is bound in as associated data, so files cannot be swapped between tokens.
    return _MAGIC + key.key_id.encode() + nonce + key.aead.encrypt(nonce, data, token.encode())


def _unseal(token: str, blob: bytes) -> bytes:
    if not blob.startswith(_MAGIC):
        raise ValueError("not an upload")
    key_id, nonce, body = blob[6:14].decode(), blob[14:26], blob[26:]
    configured = fieldcrypto.keys()
    for key in configured:
        if key.key_id == key_id:
            return key.aead.decrypt(nonce, body, token.encode())
    raise ValueError("unknown key")


def _write_private(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def save_upload(*, user: User, file_name: str, data: bytes) -> str:
    purge_stale_uploads()
    token = secrets.token_urlsafe(32)
    blob_path, meta_path, _lock = _paths(token)
    meta = {
        "user_id": user.pk,
        "file_name": file_name[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "at": time.time(),
    }
    _write_private(blob_path, _seal(token, data))
    _write_private(meta_path, json.dumps(meta, ensure_ascii=False).encode())
    return token


def load_upload(*, user: User, token: str) -> Upload | None:
    """The upload behind a token, only for the user who made it; anything else is None (a 404)."""
    if not _TOKEN.fullmatch(token):
        return None
    blob_path, meta_path, _lock = _paths(token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("user_id") != user.pk:
            return None
        data = _unseal(token, blob_path.read_bytes())
    except (OSError, ValueError, KeyError, InvalidTag):  # missing, damaged or tampered: the same 404
        return None
    return Upload(
        token=token, user_id=meta["user_id"], file_name=str(meta.get("file_name", "")), sha256=str(meta.get("sha256", "")), data=data
    )


def claim_upload(token: str) -> bool:
    """Take the upload for one confirm; a double submit gets False instead of a second import."""
    try:
        os.close(os.open(_paths(token)[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def release_upload(token: str) -> None:
    _paths(token)[2].unlink(missing_ok=True)


def delete_upload(token: str) -> None:
    for path in _paths(token):
        path.unlink(missing_ok=True)


def purge_stale_uploads(max_age: int = UPLOAD_TTL_SECONDS) -> None:
    """Uploads hold personal data; nothing is kept longer than a day."""
    limit = time.time() - max_age
    for path in _upload_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def errors_workbook(errors: list[RowError]) -> bytes:
    """The full error list as a spreadsheet, for files with more errors than the page shows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误清单")
    ws.append(["行号", "列", "错误说明"])
    for error in errors:
        ws.append([error.row, error.column, error.message])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
