"""Signed-minutes scans and photos of meetings (domain.md §2.1: the records each step expects;
组织法第三十四条: minutes are archives). Files are checked on the server: type by extension and by
their first bytes, size against MAX_UPLOAD_MB."""

import hashlib
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.decisions import services
from jiceng.decisions.models import Decision, Meeting, MeetingFile

ALLOWED = {".pdf": (b"%PDF",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".png": (b"\x89PNG\r\n\x1a\n",)}
ACCEPT = ",".join(ALLOWED)


def check_upload(upload: UploadedFile) -> None:
    """Refuse anything but a PDF, JPEG or PNG within the size limit, with a message the user can act on."""
    name = upload.name or ""
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED:
        raise ValidationError(f"“{name}”的格式不支持：只能上传 PDF、JPG 或 PNG 文件。")
    limit = settings.MAX_UPLOAD_MB
    if (upload.size or 0) > limit * 1024 * 1024:
        raise ValidationError(f"“{name}”超过 {limit} MB，请压缩后再上传。")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in ALLOWED[suffix]):
        raise ValidationError(f"“{name}”的内容与扩展名不符，请上传真实的 PDF、JPG 或 PNG 文件。")


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def meeting_file_add(*, actor: User, meeting: Meeting, kind: str, upload: UploadedFile) -> MeetingFile:
    services.require(actor, "decision.change", meeting.decision.village)
    if kind not in MeetingFile.Kind.values:
        raise ValidationError({"kind": "请选择文件类型。"})
    check_upload(upload)
    digest = _sha256(upload)
    with transaction.atomic():
        stored = MeetingFile.objects.create(meeting=meeting, kind=kind, file=upload, uploaded_by=actor)
        # The hash in the ledger lets anyone show later that an archived scan is the one uploaded.
        audit.record(
            actor=actor,
            action="decision.meeting_file",
            obj=stored,
            org=meeting.decision.village,
            changes={"meeting": meeting.pk, "kind": kind, "name": upload.name, "size": upload.size, "sha256": digest},
        )
    return stored


def meeting_record_with_files(
    *, actor: User, decision: Decision, files: Iterable[tuple[str, UploadedFile]] = (), **meeting: Any
) -> Meeting:
    """Record a meeting (services.meeting_record) and its scans and photos in one transaction:
    a refused file leaves no meeting behind."""
    files = list(files)
    for _kind, upload in files:
        check_upload(upload)  # before anything is written
    with transaction.atomic():
        recorded = services.meeting_record(actor=actor, decision=decision, **meeting)
        for kind, upload in files:
            meeting_file_add(actor=actor, meeting=recorded, kind=kind, upload=upload)
    return recorded


def stored_name(stored: MeetingFile) -> str:
    return PurePath(stored.file.name).name
