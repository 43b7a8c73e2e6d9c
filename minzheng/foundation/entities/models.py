"""Legal entities (法人和其他组织) keyed by their unified social credit code (GB 32100).

The one row every supervised body hangs on — a care home, a social organisation, a charity, a
cemetery, a lottery outlet, a service provider: a line's own model points here with a foreign key
and keeps only what its supervision adds. The current state is on :class:`Entity`; every change and
status transition is an :class:`EntityEvent` row that is never updated (ADR 0018).
"""

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.crypto.fields import EncryptedTextField


class EntityKind(models.TextChoices):
    """Legal form, as GB 32100's 登记管理部门代码 + 机构类别代码 names it."""

    ENTERPRISE = "enterprise", "企业"
    INDIVIDUAL = "individual", "个体工商户"
    COOPERATIVE = "cooperative", "农民专业合作社"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    SOCIAL_GROUP = "social_group", "社会团体"
    SOCIAL_SERVICE = "social_service", "社会服务机构（民办非企业单位）"
    FOUNDATION = "foundation", "基金会"
    COLLECTIVE = "collective", "农村集体经济组织"
    OTHER = "other", "其他组织"


class EntityStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    RESTRICTED = "restricted", "限制活动"  # 停止活动、责令整改期间
    REVOKED = "revoked", "吊销（撤销）登记"
    DEREGISTERED = "deregistered", "注销"


class Entity(models.Model):
    uscc = models.CharField("统一社会信用代码", max_length=18)  # unique: see Meta
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("组织类型", max_length=20, choices=EntityKind.choices)
    region_code = models.CharField("所在区划代码", max_length=12)
    address = models.CharField("住所", max_length=200, blank=True, default="")
    representative_name = models.CharField("法定代表人（负责人）", max_length=50)
    representative_phone = EncryptedTextField("法定代表人联系电话", blank=True, default="")
    representative_phone_masked = models.CharField(
        "法定代表人联系电话（脱敏）", max_length=20, blank=True, default="", editable=False
    )
    status = models.CharField("状态", max_length=12, choices=EntityStatus.choices, default=EntityStatus.ACTIVE)
    status_since = models.DateField("状态起始日期")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "法人和其他组织"
        constraints = [models.UniqueConstraint(fields=["uscc"], name="entity_uscc_unique")]
        indexes = [models.Index(fields=["region_code", "name"], name="entity_region_name")]

    def __str__(self):
        return f"{self.name}（{self.uscc}）"


class EventKind(models.TextChoices):
    CREATED = "created", "登记"
    CHANGED = "changed", "变更"
    STATUS = "status", "状态变更"


class EntityEvent(models.Model):
    """One change of an entity, appended by the services and never updated: what changed (masked
    values, ``{field: [before, after]}``), the status before and after, why, from which day, by whom."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="events", verbose_name="组织")
    kind = models.CharField("类型", max_length=10, choices=EventKind.choices)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    status_from = models.CharField("原状态", max_length=12, choices=EntityStatus.choices, blank=True, default="")
    status_to = models.CharField("新状态", max_length=12, choices=EntityStatus.choices, blank=True, default="")
    effective_on = models.DateField("生效日期")
    reason = models.CharField("原因", max_length=500, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="经办人",
    )
    at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织变更记录"
        ordering = ["entity", "at", "pk"]

    def __str__(self):
        return f"{self.entity_id} · {self.get_kind_display()} · {self.effective_on}"
