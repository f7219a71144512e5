"""One-time codes to a resident's phone, and the SMS gateway adapter that sends them.

A code is 6 digits, valid 5 minutes, refused after 5 wrong tries, and a new one can be asked for
once a minute. Only a keyed hash of the code is stored (PhoneCode), never the code itself.

The gateway is chosen by `settings.SMS_GATEWAY` (default "console"): the console gateway logs the
message and keeps it in `ConsoleGateway.outbox`, which the demo and the tests read. A real
operator (阿里云、腾讯云短信…) is one more class implementing `SmsGateway.send`.
"""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from jiceng.lib import fieldcrypto
from jiceng.needs.models import PhoneCode

log = logging.getLogger("jiceng.sms")

CODE_DIGITS = 6
VALID_FOR = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)


class SmsGateway(Protocol):
    def send(self, phone: str, message: str) -> None: ...


@dataclass(frozen=True)
class SentMessage:
    phone: str
    message: str
    at: datetime


class ConsoleGateway:
    """Development and demo gateway: prints and logs the message instead of sending it."""

    outbox: ClassVar[list[SentMessage]] = []

    def send(self, phone: str, message: str) -> None:
        self.outbox.append(SentMessage(phone, message, timezone.now()))
        log.warning("SMS to %s: %s", phone, message)
        print(f"[短信] {phone}: {message}")

    @classmethod
    def last_code(cls, phone: str) -> str | None:
        """The last code sent to this phone (tests and the demo read it here)."""
        for sent in reversed(cls.outbox):
            if sent.phone == phone:
                digits = "".join(ch for ch in sent.message if ch.isdigit())
                return digits[:CODE_DIGITS] or None
        return None


GATEWAYS = {"console": ConsoleGateway}


def gateway() -> SmsGateway:
    name = getattr(settings, "SMS_GATEWAY", "console")
    cls = GATEWAYS.get(name) or import_string(name)
    gw: SmsGateway = cls()
    return gw


def _hash(phone_hash: str, purpose: str, code: str) -> str:
    # Keyed with the field key: a leaked table does not give 10^6 cheap guesses per row.
    return fieldcrypto.lookup_hash(f"otp:{purpose}:{phone_hash}:{code}")


def send_code(*, phone: str, purpose: str, now: datetime | None = None) -> None:
    """Send a fresh code; refused within a minute of the last one to the same phone and purpose."""
    now = now or timezone.now()
    phone_hash = fieldcrypto.lookup_hash(phone)
    with transaction.atomic():
        last = PhoneCode.objects.filter(phone_hash=phone_hash, purpose=purpose).order_by("-sent_at").first()
        if last is not None and now - last.sent_at < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - last.sent_at)).total_seconds()) + 1
            raise ValidationError({"phone": f"验证码已发送，请 {wait} 秒后再获取。"})
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        # An older code stops working once a new one is sent.
        PhoneCode.objects.filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True).update(used_at=now)
        PhoneCode.objects.create(
            phone_hash=phone_hash,
            purpose=purpose,
            code_hash=_hash(phone_hash, purpose, code),
            sent_at=now,
            expires_at=now + VALID_FOR,
        )
    # Sent once the row is saved (not on_commit: a caller's outer transaction would hold it back).
    minutes = int(VALID_FOR.total_seconds() // 60)
    gateway().send(phone, f"{code}（基层服务验证码，{minutes}分钟内有效，请勿告诉他人）")


def check_code(*, phone: str, purpose: str, code: str, now: datetime | None = None) -> None:
    """Use up a code or raise ValidationError. Each wrong try counts; the sixth try is refused
    even with the right code, so 10^6 codes cannot be walked within the 5 minutes."""
    now = now or timezone.now()
    phone_hash = fieldcrypto.lookup_hash(phone)
    code = (code or "").strip()
    failed = False
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True)
            .order_by("-sent_at")
            .first()
        )
        if row is None or row.expires_at <= now:
            raise ValidationError({"code": "验证码已失效，请重新获取。"})
        if row.attempts >= MAX_ATTEMPTS:
            raise ValidationError({"code": "验证码错误次数过多，请重新获取。"})
        if hmac.compare_digest(row.code_hash, _hash(phone_hash, purpose, code)):
            row.used_at = now
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
            failed = True
    if failed:  # raised after the commit, so the wrong try stays counted
        raise ValidationError({"code": "验证码不正确。"})
