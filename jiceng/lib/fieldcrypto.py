"""Encryption at rest for personal data (domain.md §9.1, §9.3: ID numbers and phones encrypted,
looked up through a keyed hash, shown masked).

Each configured key (settings.FIELD_KEYS, newest first) is stretched by HKDF into an AES-256-GCM
key and an HMAC key. Ciphertexts carry the id of the key that made them so old keys keep
decrypting during rotation; lookups always use the newest key's HMAC, so rotation re-hashes too.

A ciphertext is "<key id>:" + base64(nonce (12 bytes) + AES-GCM output), the key id as associated
data; every value gets its own random nonce. encrypt_many / lookup_hash_many / lookup_hashes_many
are the bulk forms for imports: one key lookup and one os.urandom call per batch (the nonces are
slices of it, checked unique within the batch), the same output format and the same hashes as the
per-value functions.
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
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


NONCE_BYTES = 12


def _nonces(count: int) -> list[bytes]:
    """count random 96-bit nonces from one os.urandom call, never two alike (redrawn if ever so)."""
    while True:
        pool = os.urandom(NONCE_BYTES * count)
        nonces = [pool[i : i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)]
        if len(set(nonces)) == count:
            return nonces


def encrypt_many(plains: Sequence[str]) -> list[str]:
    """encrypt() for many values at once: the same format, one key lookup and one urandom call for the batch."""
    if not plains:
        return []
    key = keys()[0]
    seal = key.aead.encrypt
    aad = key.key_id.encode()
    prefix = key.key_id + ":"
    b64 = binascii.b2a_base64  # what base64.b64encode calls, without its per-call wrapper
    return [
        prefix + b64(nonce + seal(nonce, plain.encode(), aad), newline=False).decode()
        for nonce, plain in zip(_nonces(len(plains)), plains, strict=True)
    ]


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


def lookup_hash_many(plains: Sequence[str]) -> list[str]:
    """lookup_hash() of each value, the key looked up once (hmac.digest: OpenSSL's one-shot HMAC)."""
    mac_key = keys()[0].mac_key
    digest = hmac.digest
    return [digest(mac_key, plain.encode(), "sha256").hex() for plain in plains]


def lookup_hashes_many(plains: Sequence[str]) -> list[list[str]]:
    """lookup_hashes() of each value: its hash under every configured key, newest first."""
    mac_keys = [key.mac_key for key in keys()]
    digest = hmac.digest
    out = []
    for plain in plains:
        raw = plain.encode()
        out.append([digest(mac_key, raw, "sha256").hex() for mac_key in mac_keys])
    return out


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
