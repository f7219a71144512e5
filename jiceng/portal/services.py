"""Writes of the portal. Each runs in one transaction with its audit event; messages to residents
go out after commit through the SMS gateway of jiceng.needs.otp."""

import hashlib
import hmac
import io
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from jiceng.accounts.access import can
from jiceng.accounts.models import User
from jiceng.audit.services import record
from jiceng.lib import fieldcrypto, throttle
from jiceng.lib.validators import normalize_phone
from jiceng.needs import otp
from jiceng.orgs.models import Organization
from jiceng.portal import access, sanitize
from jiceng.portal.models import (
    Article,
    ArticleStatus,
    ArticleView,
    Category,
    Comment,
    CommentReply,
    CommentStatus,
    Consultation,
    Disclosure,
)

COVER_MAX_WIDTH = 1200
# Per phone: codes and submissions an hour (besides the per-minute limit per address in the views).
PHONE_POSTS_PER_HOUR = 5
COMMENT_PURPOSE = "portal-comment"
CONSULT_PURPOSE = "portal-consult"


def require(actor: User, action: str, org: Organization) -> None:
    if not can(actor, access.roles(action), org):
        raise PermissionDenied


# ---- news ------------------------------------------------------------------------------------


def resize_cover(upload: UploadedFile) -> ContentFile:
    """A JPEG at most COVER_MAX_WIDTH wide; anything Pillow cannot read is refused."""
    if (upload.size or 0) > settings.MAX_UPLOAD_MB * 1024 * 1024:
        raise ValidationError({"cover": f"图片超过 {settings.MAX_UPLOAD_MB} MB。"})
    try:
        with Image.open(upload) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
            if picture.width > COVER_MAX_WIDTH:
                picture = picture.resize((COVER_MAX_WIDTH, round(picture.height * COVER_MAX_WIDTH / picture.width)))
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=82, optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError({"cover": "封面只能是 JPG、PNG 或 WEBP 图片。"}) from exc
    return ContentFile(out.getvalue(), name="cover.jpg")


def article_save(
    *,
    actor: User,
    organization: Organization,
    title: str,
    body: str,
    category: Category | None = None,
    cover: UploadedFile | None = None,
    article: Article | None = None,
) -> Article:
    """Create a draft, or edit an article (its status stays as it was)."""
    require(actor, "news.manage", organization)
    if article is not None:
        require(actor, "news.manage", article.organization)
    image = resize_cover(cover) if cover else None
    with transaction.atomic():
        created = article is None
        if article is None:
            article = Article(created_by=actor)
        article.organization, article.title, article.body, article.category = organization, title, sanitize.clean(body), category
        if image is not None:
            article.cover.save(image.name or "cover.jpg", image, save=False)
        article.save()
        record(
            actor=actor,
            action="portal.article_create" if created else "portal.article_edit",
            obj=article,
            org=organization,
            changes={"title": title},
        )
    return article


def article_set_status(
    *, actor: User, article: Article, status: str, publish_at: datetime | None = None, now: datetime | None = None
) -> Article:
    """Publish now, schedule for later, or unpublish. `now` is the clock (the demo back-dates with it)."""
    require(actor, "news.manage", article.organization)
    now = now or timezone.now()
    if status == ArticleStatus.SCHEDULED:
        if publish_at is None or publish_at <= now:
            raise ValidationError({"publish_at": "定时发布的时间须晚于现在。"})
    elif status == ArticleStatus.PUBLISHED:
        publish_at = now
    elif status == ArticleStatus.UNPUBLISHED:
        publish_at = article.publish_at
    else:
        raise ValidationError("不支持的操作。")
    with transaction.atomic():
        old = article.status
        article.status, article.publish_at = status, publish_at
        article.save(update_fields=["status", "publish_at", "updated_at"])
        record(
            actor=actor,
            action="portal.article_status",
            obj=article,
            org=article.organization,
            changes={"status": [old, status], "publish_at": publish_at},
        )
    return article


def reader_key(ip: str, user_agent: str, day: date) -> str:
    """Keyed with the server secret, and the date inside: yesterday's hash says nothing about today's."""
    message = f"{ip}|{user_agent}|{day.isoformat()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def count_view(*, article: Article, ip: str, user_agent: str, day: date | None = None) -> bool:
    """Count a reader once per article per day; True if this read was counted."""
    day = day or timezone.localdate()
    try:
        with transaction.atomic():
            ArticleView.objects.create(article=article, day=day, reader=reader_key(ip, user_agent, day))
            Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    except IntegrityError:
        return False
    return True


# ---- verified phones -------------------------------------------------------------------------


def _phone_flood(phone: str, purpose: str) -> None:
    if not throttle.hit(f"{purpose}:phone:{fieldcrypto.lookup_hash(phone)}", PHONE_POSTS_PER_HOUR, 3600):
        raise ValidationError({"phone": "该手机号提交过于频繁，请一小时后再试。"})


def send_code(*, phone: str, purpose: str, now: datetime | None = None) -> str:
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    _phone_flood(phone, purpose)
    otp.send_code(phone=phone, purpose=purpose, now=now)
    return phone


def _verified(phone: str, purpose: str, code: str, now: datetime | None) -> str:
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    _phone_flood(phone, purpose)
    otp.check_code(phone=phone, purpose=purpose, code=code, now=now)
    return phone


def _tell(phone_encrypted: str, message: str) -> None:
    phone = fieldcrypto.decrypt(phone_encrypted)
    transaction.on_commit(lambda: otp.gateway().send(phone, message))


# ---- comments --------------------------------------------------------------------------------


def comment_submit(*, article: Article, phone: str, code: str, body: str, nickname: str = "", now: datetime | None = None) -> Comment:
    """A comment from a phone checked by a one-time code; held until staff approve it."""
    now = now or timezone.now()
    if not article.is_live(now):
        raise ValidationError("该文章不接受评论。")
    phone = _verified(phone, COMMENT_PURPOSE, code, now)
    with transaction.atomic():
        comment = Comment.objects.create(
            article=article,
            nickname=nickname.strip()[:20],
            body=body.strip(),
            phone_encrypted=fieldcrypto.encrypt(phone),
            phone_hash=fieldcrypto.lookup_hash(phone),
            phone_masked=fieldcrypto.mask_phone(phone),
            created_at=now,
        )
        record(actor=None, action="portal.comment_submit", obj=comment, org=article.organization)
    return comment


def comment_moderate(*, actor: User, comment: Comment, approve: bool, reason: str = "", now: datetime | None = None) -> Comment:
    require(actor, "comment.moderate", comment.article.organization)
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": "不通过时须说明理由，理由会以短信告知评论人。"})
    new = CommentStatus.APPROVED if approve else CommentStatus.REJECTED
    with transaction.atomic():
        # Compare-and-swap: two moderators at once, only one decision (and one SMS).
        changed = Comment.objects.filter(pk=comment.pk, status=CommentStatus.PENDING).update(
            status=new, reason=reason, moderated_by=actor, moderated_at=now or timezone.now()
        )
        if changed != 1:
            raise ValidationError("该评论已审核。")
        comment.refresh_from_db()
        record(
            actor=actor,
            action="portal.comment_moderate",
            obj=comment,
            org=comment.article.organization,
            changes={"status": [CommentStatus.PENDING, new], "reason": reason},
        )
        title = comment.article.title[:20]
        if approve:
            _tell(comment.phone_encrypted, f"您对《{title}》的评论已通过审核并公开显示。{('说明：' + reason) if reason else ''}")
        else:
            _tell(comment.phone_encrypted, f"您对《{title}》的评论未通过审核，原因：{reason}")
    return comment


def comment_reply(*, actor: User, comment: Comment, body: str, now: datetime | None = None) -> CommentReply:
    require(actor, "comment.moderate", comment.article.organization)
    if comment.status != CommentStatus.APPROVED:
        raise ValidationError("只能回复已通过审核的评论。")
    if not body.strip():
        raise ValidationError({"body": "请填写回复内容。"})
    with transaction.atomic():
        reply = CommentReply.objects.create(comment=comment, author=actor, body=body.strip(), created_at=now or timezone.now())
        record(actor=actor, action="portal.comment_reply", obj=reply, org=comment.article.organization)
    return reply


# ---- disclosures -----------------------------------------------------------------------------


def disclosure_publish(
    *,
    actor: User,
    village: Organization,
    domain: str,
    category: str,
    title: str,
    body: str,
    period_start: date,
    period_end: date,
    published_on: date | None = None,
) -> Disclosure:
    require(actor, "disclosure.manage", village)
    if village.kind not in ("village", "community"):
        raise ValidationError({"village": "公开事项须属于村（社区）。"})
    if period_end < period_start:
        raise ValidationError({"period_end": "所属期止不能早于所属期起。"})
    with transaction.atomic():
        item = Disclosure.objects.create(
            village=village,
            domain=domain,
            category=category,
            title=title,
            body=body,
            period_start=period_start,
            period_end=period_end,
            published_on=published_on or timezone.localdate(),
            created_by=actor,
        )
        record(actor=actor, action="portal.disclosure_publish", obj=item, org=village, changes={"category": category, "domain": domain})
    return item


# ---- consultation ----------------------------------------------------------------------------


def consultation_submit(*, organization: Organization, phone: str, code: str, question: str, now: datetime | None = None) -> Consultation:
    now = now or timezone.now()
    phone = _verified(phone, CONSULT_PURPOSE, code, now)
    with transaction.atomic():
        item = Consultation.objects.create(
            organization=organization,
            question=question.strip(),
            phone_encrypted=fieldcrypto.encrypt(phone),
            phone_hash=fieldcrypto.lookup_hash(phone),
            phone_masked=fieldcrypto.mask_phone(phone),
            created_at=now,
        )
        record(actor=None, action="portal.consultation_submit", obj=item, org=organization)
    return item


def consultation_answer(*, actor: User, item: Consultation, answer: str, publish: bool, now: datetime | None = None) -> Consultation:
    require(actor, "consultation.answer", item.organization)
    if not answer.strip():
        raise ValidationError({"answer": "请填写答复。"})
    with transaction.atomic():
        first = not item.answer
        item.answer, item.is_public, item.answered_by, item.answered_at = answer.strip(), publish, actor, now or timezone.now()
        item.save(update_fields=["answer", "is_public", "answered_by", "answered_at"])
        record(actor=actor, action="portal.consultation_answer", obj=item, org=item.organization, changes={"is_public": publish})
        if first:
            _tell(item.phone_encrypted, f"您向{item.organization.name}的咨询已答复：{item.answer[:200]}")
    return item
