"""Printable notices and their public verification (issue #3, "Notices anyone can verify").

When a notice is published its content hash is written twice: on the notice row and in the audit
ledger's publish event (`services.notice_publish`). The printed notice carries its short code and,
in its QR code, the first 12 hex of the hash of the printed text. The public page then tells a
resident whether the paper, the stored row and the ledger still say the same thing.
"""

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from jiceng.audit.models import Event, LedgerHead
from jiceng.audit.services import recompute_hash
from jiceng.decisions import services
from jiceng.decisions.models import Notice, NoticeKind
from jiceng.orgs.models import Organization, OrgKind

CONSISTENT = "公告与登记一致"
TAMPERED = "公告内容与登记不一致，可能被篡改"
NOT_FOUND = "未找到该核验码对应的公告"

# The ledger action written by services.notice_publish for each kind of notice.
PUBLISH_ACTION: dict[str, str] = {NoticeKind.RESOLUTION: "decision.publish_resolution", NoticeKind.RESULT: "decision.publish_result"}
QR_HASH_CHARS = 12
PRINTED_HASH_CHARS = 16
# A shorter prefix from a hand-edited link would match by chance (1 in 16 per character).
MIN_PREFIX = 8
_HEX = re.compile(r"[0-9a-f]+")
_CODE_MAX = Notice._meta.get_field("code").max_length or 12

FONT = "STSong-Light"  # an Adobe CID font every PDF reader has: no font file to ship
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


# ---- codes and dates ----------------------------------------------------------------------------


def normalize_code(raw: str) -> str:
    """What a resident typed, as stored: full-width letters folded (NFKC), spaces and dashes dropped, upper case."""
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Pd").upper()


def find(code: str) -> Notice | None:
    code = normalize_code(code)
    if not code or len(code) > _CODE_MAX:
        return None
    return Notice.objects.select_related("decision__village").filter(code=code).first()


def last_day(notice: Notice) -> date:
    """The last day on the board: `ends_on` is the first day off it (see Notice.on_notice)."""
    return notice.ends_on - timedelta(days=1)


def state(notice: Notice, today: date) -> str:
    if today < notice.published_on:
        return "尚未开始公示"
    return "公示中" if notice.on_notice(today) else "公示期已满"


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def issuer(village: Organization) -> str:
    """Who signs the notice: the villagers' or residents' committee (组织法第三十条)."""
    committee = "居民委员会" if village.kind == OrgKind.COMMUNITY else "村民委员会"
    return f"{village.name}{committee}"


def town_of(village: Organization) -> Organization | None:
    return Organization.objects.filter(path=village.path[: -Organization.steplen]).first() if village.depth > 1 else None


# ---- verification -------------------------------------------------------------------------------


def recompute(notice: Notice) -> str:
    return services.notice_hash(
        village_code=notice.decision.village.code,
        decision_id=notice.decision_id,
        kind=notice.kind,
        title=notice.title,
        body=notice.body,
        published_on=notice.published_on,
        notice_days=notice.notice_days,
    )


def publish_event(notice: Notice) -> Event | None:
    events = Event.objects.filter(object_type="decisions.decision", object_id=str(notice.decision_id), action=PUBLISH_ACTION[notice.kind])
    return next((e for e in events.order_by("seq") if isinstance(e.changes, dict) and e.changes.get("notice") == notice.code), None)


def event_intact(event: Event) -> bool:
    """The event still hashes to its stored hash and the next link of the chain points at it.

    A local check, cheap enough for a public page; `manage.py verify_ledger` checks the whole chain.
    """
    if recompute_hash(event) != event.hash:
        return False
    # One query: the next event's back link or, for the last event, the ledger head.
    successor = Event.objects.filter(seq=event.seq + 1).order_by().values_list("prev_hash", flat=True)
    tail = LedgerHead.objects.filter(id=1, seq=event.seq).order_by().values_list("hash", flat=True)
    return list(successor.union(tail, all=True)) == [event.hash]


@dataclass(frozen=True)
class Check:
    notice: Notice
    recomputed: str
    ledger_hash: str | None
    problems: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        return CONSISTENT if self.consistent else TAMPERED


def check(notice: Notice, printed: str | None = None) -> Check:
    """Compare the stored notice with its own hash, with the ledger, and with the hash printed in the QR code."""
    problems: list[str] = []
    recomputed = recompute(notice)
    if recomputed != notice.content_hash:
        problems.append("公告记录被改动：现有内容与其登记的哈希不符。")
    event = publish_event(notice)
    ledger_hash = None
    if event is None:
        problems.append("审计账本中没有该核验码的发布记录。")
    else:
        ledger_hash = str(event.changes.get("content_hash", ""))
        if not event_intact(event):
            problems.append("审计账本中的发布记录已被改动。")
        if ledger_hash != recomputed:
            problems.append("公告现有内容与审计账本中登记的哈希不符。")
    if printed:
        prefix = printed.strip().lower()
        reference = ledger_hash or notice.content_hash
        if len(prefix) < MIN_PREFIX or not _HEX.fullmatch(prefix) or not reference.startswith(prefix):
            problems.append("打印件二维码中的哈希与登记不符：打印件可能被改动或替换。")
    return Check(notice=notice, recomputed=recomputed, ledger_hash=ledger_hash, problems=tuple(problems))


# ---- the printable PDF --------------------------------------------------------------------------


def qr_hash(notice: Notice) -> str:
    """The hash fragment of the QR link: of the text as printed, so a printed copy of an altered row does not pass."""
    return recompute(notice)[:QR_HASH_CHARS]


def filename(notice: Notice) -> str:
    return f"{notice.decision.village.name}-{notice.get_kind_display()}-{notice.code}.pdf"


def content_disposition(name: str, fallback: str) -> str:
    """RFC 6266 with an RFC 5987 `filename*` for the Chinese name and an ASCII name for old clients."""
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=12, leading=20, wordWrap="CJK")
    return {
        "issuer": ParagraphStyle("issuer", parent=base, fontSize=14, leading=20, alignment=TA_CENTER),
        "kind": ParagraphStyle("kind", parent=base, fontSize=26, leading=36, alignment=TA_CENTER, spaceBefore=4, spaceAfter=4),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=22, alignment=TA_CENTER, spaceAfter=14),
        # Chinese paragraphs indent their first line by two characters.
        "body": ParagraphStyle("body", parent=base, firstLineIndent=24, spaceAfter=4),
        "meta": ParagraphStyle("meta", parent=base, spaceBefore=2),
        "sign": ParagraphStyle("sign", parent=base, alignment=TA_RIGHT),
        "label": ParagraphStyle("label", parent=base, fontSize=10, leading=14),
        "code": ParagraphStyle("code", fontName="Helvetica-Bold", fontSize=30, leading=36),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=13),
    }


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def render_pdf(notice: Notice, *, verify_url: str, form_url: str, compress: bool = True) -> bytes:
    """An A4 notice for the board. The same notice always gives the same bytes (reportlab's invariant mode)."""
    village = notice.decision.village
    town = town_of(village)
    kind = str(notice.get_kind_display())
    printed_hash = recompute(notice)
    s = _styles()

    def paragraph(text: str, style: str) -> Paragraph:
        return Paragraph(escape(text), s[style])

    story: list[Any] = [
        paragraph(f"{town.name} {village.name}" if town else village.name, "issuer"),
        paragraph(kind, "kind"),
    ]
    if notice.title.strip() != kind:
        story.append(paragraph(notice.title, "title"))
    else:
        story.append(Spacer(1, 10))
    story += [paragraph(line.strip(), "body") for line in notice.body.splitlines() if line.strip()]
    story += [
        Spacer(1, 10),
        paragraph(f"公开日期：{cn_date(notice.published_on)}", "meta"),
        paragraph(f"公示期：{cn_date(notice.published_on)}至{cn_date(last_day(notice))}（共{notice.notice_days}天）", "meta"),
        Spacer(1, 16),
        paragraph(issuer(village), "sign"),
        paragraph(cn_date(notice.published_on), "sign"),
        Spacer(1, 18),
    ]
    qr_size = 34 * mm
    href = escape(verify_url, {'"': "&quot;"})
    details = [
        paragraph("核验码", "label"),
        # The code is also a link, for a copy opened on screen rather than printed.
        Paragraph(f'<a href="{href}">{escape(notice.code)}</a>', s["code"]),
        Paragraph(f"内容哈希（SHA-256）前16位：<font name='Courier'>{printed_hash[:PRINTED_HASH_CHARS]}</font>", s["small"]),
        Paragraph(f"扫码或访问 <font name='Helvetica'>{escape(form_url)}</font> 输入核验码可核对公告是否与登记一致", s["small"]),
    ]
    box = Table([[_qr(verify_url, qr_size), details]], colWidths=[qr_size + 6 * mm, None])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story.append(KeepTogether([box]))

    footer = f"{village.name}　{kind}　核验码 {notice.code}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{footer}　第 {doc.page} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"{kind}：{notice.title}",
        author=issuer(village),
        subject=f"核验码 {notice.code}",
        creator="基层 Jiceng",
        invariant=1,  # fixed dates and document id: no timestamp other than the notice's own
        pageCompression=1 if compress else 0,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
