"""Personal API tokens: create, revoke, authenticate.

A token is `jc_` followed by 43 URL-safe characters (256 bits). Only its SHA-256 is stored, so a
leaked database does not yield working tokens; a plain hash (not a slow KDF) is enough because the
token is random and long, and it lets a request find its token by one indexed lookup.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jiceng.accounts.models import ApiToken, User
from jiceng.audit import services as audit

TOKEN_PREFIX = "jc_"
# Shown in lists so a user can tell tokens apart: "jc_" plus the first 6 random characters.
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# last_used_at is refreshed at most this often, so an API client does not cost a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_MAX_LENGTH = 100  # ApiToken.name


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for the user; the plain token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "请填写令牌名称，便于日后辨认。"})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"令牌名称不能超过 {NAME_MAX_LENGTH} 个字符。"})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=plain[:DISPLAY_PREFIX_LENGTH], token_hash=token_hash(plain))
        # The event names the token by its display prefix, never by its value.
        audit.record(actor=user, action="token.create", obj=token, changes={"name": token.name, "prefix": token.prefix})
    return token, plain


def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens; a revoked token is refused from the next request on."""
    if token.user_id != actor.pk:
        raise PermissionDenied("只能撤销自己的接口令牌。")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise ValidationError("该令牌已撤销。")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="token.revoke", obj=token, changes={"name": token.name, "prefix": token.prefix})
    return token


def token_authenticate(plain: str) -> User | None:
    """The active user a presented token belongs to, or None for a wrong, revoked or disabled one."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=token_hash(plain), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        # Compare-and-set: of concurrent requests in the same minute, one write wins and the rest skip.
        ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(last_used_at=now)
    return token.user
