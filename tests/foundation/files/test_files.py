"""Uploaded and generated files: type sniffed from the bytes, refusals in Chinese, content stored once,
every store audited, rows scoped by region."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.exports import xlsx_bytes
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import (
    FileCorrupted,
    file_chunks,
    file_open,
    file_response,
    file_sniff,
    file_store,
    file_store_generated,
)
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 32
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script>%PDF-1.4</body></html>"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return buf.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
OFD = _zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})
OTHER_ZIP = _zip({"readme.txt": b"hello"})


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Every stored file goes under this test's tmp_path, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _blobs(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


# -- sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "kind", "content_type"),
    [
        (PDF, "低保申请书.pdf", "pdf", "application/pdf"),
        (JPEG, "身份证正面.JPG", "jpeg", "image/jpeg"),
        (JPEG, "户口本.jpeg", "jpeg", "image/jpeg"),
        (PNG, "残疾证.png", "png", "image/png"),
    ],
)
@pytest.mark.django_db
def test_accepted_by_magic_and_stored_content_addressed(anyang_user, media, content, name, kind, content_type):
    stored = file_store(user=anyang_user, data=content, name=name, region_code=ANYANG_VILLAGE)
    sha = hashlib.sha256(content).hexdigest()
    assert (stored.name, stored.kind, stored.content_type, stored.size, stored.sha256) == (
        name,
        kind,
        content_type,
        len(content),
        sha,
    )
    assert (stored.origin, stored.uploaded_by, stored.region_code) == ("uploaded", anyang_user, ANYANG_VILLAGE)
    assert stored.path.startswith("files/") and stored.path.endswith("/" + sha)
    assert stored.path.split("/")[1].isdigit() and len(stored.path.split("/")[2]) == 2  # files/<yyyy>/<mm>/<sha>
    assert (media / stored.path).read_bytes() == content
    assert file_open(stored) == content
    assert b"".join(file_chunks(stored, chunk_size=7)) == content


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXE, "申请书.pdf", "只接受 PDF、JPG、PNG 格式"),
        (EXE, "setup.exe", "只接受 PDF、JPG、PNG 格式"),
        (HTML, "证明.pdf", "只接受 PDF、JPG、PNG 格式"),
        (b" " + PDF, "证明.pdf", "只接受 PDF、JPG、PNG 格式"),  # the header must be at offset 0
        (PNG, "照片.jpg", "文件扩展名与内容不符"),
        (JPEG, "照片.png", "文件扩展名与内容不符"),
        (PDF, "证明.html", "文件扩展名与内容不符"),
        (PDF, "证明", "文件扩展名与内容不符"),
        (DOCX, "说明.docx", "只接受 PDF、JPG、PNG 格式"),  # not in the default kinds
        (b"", "空.pdf", "文件为空"),
        (PDF, "", "缺少文件名"),
    ],
)
@pytest.mark.django_db
def test_refused_with_chinese_message_and_nothing_stored(anyang_user, media, content, name, message):
    with pytest.raises(ValidationError) as exc:
        file_store(user=anyang_user, data=content, name=name, region_code=ANYANG_VILLAGE)
    assert message in exc.value.messages[0]
    assert not StoredFile.objects.exists() and not AuditEvent.objects.filter(action="upload").exists()
    assert _blobs(media) == []


@pytest.mark.django_db
def test_oversize_refused_from_argument_setting_and_upload_size(anyang_user, settings, media):
    big = PDF + b"0" * 2048
    with pytest.raises(ValidationError, match="文件过大：不能超过 1 KB"):
        file_store(user=anyang_user, data=big, name="大.pdf", region_code=ANYANG_VILLAGE, max_size=1024)
    settings.MINZHENG_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(ValidationError, match="不能超过 2 MB"):
        file_store(user=anyang_user, data=PDF + b"0" * (2 * 1024 * 1024), name="大.pdf", region_code=ANYANG_VILLAGE)
    # a file-like object is read only to one byte past the limit
    stream = io.BytesIO(big)
    with pytest.raises(ValidationError, match="文件过大"):
        file_store(user=anyang_user, data=stream, name="大.pdf", region_code=ANYANG_VILLAGE, max_size=1024)
    assert stream.tell() < len(big)
    # an UploadedFile knows its size: refused before any reading
    upload = SimpleUploadedFile("大.pdf", big, content_type="application/pdf")
    with pytest.raises(ValidationError, match="文件过大"):
        file_store(user=anyang_user, data=upload, name=upload.name, region_code=ANYANG_VILLAGE, max_size=1024)
    exact = file_store(user=anyang_user, data=big, name="刚好.pdf", region_code=ANYANG_VILLAGE, max_size=len(big))
    assert exact.size == len(big)
    assert StoredFile.objects.count() == 1


@pytest.mark.django_db
def test_file_like_inputs_and_browser_content_type_ignored(anyang_user):
    upload = SimpleUploadedFile("C:\\fakepath\\身份证.png", PNG, content_type="application/pdf")
    stored = file_store(user=anyang_user, data=upload, name=upload.name, region_code=ANYANG_VILLAGE)
    assert (stored.name, stored.kind, stored.content_type) == ("身份证.png", "png", "image/png")
    stored = file_store(user=anyang_user, data=io.BytesIO(PDF), name="../../etc/证明.pdf", region_code=ANYANG_VILLAGE)
    assert stored.name == "证明.pdf" and not stored.path.startswith("..")


@pytest.mark.django_db
def test_zip_packages_told_apart(anyang_user):
    assert (file_sniff(DOCX), file_sniff(XLSX), file_sniff(OFD), file_sniff(OTHER_ZIP)) == ("docx", "xlsx", "ofd", None)
    assert file_sniff(b"PK\x03\x04broken") is None
    kinds = {"pdf", "ofd", "docx", "xlsx"}
    for content, name, kind in ((DOCX, "a.docx", "docx"), (XLSX, "b.xlsx", "xlsx"), (OFD, "c.ofd", "ofd")):
        stored = file_store(user=anyang_user, data=content, name=name, region_code=ANYANG_VILLAGE, allowed_kinds=kinds)
        assert stored.kind == kind
    with pytest.raises(ValidationError, match="只接受 PDF、OFD、Word（DOCX）、Excel（XLSX） 格式"):
        file_store(user=anyang_user, data=OTHER_ZIP, name="d.docx", region_code=ANYANG_VILLAGE, allowed_kinds=kinds)
    with pytest.raises(ValidationError, match="文件扩展名与内容不符"):
        file_store(user=anyang_user, data=XLSX, name="e.docx", region_code=ANYANG_VILLAGE, allowed_kinds=kinds)


# -- dedupe, audit, scoping ---------------------------------------------------------------


@pytest.mark.django_db
def test_identical_content_stored_once(anyang_user, county_user, media):
    a = file_store(user=anyang_user, data=PDF, name="申请书.pdf", region_code=ANYANG_VILLAGE)
    again = file_store(user=anyang_user, data=PDF, name="申请书.pdf", region_code=ANYANG_VILLAGE)
    assert again.pk == a.pk  # the same upload again: the same record
    renamed = file_store(user=anyang_user, data=PDF, name="申请书（重传）.pdf", region_code=ANYANG_VILLAGE)
    elsewhere = file_store(user=county_user, data=PDF, name="申请书.pdf", region_code=TANGXIA_VILLAGE)
    assert len({a.pk, renamed.pk, elsewhere.pk}) == 3
    assert a.path == renamed.path == elsewhere.path  # one blob for the three records
    assert len(_blobs(media)) == 1
    # a blob lost from storage is put back by the next upload of the same content
    default_storage.delete(a.path)
    again = file_store(user=anyang_user, data=PDF, name="申请书.pdf", region_code=ANYANG_VILLAGE)
    assert again.pk == a.pk and file_open(again) == PDF


@pytest.mark.django_db
def test_upload_and_generate_audited(anyang_user):
    stored = file_store(user=anyang_user, data=JPEG, name="照片.jpg", region_code=ANYANG_VILLAGE)
    ev = AuditEvent.objects.get(action="upload")
    assert (ev.object_type, ev.object_id, ev.region_code) == ("files.storedfile", str(stored.pk), ANYANG_VILLAGE)
    assert ev.changes == {
        "name": "照片.jpg",
        "kind": "jpeg",
        "size": len(JPEG),
        "sha256": hashlib.sha256(JPEG).hexdigest(),
        "reused": False,
    }
    assert "照片.jpg" in ev.summary
    file_store(user=anyang_user, data=JPEG, name="照片.jpg", region_code=ANYANG_VILLAGE)
    assert AuditEvent.objects.filter(action="upload", object_id=str(stored.pk)).count() == 2
    assert AuditEvent.objects.filter(action="upload").order_by("seq").last().changes["reused"] is True

    doc = file_store_generated(user=anyang_user, data=PDF, name="低保审批通知书", region_code=ANYANG_VILLAGE)
    assert (doc.name, doc.kind, doc.origin, doc.uploaded_by) == ("低保审批通知书.pdf", "pdf", "generated", anyang_user)
    ev = AuditEvent.objects.get(action="generate")
    assert (ev.object_type, ev.object_id, ev.region_code) == ("files.storedfile", str(doc.pk), ANYANG_VILLAGE)
    with pytest.raises(ValueError, match="不是 PDF"):
        file_store_generated(user=anyang_user, data=PNG, name="x.pdf", region_code=ANYANG_VILLAGE)
    sheet = file_store_generated(
        user=anyang_user, data=xlsx_bytes(title="名单", headers=["户编号"], rows=[["H1"]]), name="超标名单",
        region_code=ANYANG_VILLAGE,
    )  # fmt: skip
    assert (sheet.name, sheet.kind, sheet.content_type[-6:]) == ("超标名单.xlsx", "xlsx", ".sheet")


@pytest.mark.django_db
def test_scoped_by_region(anyang_user, tangxia_user, county_user):
    mine = file_store(user=anyang_user, data=PDF, name="a.pdf", region_code=ANYANG_VILLAGE)
    theirs = file_store(user=tangxia_user, data=PNG, name="b.png", region_code=TANGXIA_VILLAGE)
    assert list(StoredFile.objects.for_user(anyang_user, "registry.view")) == [mine]
    assert list(StoredFile.objects.for_user(tangxia_user, "registry.view")) == [theirs]
    assert set(StoredFile.objects.for_user(county_user, "registry.view")) == {mine, theirs}
    with pytest.raises(PermissionDenied):
        file_store(user=anyang_user, data=JPEG, name="c.jpg", region_code=TANGXIA_VILLAGE)
    assert StoredFile.objects.count() == 2


# -- reading ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_download_streams_with_original_name_and_tampering_detected(anyang_user, media):
    stored = file_store(user=anyang_user, data=PDF, name="低保申请书.pdf", region_code=ANYANG_VILLAGE)
    response = file_response(stored)
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and "filename*=utf-8''" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    response.close()
    (media / stored.path).write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    with pytest.raises(FileCorrupted, match="校验失败"):
        file_open(stored)


# -- anything at all ----------------------------------------------------------------------

MAGICS = [b"", b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"MZ", b"<html>"]
NAMES = st.sampled_from(["a.pdf", "b.jpg", "c.jpeg", "d.png", "e.exe", "f", ".pdf", "g.PDF", "h.ofd", "i.docx"])


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from(MAGICS),
    body=st.binary(max_size=300),
    name=st.one_of(NAMES, st.text(max_size=40)),
    allowed=st.sets(st.sampled_from(["pdf", "jpeg", "png", "ofd", "docx", "xlsx"])),
)
@pytest.mark.django_db
def test_any_bytes_stored_or_refused_with_validation_error(anyang_user, prefix, body, name, allowed):
    data = prefix + body
    try:
        stored = file_store(
            user=anyang_user, data=data, name=name, region_code=ANYANG_VILLAGE, allowed_kinds=allowed, max_size=256
        )
    except ValidationError as exc:
        assert exc.messages and all(exc.messages)
    else:
        assert stored.kind in allowed and stored.size == len(data) <= 256
        assert file_open(stored) == data
