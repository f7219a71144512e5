"""The household roster from Excel and the results of a sweep to Excel (大排查名册导入、结果导出).

The import lists every bad row (row, column, message) and then writes nothing, like the registry
import (jiceng/orgs/importing.py) but simpler: no preview step, the natural key is (grid, door
number). The export is limited to the grids in the viewer's scope, streamed through a temporary
file, and audited.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook, load_workbook

from jiceng.accounts.access import can
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.grid import access
from jiceng.grid.models import Grid
from jiceng.grid.models_sweeps import Household, SweepCampaign, SweepVisit
from jiceng.grid.sweeps import _check_household, campaign_grids_for_user, require
from jiceng.orgs.exporting import Export, _filename, _workbook
from jiceng.orgs.models import Organization

MAX_IMPORT_ROWS = 20_000


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


IMPORT_HEADERS = ("网格编码", "门牌地址", "户主姓名", "家庭人数")


def households_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "住户名册"
    ws.append(list(IMPORT_HEADERS))
    for col, width in zip("ABCD", (16, 30, 10, 10), strict=True):
        ws.column_dimensions[col].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _read_rows(file: IO[bytes]) -> Iterable[tuple[int, list[Any]]]:
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError({"file": "无法读取该文件：请上传 Excel（.xlsx）文件。"}) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [h for h in IMPORT_HEADERS if h not in header]
    if missing:
        raise ValidationError({"file": f"表头缺少：{'、'.join(missing)}。请使用模板。"})
    index = [header.index(h) for h in IMPORT_HEADERS]
    for number, row in enumerate(rows, start=2):
        values = [row[i] if i < len(row) else None for i in index]
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        if number - 1 > MAX_IMPORT_ROWS:
            raise ValidationError({"file": f"一次最多导入 {MAX_IMPORT_ROWS} 行。"})
        yield number, values


def households_import(*, actor: User, village: Organization, file: IO[bytes], apply: bool = True) -> ImportResult:
    """Import a village's roster from Excel. Every bad row is listed (row, column, message); if any
    row is bad nothing is written. A known (grid, door number) is updated, so a file imported twice
    creates nothing new."""
    require(actor, "sweep.run", village)
    grids = {g.code: g for g in Grid.objects.filter(village=village, is_active=True)}
    result = ImportResult()
    parsed: list[tuple[Grid, str, str, int]] = []
    seen: dict[tuple[int, str], int] = {}
    for number, (code, address, head, count) in _read_rows(file):
        result.rows += 1
        code_s, address_s, head_s = (str(v).strip() if v is not None else "" for v in (code, address, head))
        grid = grids.get(code_s)
        if grid is None:
            result.errors.append(RowError(number, "网格编码", f"“{code_s}”不是{village.name}的网格编码。"))
        try:
            members = 1 if count is None or str(count).strip() == "" else int(Decimal(str(count).strip()))
        except (ArithmeticError, ValueError):
            result.errors.append(RowError(number, "家庭人数", "应为整数。"))
            members = 1
        for key, message in _check_household(address_s, head_s, members).items():
            column = {"address": "门牌地址", "head_name": "户主姓名", "members_count": "家庭人数"}[key]
            result.errors.append(RowError(number, column, message))
        if grid is not None and address_s:
            if (first := seen.get((grid.pk, address_s))) is not None:
                result.errors.append(RowError(number, "门牌地址", f"与第 {first} 行重复。"))
            seen[(grid.pk, address_s)] = number
            parsed.append((grid, address_s, head_s, members))
    if result.errors or not apply:
        return result
    with transaction.atomic():
        existing = {(h.grid_id, h.address): h for h in Household.objects.select_for_update().filter(grid__village=village)}
        new: list[Household] = []
        changed: list[Household] = []
        for grid, address, head, members in parsed:
            known = existing.get((grid.pk, address))
            if known is None:
                new.append(Household(grid=grid, address=address, head_name=head, members_count=members))
            elif (known.head_name, known.members_count) != (head, members):
                known.head_name, known.members_count = head, members
                changed.append(known)
        Household.objects.bulk_create(new)
        Household.objects.bulk_update(changed, ["head_name", "members_count"])
        result.created, result.updated = len(new), len(changed)
        audit.record(
            actor=actor,
            action="household.import",
            org=village,
            changes={"rows": result.rows, "created": result.created, "updated": result.updated},
        )
    return result


# ---- export -------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    (N_("村（社区）"), 14),
    (N_("网格编码"), 16),
    (N_("网格"), 14),
    (N_("门牌地址"), 28),
    (N_("户主"), 10),
    (N_("家庭人数"), 8),
    (N_("轮次"), 6),
    (N_("走访结果"), 10),
]
TAIL_HEADERS = [(N_("发现问题"), 30), (N_("问题状态"), 10), (N_("备注"), 20), (N_("走访人"), 10), (N_("走访时间"), 18)]


def export_results(*, actor: User, campaign: SweepCampaign) -> Export:
    """One row per household and round over the campaign's grids the actor can see, unvisited rounds
    included (blank result); the export is an audit event."""
    questions = list(campaign.questions.all())
    grid_ids = list(campaign_grids_for_user(actor, campaign).values_list("pk", flat=True))
    qs = (
        Household.objects.filter(grid_id__in=grid_ids)
        .select_related("grid__village")
        .prefetch_related(
            Prefetch(
                "visits", queryset=SweepVisit.objects.filter(campaign=campaign).select_related("visited_by"), to_attr="campaign_visits"
            )
        )
        .order_by("grid__code", "address", "pk")
    )
    labels = {"yes": "是", "no": "否"}

    def rows() -> Iterable[list[Any]]:
        for h in qs.iterator(chunk_size=2000):
            by_round = {v.round: v for v in h.campaign_visits}  # type: ignore[attr-defined]
            for r in range(1, campaign.rounds + 1):
                v = by_round.get(r)
                base = [h.grid.village.name, h.grid.code, h.grid.name, h.address, h.head_name, h.members_count, r]
                if v is None:
                    yield [*base, "未走访", *([""] * len(questions)), "", "", "", "", None]
                    continue
                answers = [labels.get(v.answers.get(str(q.pk), ""), v.answers.get(str(q.pk), "")) for q in questions]
                visited_at = timezone.localtime(v.visited_at).replace(tzinfo=None)
                yield [
                    *base,
                    v.get_outcome_display(),
                    *answers,
                    v.finding,
                    v.get_finding_state_display() if v.finding else "",
                    v.note,
                    str(v.visited_by),
                    visited_at,
                ]

    headers = EXPORT_HEADERS + [(q.text, 16) for q in questions] + TAIL_HEADERS
    file, count = _workbook("走访结果", headers, rows())
    org: Organization | None = campaign.organization
    if org is not None and not can(actor, access.roles("grid.view"), org):
        villages = list(Organization.objects.filter(grids__pk__in=grid_ids).distinct()[:2])
        org = villages[0] if len(villages) == 1 else None
    with transaction.atomic():
        audit.record(actor=actor, action="sweep.export", obj=campaign, org=org, changes={"rows": count, "grids": len(grid_ids)})
    return Export(file=file, filename=_filename(f"大排查-{campaign.title}"), rows=count)
