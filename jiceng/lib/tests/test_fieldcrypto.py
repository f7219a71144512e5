"""Field encryption: the bulk forms used by the import give what the per-value forms give (domain.md §9.1, §9.3)."""

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jiceng.lib import fieldcrypto

VALUES = ["440703199001011212", "13900139000", "", "王五", "x" * 300, "440703199001011212"]


def _nonce(token: str) -> bytes:
    return base64.b64decode(token.partition(":")[2])[: fieldcrypto.NONCE_BYTES]


def test_batched_encryption_round_trips_in_the_same_format() -> None:
    sealed = fieldcrypto.encrypt_many(VALUES)
    assert [fieldcrypto.decrypt(token) for token in sealed] == VALUES
    single = fieldcrypto.encrypt(VALUES[0])
    key_id = fieldcrypto.current_key_id()
    for token, value in zip(sealed, VALUES, strict=True):
        prefix, _, body = token.partition(":")
        # "<key id>:" + base64(12-byte nonce + ciphertext + 16-byte tag), as encrypt() writes it.
        assert prefix == key_id and len(base64.b64decode(body)) == 12 + len(value.encode()) + 16
    assert single.partition(":")[0] == key_id and fieldcrypto.encrypt_many([]) == []


def test_batched_encryption_is_the_per_value_encryption_with_the_same_nonce(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Given the same nonces, encrypt_many and encrypt produce byte-identical ciphertexts."""
    nonces = [bytes([i]) * 12 for i in range(1, len(VALUES) + 1)]
    monkeypatch.setattr(os, "urandom", lambda n: b"".join(nonces)[:n])
    batched = fieldcrypto.encrypt_many(VALUES)
    one_by_one = []
    for nonce, value in zip(nonces, VALUES, strict=True):
        monkeypatch.setattr(os, "urandom", lambda n, nonce=nonce: nonce)
        one_by_one.append(fieldcrypto.encrypt(value))
    assert batched == one_by_one
    # And it is plain AES-256-GCM under the derived key, the key id as associated data.
    aead = AESGCM(fieldcrypto._derive(settings.FIELD_KEYS[0], b"jiceng-field-enc"))
    raw = base64.b64decode(batched[0].partition(":")[2])
    assert raw[:12] == nonces[0] and aead.decrypt(raw[:12], raw[12:], fieldcrypto.current_key_id().encode()) == VALUES[0].encode()


def test_every_value_gets_its_own_nonce() -> None:
    sealed = fieldcrypto.encrypt_many(["13900139000"] * 5000)
    nonces = {_nonce(token) for token in sealed}
    assert len(nonces) == 5000 and len(set(sealed)) == 5000  # the same phone never encrypts alike
    # Across batches too.
    assert nonces.isdisjoint(_nonce(token) for token in fieldcrypto.encrypt_many(["13900139000"] * 5000))


def test_a_repeated_nonce_in_a_draw_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: list[bytes] = [b"\x01" * 24, b"\x01" * 12 + b"\x02" * 12]
    real = os.urandom

    def urandom(n: int) -> bytes:
        return draws.pop(0) if draws and n == 24 else real(n)

    monkeypatch.setattr(os, "urandom", urandom)
    sealed = fieldcrypto.encrypt_many(["a", "b"])
    assert [_nonce(token) for token in sealed] == [b"\x01" * 12, b"\x02" * 12] and draws == []
    assert [fieldcrypto.decrypt(token) for token in sealed] == ["a", "b"]


def test_batched_hashes_equal_the_per_value_hashes(settings: Any) -> None:
    assert fieldcrypto.lookup_hash_many(VALUES) == [fieldcrypto.lookup_hash(v) for v in VALUES]
    assert fieldcrypto.lookup_hashes_many(VALUES) == [fieldcrypto.lookup_hashes(v) for v in VALUES]
    # Mid key rotation: one hash per configured key, the newest first.
    settings.FIELD_KEYS = ["a-newer-key-for-the-test", *settings.FIELD_KEYS]
    many = fieldcrypto.lookup_hashes_many(VALUES)
    assert many == [fieldcrypto.lookup_hashes(v) for v in VALUES] and all(len(h) == 2 and h[0] != h[1] for h in many)
    assert fieldcrypto.lookup_hash_many(VALUES) == [h[0] for h in many]
    # And batched encryption follows the newest key.
    sealed = fieldcrypto.encrypt_many(VALUES[:2])
    assert all(token.startswith(fieldcrypto.current_key_id() + ":") for token in sealed)
    assert [fieldcrypto.decrypt(token) for token in sealed] == VALUES[:2]
