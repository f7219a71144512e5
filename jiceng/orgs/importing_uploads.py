"""Uploads kept between preview and confirm (and until a background import has run).

They hold plain ID numbers and phones, so they wait under VAR_DIR/imports encrypted with the
field key, readable only by the user who uploaded them, and never longer than a day (domain.md §9.1).
"""

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from django.conf import settings

from jiceng.accounts.models import User
from jiceng.lib import fieldcrypto

UPLOAD_TTL_SECONDS = 24 * 3600

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_MAGIC = b"JCIMP1"


@dataclass
class Upload:
    token: str
    user_id: int
    file_name: str
    sha256: str
    data: bytes
    rows: int | None = None  # counted by the preview


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _paths(token: str) -> tuple[Path, Path, Path]:
    base = _upload_dir()
    return base / f"{token}.xlsx.enc", base / f"{token}.json", base / f"{token}.lock"


def _seal(token: str, data: bytes) -> bytes:
    key = fieldcrypto.keys()[0]
    nonce = os.urandom(12)
    # The token is bound in as associated data, so files cannot be swapped between tokens.
    return _MAGIC + key.key_id.encode() + nonce + key.aead.encrypt(nonce, data, token.encode())


def _unseal(token: str, blob: bytes) -> bytes:
    if not blob.startswith(_MAGIC):
        raise ValueError("not an upload")
    key_id, nonce, body = blob[6:14].decode(), blob[14:26], blob[26:]
    configured = fieldcrypto.keys()
    for key in configured:
        if key.key_id == key_id:
            return key.aead.decrypt(nonce, body, token.encode())
    raise ValueError("unknown key")


def _write_private(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def save_upload(*, user: User, file_name: str, data: bytes) -> str:
    purge_stale_uploads()
    token = secrets.token_urlsafe(32)
    blob_path, meta_path, _lock = _paths(token)
    meta = {
        "user_id": user.pk,
        "file_name": file_name[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "at": time.time(),
    }
    _write_private(blob_path, _seal(token, data))
    _write_private(meta_path, json.dumps(meta, ensure_ascii=False).encode())
    return token


def load_upload(*, user: User, token: str) -> Upload | None:
    """The upload behind a token, only for the user who made it; anything else is None (a 404)."""
    if not _TOKEN.fullmatch(token):
        return None
    blob_path, meta_path, _lock = _paths(token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("user_id") != user.pk:
            return None
        data = _unseal(token, blob_path.read_bytes())
    except (OSError, ValueError, KeyError, InvalidTag):  # missing, damaged or tampered: the same 404
        return None
    rows = meta.get("rows")
    return Upload(
        token=token,
        user_id=meta["user_id"],
        file_name=str(meta.get("file_name", "")),
        sha256=str(meta.get("sha256", "")),
        data=data,
        rows=rows if isinstance(rows, int) else None,
    )


def remember_rows(upload: Upload, rows: int) -> None:
    """Keep the preview's row count, so the confirm step can pick foreground or background without reading again."""
    if upload.rows == rows:
        return
    meta_path = _paths(upload.token)[1]
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    _write_private(meta_path, json.dumps(meta | {"rows": rows}, ensure_ascii=False).encode())
    upload.rows = rows


def claim_upload(token: str) -> bool:
    """Take the upload for one confirm; a double submit gets False instead of a second import."""
    try:
        os.close(os.open(_paths(token)[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def release_upload(token: str) -> None:
    _paths(token)[2].unlink(missing_ok=True)


def delete_upload(token: str) -> None:
    for path in _paths(token):
        path.unlink(missing_ok=True)


def purge_stale_uploads(max_age: int = UPLOAD_TTL_SECONDS) -> None:
    """Uploads hold personal data; nothing is kept longer than a day."""
    limit = time.time() - max_age
    for path in _upload_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
