"""Excel export of the registry lists, limited to the viewer's scope, each export audited.

The filter functions here are the ones the list pages use too, so a download always holds what
the page showed. Exports carry masked ID numbers and phones only (domain.md §9.1).
"""

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from jiceng.accounts.access import scope, user_grants
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.orgs.access import MATRIX
from jiceng.orgs.models import STAGE_DATE_FIELD, STAGE_ORDER, Formation, Member, Organization, OrgKind, Person, Post, Stage
from jiceng.orgs.selectors import filter_members, filter_people, filter_posts, used_filters

# ---- writing the workbook ------------------------------------------------------------------------


@dataclass
class Export:
    file: IO[bytes]
    filename: str
    rows: int


def _cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    # openpyxl writes a string starting with "=" as a formula; a name like "=HYPERLINK(...)" must stay
    # text (Excel injection). Other values go in as they are: a cell object per value costs a third of the export.
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _workbook(title: str, headers: list[tuple[str, int]], rows: Iterable[list[Any]]) -> tuple[IO[bytes], int]:
    """Write-only workbook spooled to a temporary file, so memory stays flat however many rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for index, (_header, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header, _width in headers:
        cell = WriteOnlyCell(ws, _(header))
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    count = 0
    for values in rows:
        ws.append([_cell(ws, v) for v in values])
        count += 1
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- the FileResponse closes it once sent
    wb.save(out)
    out.seek(0)
    return out, count


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _audit(actor: User, which: str, params: Mapping[str, str], rows: int, org: Organization | None) -> None:
    if org is None:
        grants = [g for g in user_grants(actor) if g.role in MATRIX["registry.export"]]
        org = grants[0].organization if len(grants) == 1 else None
    changes = {"list": which, "filters": used_filters(params), "rows": rows}
    with transaction.atomic():
        audit.record(actor=actor, action="registry.export", org=org, changes=changes)


def _filename(label: str) -> str:
    return f"{label}-{timezone.localdate():%Y%m%d}.xlsx"


# ---- the three lists -----------------------------------------------------------------------------

MEMBER_HEADERS = [
    (N_("姓名"), 10),
    (N_("性别"), 6),
    (N_("身份证号"), 22),
    (N_("手机号"), 14),
    (N_("所在党组织"), 20),
    (N_("党组织编码"), 18),
    (N_("发展阶段"), 12),
    (N_("申请入党日期"), 14),
    (N_("确定积极分子日期"), 14),
    (N_("确定发展对象日期"), 14),
    (N_("接收预备党员日期"), 14),
    (N_("转正日期"), 14),
    (N_("所属组织"), 16),
]


def members_queryset(actor: User, params: Mapping[str, str], within: Organization | None = None) -> QuerySet[Member]:
    qs = scope(Member.objects.all(), actor, MATRIX["registry.export"], "branch__path")
    if within is not None:
        qs = qs.filter(branch__path__startswith=within.path)
    qs = filter_members(qs, params)
    return qs.select_related("person", "person__organization", "branch").order_by("branch__path", "person__name_initials", "pk")


def export_members(*, actor: User, params: Mapping[str, str], within: Organization | None = None) -> Export:
    """Members in the actor's scope (and under `within`, which the caller has checked is in scope)."""
    file, count = _workbook(_("党员名册"), MEMBER_HEADERS, _member_rows(members_queryset(actor, params, within)))
    _audit(actor, "members", params, count, within)
    return Export(file=file, filename=_filename(_("党员名册") if within is None else f"{_('党员名册')}-{within.name}"), rows=count)


def _member_rows(qs: QuerySet[Member]) -> Iterable[list[Any]]:
    for m in qs.iterator(chunk_size=2000):
        p = m.person
        dates = [getattr(m, STAGE_DATE_FIELD[s]) for s in STAGE_ORDER]
        yield [
            p.name,
            p.get_gender_display(),
            p.id_number_masked,
            p.phone_masked,
            m.branch.name,
            m.branch.code,
            _label(Stage, m.stage),
            *dates,
            p.organization.name,
        ]


PEOPLE_HEADERS = [
    (N_("姓名"), 10),
    (N_("性别"), 6),
    (N_("身份证号"), 22),
    (N_("手机号"), 14),
    (N_("出生日期"), 12),
    (N_("民族"), 8),
    (N_("学历"), 10),
    (N_("住址"), 30),
    (N_("所属组织"), 16),
    (N_("所属组织编码"), 16),
    (N_("党组织"), 20),
    (N_("发展阶段"), 12),
]


def people_queryset(actor: User, params: Mapping[str, str]) -> QuerySet[Person]:
    qs = scope(Person.objects.all(), actor, MATRIX["registry.export"], "organization__path")
    qs = filter_people(qs, params)
    return qs.select_related("organization", "member", "member__branch").order_by("organization__path", "name_initials", "pk")


def _people_rows(qs: QuerySet[Person]) -> Iterable[list[Any]]:
    for p in qs.iterator(chunk_size=2000):
        member = getattr(p, "member", None)
        yield [
            p.name,
            p.get_gender_display(),
            p.id_number_masked,
            p.phone_masked,
            p.birth_date,
            p.ethnicity,
            p.get_education_display(),
            p.address,
            p.organization.name,
            p.organization.code,
            member.branch.name if member else "",
            _label(Stage, member.stage) if member else "",
        ]


def export_people(*, actor: User, params: Mapping[str, str]) -> Export:
    file, count = _workbook(_("人员名册"), PEOPLE_HEADERS, _people_rows(people_queryset(actor, params)))
    _audit(actor, "people", params, count, None)
    return Export(file=file, filename=_filename(_("人员名册")), rows=count)


POST_HEADERS = [
    (N_("姓名"), 10),
    (N_("身份证号"), 22),
    (N_("任职组织"), 20),
    (N_("任职组织编码"), 18),
    (N_("职务"), 14),
    (N_("任职日期"), 12),
    (N_("离任日期"), 12),
    (N_("选举产生"), 8),
]


def posts_queryset(actor: User, params: Mapping[str, str]) -> QuerySet[Post]:
    qs = scope(Post.objects.all(), actor, MATRIX["registry.export"], "organization__path")
    qs = filter_posts(qs, params)
    return qs.select_related("person", "organization").order_by("organization__path", "role", "start_date", "pk")


def _post_rows(qs: QuerySet[Post]) -> Iterable[list[Any]]:
    for post in qs.iterator(chunk_size=2000):
        yield [
            post.person.name,
            post.person.id_number_masked,
            post.organization.name,
            post.organization.code,
            post.get_role_display(),
            post.start_date,
            post.end_date,
            _("是") if post.elected else _("否"),
        ]


def export_posts(*, actor: User, params: Mapping[str, str]) -> Export:
    file, count = _workbook(_("职务名册"), POST_HEADERS, _post_rows(posts_queryset(actor, params)))
    _audit(actor, "posts", params, count, None)
    return Export(file=file, filename=_filename(_("职务名册")), rows=count)


ORG_HEADERS = [
    (N_("编码"), 16),
    (N_("名称"), 24),
    (N_("类型"), 12),
    (N_("上级编码"), 16),
    (N_("党组织组建方式"), 14),
    (N_("所属联合党支部"), 20),
    (N_("地址"), 30),
    (N_("有效"), 6),
]


def orgs_queryset(actor: User, params: Mapping[str, str]) -> QuerySet[Organization]:
    qs = scope(Organization.objects.all(), actor, MATRIX["registry.export"], "path")
    if (kind := params.get("kind", "")) in OrgKind.values:
        qs = qs.filter(kind=kind)
    return qs.select_related("joint_party_org").order_by("path")


def _org_rows(qs: QuerySet[Organization]) -> Iterable[list[Any]]:
    codes: dict[str, str] = {}  # path → code; parents come before children in path order
    steplen = Organization.steplen
    for org in qs.iterator(chunk_size=2000):
        codes[org.path] = org.code
        yield [
            org.code,
            org.name,
            _label(OrgKind, org.kind),
            codes.get(org.path[:-steplen], ""),
            _label(Formation, org.formation) if org.formation else "",
            org.joint_party_org.name if org.joint_party_org else "",
            org.address,
            _("是") if org.is_active else _("否"),
        ]


def export_orgs(*, actor: User, params: Mapping[str, str]) -> Export:
    """Organizations in scope; the parent code of a grant's own top organization is left blank."""
    file, count = _workbook(_("组织名册"), ORG_HEADERS, _org_rows(orgs_queryset(actor, params)))
    _audit(actor, "organizations", params, count, None)
    return Export(file=file, filename=_filename(_("组织名册")), rows=count)
