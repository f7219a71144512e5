"""Excel export of a dashboard table and the printable annual report (PDF), each audited.

Both are written from the same `Table` objects the page shows, so a download holds what the page
showed. The tables are aggregates: no personal data leaves with them.
"""

import io
import tempfile
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.dashboard import indicators
from jiceng.decisions.notices import FONT  # registers the STSong-Light CID font

EXPORT_ACTION = "dashboard.export"
REPORT_ACTION = "dashboard.report"


def shown(value: Any) -> Any:
    """A cell as the page, the workbook and the PDF show it: a missing rate is "—"."""
    return indicators.EMPTY if value is None else value


def as_of(when: datetime) -> str:
    return f"{timezone.localtime(when):%Y-%m-%d %H:%M}"


def _audit(actor: User, action: str, board: indicators.Dashboard, changes: dict[str, Any]) -> None:
    with transaction.atomic():
        audit.record(actor=actor, action=action, org=board.within, changes={"year": board.year, **changes})


def export_table(*, actor: User, board: indicators.Dashboard, table: indicators.Table) -> tuple[IO[bytes], str]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table.title[:31])
    ws.append([f"{board.within.name} · {table.title}"])
    ws.append([f"数据截至 {as_of(board.as_of)}"])
    bold = Font(bold=True)
    header = []
    for h in table.headers:
        cell = WriteOnlyCell(ws, h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        out: list[Any] = []
        for value in row:
            v = shown(value)
            if isinstance(v, str):
                cell = WriteOnlyCell(ws, v)
                cell.data_type = "s"  # a name like "=HYPERLINK(...)" stays text (formula injection)
                out.append(cell)
            else:
                out.append(float(v) if isinstance(v, Decimal) else v)
        ws.append(out)
    if table.note:
        ws.append([])
        ws.append([f"说明：{table.note}"])
    file = tempfile.TemporaryFile()  # noqa: SIM115 -- the FileResponse closes it once sent
    wb.save(file)
    file.seek(0)
    _audit(actor, EXPORT_ACTION, board, {"table": table.key, "rows": len(table.rows)})
    return file, f"{board.within.name}-{table.title}-{timezone.localdate(board.as_of):%Y%m%d}.xlsx"


def annual_report(*, actor: User, board: indicators.Dashboard) -> bytes:
    """The indicators of `board` as an A4 PDF with the STSong-Light CID font (no font file shipped)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{board.within.name}{board.year}年度指标报告",
    )
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1, spaceAfter=4 * mm)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=16, spaceBefore=4 * mm, spaceAfter=2 * mm)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    small = ParagraphStyle("small", fontName=FONT, fontSize=7.5, leading=10, textColor=colors.grey)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9.5)
    story: list[Any] = [
        Paragraph(escape(f"{board.within.name}{board.year}年度基层党建与治理指标报告"), title),
        Paragraph(escape(f"数据截至 {as_of(board.as_of)}，由平台根据业务记录汇总计算。"), body),
        Spacer(1, 3 * mm),
    ]
    kpi = [
        [Paragraph(escape(label), cell), Paragraph(escape(f"{shown(value)}{unit if value is not None else ''}"), cell)]
        for label, value, unit in board.kpis
    ]
    story.append(Table(kpi, colWidths=[60 * mm, 40 * mm], style=TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)])))
    width = A4[0] - 30 * mm
    for t in board.tables:
        data = [[Paragraph(escape(h), cell) for h in t.headers]]
        data += [[Paragraph(escape(str(shown(v))), cell) for v in row] for row in t.rows]
        first = width * 0.28 if len(t.headers) > 2 else width * 0.6
        rest = (width - first) / max(len(t.headers) - 1, 1)
        grid = Table(data, colWidths=[first] + [rest] * (len(t.headers) - 1), repeatRows=1)
        grid.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))])
        )
        parts: list[Any] = [Paragraph(escape(t.title), h2), grid]
        if t.note:
            parts.append(Paragraph(escape(t.note), small))
        story.append(KeepTogether(parts) if len(t.rows) < 25 else parts[0])
        if len(t.rows) >= 25:
            story.extend(parts[1:])
    doc.build(story)
    _audit(actor, REPORT_ACTION, board, {"tables": len(board.tables)})
    return buffer.getvalue()
