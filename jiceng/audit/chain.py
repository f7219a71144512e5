"""Hashing of ledger events: a canonical JSON form of each event, chained to the previous hash."""

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.conf import settings

GENESIS = "0" * 64


def _digest_sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _digest_sm3(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def digest_function() -> Callable[[bytes], str]:
    return _digest_sm3 if settings.LEDGER_HASH == "sm3" else _digest_sha256


def canonical(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    org_path: str,
    action: str,
    object_type: str,
    object_id: str,
    changes: Any,
    prev_hash: str,
) -> bytes:
    body = [seq, at.isoformat(timespec="microseconds"), actor_id, actor_label, org_path, action, object_type, object_id, changes, prev_hash]
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()
