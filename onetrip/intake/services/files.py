"""Uploaded files: checked by content (never by name), size-limited, stored once by SHA-256.

Files live under MEDIA_ROOT/files/ab/cd/<sha256> (MEDIA_ROOT is in the var directory, outside every static
root, and no URL serves it): a download goes through a view that checks who is entitled
(intake.selectors.material_file_for) and streams the file.

Accepted content: PDF, JPEG and PNG, recognised by their magic bytes. OFD (a ZIP container) is refused for
now: recognising it safely means opening the archive, and a ZIP can carry anything.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction

from onetrip.core.errors import DomainError, ErrorDetail
from onetrip.intake.models import StoredFile

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 1024 * 1024
# (magic prefix, content type, label)
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def upload_max_bytes() -> int:
    return int(getattr(settings, "ONETRIP_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None when they are not an accepted format."""
    for magic, content_type, _ in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def files_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "files"


def stored_file_path(stored: StoredFile) -> Path:
    return files_root() / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256


def stored_file_open(stored: StoredFile) -> IO[bytes]:
    return stored_file_path(stored).open("rb")


def clean_file_name(name: str, content_type: str) -> str:
    """The name to show for a file: the last path part of what was declared, without control characters;
    the extension follows the content, whatever the name said."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    stem = os.path.splitext(base)[0].strip(". ") or "文件"
    return stem[:200] + EXTENSIONS[content_type]


def _too_large(limit: int) -> DomainError:
    mb = limit / (1024 * 1024)
    return DomainError(
        ErrorDetail(
            "file_too_large",
            f"文件不能超过 {mb:g} MB",
            f"The file may be at most {mb:g} MB",
            "file",
        )
    )


def _chunks(data: bytes | Any) -> Any:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for i in range(0, len(view), _CHUNK):
            yield bytes(view[i : i + _CHUNK])
        return
    if hasattr(data, "chunks"):  # Django UploadedFile
        yield from data.chunks(_CHUNK)
        return
    while True:
        chunk = data.read(_CHUNK)
        if not chunk:
            return
        yield chunk


def file_store(*, data: bytes | Any, declared_name: str = "") -> StoredFile:
    """Check and store one upload; the same content twice is one StoredFile and one file on disk.

    `data` is bytes, a Django UploadedFile or a binary file object. Refused: empty, larger than
    settings.ONETRIP_UPLOAD_MAX_BYTES, or content that is not PDF, JPEG or PNG (the name does not count).
    """
    limit = upload_max_bytes()
    declared_size = getattr(data, "size", None)
    if isinstance(declared_size, int) and declared_size > limit:
        raise _too_large(limit)
    root = files_root()
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    content_type: str | None = None
    fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(data):
                if size == 0 and chunk:
                    content_type = sniff(chunk[:16])
                    if content_type is None:
                        raise DomainError(
                            ErrorDetail(
                                "unsupported_file_type",
                                "只能上传 PDF、JPG 或 PNG 文件（按文件内容判断）",
                                "Only PDF, JPEG or PNG files are accepted (judged by content)",
                                "file",
                            )
                        )
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                digest.update(chunk)
                out.write(chunk)
        if size == 0 or content_type is None:
            raise DomainError(ErrorDetail("empty_file", "文件是空的", "The file is empty", "file"))
        sha = digest.hexdigest()
        final = root / sha[:2] / sha[2:4] / sha
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)  # atomic: a reader never sees half a file
            tmp_name = ""
    finally:
        if tmp_name and os.path.exists(tmp_name):
            os.unlink(tmp_name)
    existing = StoredFile.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return StoredFile.objects.create(sha256=sha, size=size, content_type=content_type)
    except IntegrityError:  # the same content stored by a concurrent request
        return StoredFile.objects.get(sha256=sha)
