"""Encryption at rest for personal data (domain.md §9.1, §9.3: ID numbers and phones encrypted,
looked up through a keyed hash, shown masked).

Each configured key (settings.FIELD_KEYS, newest first) is stretched by HKDF into an AES-256-GCM
key and an HMAC key. Ciphertexts carry the id of the key that made them so old keys keep
decrypting during rotation; lookups always use the newest key's HMAC, so rotation re-hashes too.
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@dataclass(frozen=True)
class FieldKey:
    key_id: str
    aead: AESGCM
    mac_key: bytes


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())


@cache
def _keys(secrets: tuple[str, ...]) -> tuple[FieldKey, ...]:
    keys = []
    for secret in secrets:
        key_id = hashlib.sha256(secret.encode()).hexdigest()[:8]
        keys.append(FieldKey(key_id, AESGCM(_derive(secret, b"jiceng-field-enc")), _derive(secret, b"jiceng-field-mac")))
    return tuple(keys)


def keys() -> tuple[FieldKey, ...]:
    return _keys(tuple(settings.FIELD_KEYS))


def encrypt(plain: str) -> str:
    key = keys()[0]
    nonce = os.urandom(12)
    sealed = key.aead.encrypt(nonce, plain.encode(), key.key_id.encode())
    return f"{key.key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    key_id, _, body = token.partition(":")
    for key in keys():
        if key.key_id == key_id:
            raw = base64.b64decode(body)
            return key.aead.decrypt(raw[:12], raw[12:], key_id.encode()).decode()
    raise ValueError(f"no configured field key has id {key_id}")


def lookup_hash(plain: str) -> str:
    """Keyed hash for equality lookups; a leaked database cannot be brute-forced without the key."""
    return hmac.new(keys()[0].mac_key, plain.encode(), hashlib.sha256).hexdigest()


def lookup_hashes(plain: str) -> list[str]:
    """The value's hash under every configured key, so lookups work mid-rotation too."""
    return [hmac.new(key.mac_key, plain.encode(), hashlib.sha256).hexdigest() for key in keys()]


def current_key_id() -> str:
    return keys()[0].key_id


def mask_id_number(value: str) -> str:
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
