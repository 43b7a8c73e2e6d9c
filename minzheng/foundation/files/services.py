"""Storing and reading files.

The type of a file is sniffed from its first bytes (its "magic"); the extension and the browser's
content type are never trusted, and an extension that disagrees with the content is refused (a
program renamed ``.pdf`` is not a PDF). Refusals are ``ValidationError`` with Chinese messages.

Content goes to Django's default storage under ``files/<yyyy>/<mm>/<sha256>``: local disk under
``MEDIA_ROOT`` by default; configure ``STORAGES["default"]`` for object storage in production.
Identical content is stored once (a later upload reuses the blob of an earlier one), and the same
file uploaded again to the same region under the same name returns the existing record.

A blob written inside a transaction that is then rolled back stays on storage without a row; it
is content-addressed, so the next upload of the same content reuses it. Because blobs are shared,
anything that deletes a file must first check that no other row names the same ``path``.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.audit.services import audit_record

from .models import FileKind, FileOrigin, StoredFile

DEFAULT_KINDS = frozenset({FileKind.PDF, FileKind.JPEG, FileKind.PNG})
CONTENT_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.OFD: "application/ofd",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {
    FileKind.PDF: (".pdf",),
    FileKind.JPEG: (".jpg", ".jpeg"),
    FileKind.PNG: (".png",),
    FileKind.OFD: (".ofd",),
    FileKind.DOCX: (".docx",),
    FileKind.XLSX: (".xlsx",),
}
CHUNK = 64 * 1024


class FileCorrupted(Exception):
    """The stored content no longer matches the SHA-256 recorded when it was stored."""


# -- sniffing ---------------------------------------------------------------------------------


def file_sniff(data: bytes) -> str | None:
    """The kind of ``data`` from its magic bytes, or None when it is none of :class:`FileKind`.

    PDF: ``%PDF-`` at offset 0 (ISO 32000-1 §7.5.2; no leading bytes tolerated, so an HTML page
    with a PDF header further down is not a PDF). JPEG: SOI marker ``FF D8 FF``. PNG: the 8-byte
    signature. OFD (GB/T 33190-2016), DOCX and XLSX are ZIP packages told apart by their entry
    points: ``OFD.xml``, ``word/document.xml``, ``xl/workbook.xml``.
    """
    if data.startswith(b"%PDF-"):
        return FileKind.PDF
    if data.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return None


def _sniff_zip(data: bytes) -> str | None:
    try:  # only the central directory is read; nothing is decompressed
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except Exception:  # a malformed archive is simply not a kind we know
        return None
    if "OFD.xml" in names:
        return FileKind.OFD
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return FileKind.DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return FileKind.XLSX
    return None


def kinds_label(kinds) -> str:
    """``PDF、JPG、PNG`` in the order of :class:`FileKind`."""
    return "、".join(label for value, label in FileKind.choices if value in kinds)


def _size_label(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


def _clean_name(name: str) -> str:
    """The base name only (browsers may send ``C:\\fakepath\\a.pdf``), printable, ≤ 255 chars."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: 255 - len(ext)] + ext
    return name


def _read(data, max_size: int | None) -> bytes:
    """All of ``data`` (bytes or a file-like object), reading at most one byte past ``max_size``."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    size = getattr(data, "size", None)
    if max_size is not None and isinstance(size, int) and size > max_size:
        _refuse_size(max_size)
    if hasattr(data, "seek"):
        data.seek(0)
    parts, total = [], 0

    def read_bounded():
        while chunk := data.read(CHUNK if max_size is None else max(1, min(CHUNK, max_size + 1 - total))):
            yield chunk

    for chunk in data.chunks(CHUNK) if hasattr(data, "chunks") else read_bounded():
        parts.append(chunk)
        total += len(chunk)
        if max_size is not None and total > max_size:
            _refuse_size(max_size)
    return b"".join(parts)


def _refuse_size(max_size: int):
    raise ValidationError(f"文件过大：不能超过 {_size_label(max_size)}", code="too_large")


def file_check(*, data: bytes, name: str, allowed_kinds=DEFAULT_KINDS, max_size: int | None = None) -> str:
    """The sniffed kind of an upload, or ValidationError: empty, too large, not an allowed kind, or an
    extension that disagrees with the content."""
    if not data:
        raise ValidationError("文件为空，请重新选择", code="empty")
    if max_size is not None and len(data) > max_size:
        _refuse_size(max_size)
    kind = file_sniff(data)
    if kind is None or kind not in allowed_kinds:
        raise ValidationError(f"只接受 {kinds_label(allowed_kinds)} 格式的文件", code="kind")
    ext = os.path.splitext(name)[1].lower()
    if ext not in EXTENSIONS[kind]:
        raise ValidationError(
            f"文件扩展名与内容不符：内容是 {FileKind(kind).label}，扩展名应为 {'或'.join(EXTENSIONS[kind])}",
            code="extension",
        )
    return kind


# -- storing ----------------------------------------------------------------------------------


def _blob_ok(path: str, size: int) -> bool:
    # a partial write (crash mid-save) leaves a blob of the wrong size under the right name
    return bool(path) and default_storage.exists(path) and default_storage.size(path) == size


def _save_blob(content: bytes, sha: str) -> str:
    """The storage name of ``content``: an existing blob with the same hash, else a new one."""
    earlier = StoredFile.objects.filter(sha256=sha).values_list("path", flat=True).first()
    if earlier and _blob_ok(earlier, len(content)):
        return earlier
    today = timezone.localdate()
    name = f"files/{today:%Y}/{today:%m}/{sha}"
    if _blob_ok(name, len(content)):
        return name
    return default_storage.save(name, ContentFile(content))  # a free name if a broken blob holds this one


def file_store(
    *,
    user,
    data,
    name: str,
    region_code: str,
    allowed_kinds=DEFAULT_KINDS,
    max_size: int | None = None,
) -> StoredFile:
    """Check and store an uploaded file (bytes or a file-like object such as an ``UploadedFile``).

    ``max_size`` defaults to ``settings.MINZHENG_UPLOAD_MAX_BYTES``. A user must hold a grant over
    ``region_code`` (``user=None``: the system acting, e.g. an import). Audited as ``upload``."""
    if max_size is None:
        max_size = settings.MINZHENG_UPLOAD_MAX_BYTES
    if user is not None:
        prefixes = user_prefixes(user)
        if prefixes is not ALL and not any(region_code.startswith(p) for p in prefixes):
            raise PermissionDenied("无权在该区划上传文件")
    name = _clean_name(name)
    if not name:
        raise ValidationError("缺少文件名", code="name")
    content = _read(data, max_size)
    kind = file_check(data=content, name=name, allowed_kinds=allowed_kinds, max_size=max_size)
    sha = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        stored = StoredFile.objects.filter(
            sha256=sha, region_code=region_code, name=name, origin=FileOrigin.UPLOADED
        ).first()
        reused = stored is not None
        if stored is None:
            stored = StoredFile.objects.create(
                name=name,
                kind=kind,
                content_type=CONTENT_TYPES[kind],
                size=len(content),
                sha256=sha,
                path=_save_blob(content, sha),
                origin=FileOrigin.UPLOADED,
                region_code=region_code,
                uploaded_by=user,
            )
        elif not _blob_ok(stored.path, len(content)):  # the blob went missing: put it back
            stored.path = _save_blob(content, sha)
            stored.save(update_fields=["path"])
        audit_record(
            action="upload",
            object_type="files.storedfile",
            object_id=stored.pk,
            region_code=region_code,
            summary=f"上传文件 {name}" + ("（与已有文件相同）" if reused else ""),
            changes={"name": name, "kind": kind, "size": len(content), "sha256": sha, "reused": reused},
        )
    return stored


GENERATED_KINDS = (FileKind.PDF, FileKind.XLSX)


def file_store_generated(*, user, data: bytes, name: str, region_code: str) -> StoredFile:
    """Store a file the system generated (a PDF notice, certificate or report; an Excel list) for
    ``user``, the acting user. Not size-limited and never merged with an earlier record. Audited as
    ``generate``."""
    kind = file_sniff(data)
    if kind not in GENERATED_KINDS:
        raise ValueError("生成的文件不是 PDF 或 Excel")
    suffix = "." + kind
    name = _clean_name(name) or f"document{suffix}"
    if not name.lower().endswith(suffix):
        name += suffix
    sha = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        stored = StoredFile.objects.create(
            name=name,
            kind=kind,
            content_type=CONTENT_TYPES[kind],
            size=len(data),
            sha256=sha,
            path=_save_blob(data, sha),
            origin=FileOrigin.GENERATED,
            region_code=region_code,
            uploaded_by=user,
        )
        audit_record(
            action="generate",
            object_type="files.storedfile",
            object_id=stored.pk,
            region_code=region_code,
            summary=f"生成文件 {name}",
            changes={"name": name, "size": len(data), "sha256": sha},
        )
    return stored


# -- reading ----------------------------------------------------------------------------------


def file_open(stored: StoredFile) -> bytes:
    """The content, checked against the recorded SHA-256 (raises :class:`FileCorrupted`)."""
    with default_storage.open(stored.path, "rb") as f:
        content = f.read()
    if hashlib.sha256(content).hexdigest() != stored.sha256:
        raise FileCorrupted(f"文件 {stored.name} 的内容校验失败")
    return content


def file_chunks(stored: StoredFile, *, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The content in chunks, for streaming large files without holding them in memory."""
    with default_storage.open(stored.path, "rb") as f:
        yield from iter(lambda: f.read(chunk_size), b"")


def file_response(stored: StoredFile, *, as_attachment: bool = True) -> FileResponse:
    """A streaming download of ``stored`` with its original name and sniffed content type.

    The caller checks access first (``StoredFile.objects.for_user(user, permission)``)."""
    return FileResponse(
        default_storage.open(stored.path, "rb"),
        as_attachment=as_attachment,
        filename=stored.name,
        content_type=stored.content_type,
    )
