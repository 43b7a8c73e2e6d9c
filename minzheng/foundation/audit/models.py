"""Append-only, hash-chained audit log (HMAC-SM3, earlier rows plain SM3), anchored by
checkpoints in a file outside the database (ADR 0014). Database triggers refuse UPDATE and DELETE."""

from django.db import models


class AuditEvent(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True, db_index=True)
    actor_name = models.CharField("操作人", max_length=150)
    ip = models.CharField("IP", max_length=64, blank=True, default="")
    channel = models.CharField("渠道", max_length=10, default="web")
    action = models.CharField("动作", max_length=40, db_index=True)  # create|update|delete|reveal|export|import|login…
    object_type = models.CharField("对象类型", max_length=60, blank=True, default="")
    object_id = models.CharField("对象ID", max_length=64, blank=True, default="")
    region_code = models.CharField("区划代码", max_length=12, blank=True, default="", db_index=True)
    summary = models.CharField("摘要", max_length=300, blank=True, default="")
    changes = models.JSONField("变更前后", default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's tip: locked while appending so links are written one at a time.

    ``keyed_from`` is the chain's epoch: rows from that sequence number on are HMAC-SM3 (keyed),
    rows before it plain SM3 (written before the key existed). A new chain is keyed from its first
    row; an existing one from the row after its tip when migration 0003 ran. Every checkpoint
    repeats it, so moving it in the database (to pass off a recomputed chain as unkeyed) is seen.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    keyed_from = models.BigIntegerField("HMAC起始序号", default=1)

    class Meta:
        verbose_name = "审计链头"

    def __str__(self):
        return f"#{self.last_seq}"
