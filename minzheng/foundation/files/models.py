"""Stored files: uploaded materials (申请材料) and documents the system generates.

The content lives in Django's default storage (local disk under ``MEDIA_ROOT`` by default, object
storage in production) under a content-addressed name, ``files/<yyyy>/<mm>/<sha256>``; the row
holds what was sniffed from the bytes (never the browser's word) and the region for scoping.
Identical content is stored once: several rows may share one ``path``.
"""

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPG"
    PNG = "png", "PNG"
    OFD = "ofd", "OFD"
    DOCX = "docx", "Word（DOCX）"
    XLSX = "xlsx", "Excel（XLSX）"


class FileOrigin(models.TextChoices):
    UPLOADED = "uploaded", "上传"
    GENERATED = "generated", "系统生成"


class StoredFile(models.Model):
    name = models.CharField("文件名", max_length=255)
    kind = models.CharField("类型", max_length=8, choices=FileKind.choices)
    content_type = models.CharField("MIME 类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    path = models.CharField("存储路径", max_length=255)  # relative to the storage root
    origin = models.CharField("来源", max_length=10, choices=FileOrigin.choices, default=FileOrigin.UPLOADED)
    region_code = models.CharField("区划代码", max_length=12, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "文件"
        indexes = [
            models.Index(fields=["sha256"], name="storedfile_sha256"),
            models.Index(fields=["region_code", "created_at"], name="storedfile_region_created"),
        ]

    def __str__(self):
        return self.name
