"""The supervision engine's data: regulated entities of declared kinds with typed attributes,
checklists as data, inspections, hazards to closure (ADR 0019).

A regulated entity (:class:`Supervised`, 监管对象) hangs on the foundation's
:class:`~minzheng.foundation.entities.models.Entity` (credit code, name, region, address,
representative with the encrypted phone are kept there, never copied) and adds what supervision
needs: the kind a business line declared (``kinds.kind_declare``), the supervision status with its
history, filings and licences, the kind's attributes (one typed row per value, every change kept).

Inspections (:class:`Inspection`) follow a template (:class:`Template` → :class:`TemplateSection` →
:class:`TemplateItem`) chosen by kind and purpose; an item that fails and whose failure is a hazard
becomes a :class:`Hazard` with a deadline by its level (standard type
``supervision.rectification_days``, mode = level). A hazard moves open → rectification submitted →
closed by a passing :class:`Reinspection`, or sent back; rows of :class:`HazardEvent` keep every move.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.entities.models import Entity
from minzheng.foundation.files.models import StoredFile


def _user_fk(label: str, *, null: bool = True, related_name: str = "+"):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=null,
        blank=null,
        related_name=related_name,
        verbose_name=label,
    )


# ---------------------------------------------------------------------------------------------------
# Regulated entities


class SupervisionStatus(models.TextChoices):
    PREPARING = "preparing", "筹建"
    OPERATING = "operating", "运营"
    SUSPENDED = "suspended", "暂停"
    CLOSED = "closed", "注销"


class SupervisedQuerySet(ScopedQuerySet):
    region_field = "entity__region_code"  # the entity's region as it stands (never a copy)


class Supervised(models.Model):
    """A regulated entity (监管对象): one legal entity supervised as one declared kind. The same
    entity may be supervised as two kinds (a 民办养老机构 is also a 社会服务机构), never twice as one."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="supervisions", verbose_name="组织")
    kind = models.CharField("监管对象类别", max_length=40)
    status = models.CharField(
        "监管状态", max_length=10, choices=SupervisionStatus.choices, default=SupervisionStatus.PREPARING
    )
    status_since = models.DateField("状态起始日期")
    created_at = models.DateTimeField("纳入监管时间", auto_now_add=True)
    created_by = _user_fk("经办人")

    objects = SupervisedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "监管对象"
        constraints = [models.UniqueConstraint(fields=["entity", "kind"], name="supervised_entity_kind_unique")]
        indexes = [models.Index(fields=["kind", "status"], name="supervised_kind_status")]

    def __str__(self):
        return f"{self.entity.name}（{self.kind}）"

    @property
    def region_code(self) -> str:
        return self.entity.region_code


class StatusChange(models.Model):
    """One move of a supervised entity's status, appended and never updated."""

    supervised = models.ForeignKey(
        Supervised, on_delete=models.PROTECT, related_name="status_changes", verbose_name="监管对象"
    )
    status_from = models.CharField("原状态", max_length=10, choices=SupervisionStatus.choices, blank=True, default="")
    status_to = models.CharField("新状态", max_length=10, choices=SupervisionStatus.choices)
    effective_on = models.DateField("生效日期")
    reason = models.CharField("原因", max_length=500, blank=True, default="")
    actor = _user_fk("经办人")
    at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "监管状态变更"
        ordering = ["supervised", "at", "pk"]

    def __str__(self):
        return f"{self.supervised_id} · {self.status_from or '-'} → {self.status_to} · {self.effective_on}"


class AttributeType(models.TextChoices):
    INT = "int", "整数"
    DECIMAL = "decimal", "数值"
    DATE = "date", "日期"
    BOOL = "bool", "是/否"
    CHOICE = "choice", "选项"
    TEXT = "text", "文字"


def _one_typed_value() -> Q:
    """Exactly the column of the row's type holds the value (the others are NULL)."""
    cols = {"int": "value_int", "decimal": "value_decimal", "date": "value_date", "bool": "value_bool"}
    alternatives = Q()
    for code in AttributeType.values:
        col = cols.get(code, "value_text")
        q = Q(type=code, **{f"{col}__isnull": False})
        for other in sorted({*cols.values(), "value_text"} - {col}):
            q &= Q(**{f"{other}__isnull": True})
        alternatives |= q
    return alternatives


class AttributeValue(models.Model):
    """One value of one declared attribute of a supervised entity, in the column of its type.

    A change closes the current row (``superseded_at``) and adds a new one, so every value an
    attribute ever had stays, with who set it, from which day and why. At most one current row per
    entity and attribute (partial unique constraint); a cleared attribute has none. The type is
    copied from the declaration at write time and a check constraint keeps the value in its column.
    """

    supervised = models.ForeignKey(
        Supervised, on_delete=models.PROTECT, related_name="attribute_values", verbose_name="监管对象"
    )
    code = models.CharField("属性", max_length=40)
    type = models.CharField("类型", max_length=8, choices=AttributeType.choices)
    value_int = models.BigIntegerField("整数值", null=True, blank=True)
    value_decimal = models.DecimalField("数值", max_digits=18, decimal_places=4, null=True, blank=True)
    value_date = models.DateField("日期值", null=True, blank=True)
    value_bool = models.BooleanField("是/否", null=True, blank=True)
    value_text = models.CharField("文字或选项", max_length=500, null=True, blank=True)
    effective_on = models.DateField("生效日期")
    reason = models.CharField("原因", max_length=500, blank=True, default="")
    set_by = _user_fk("经办人")
    set_at = models.DateTimeField("记录时间", auto_now_add=True)
    superseded_at = models.DateTimeField("被替代时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "监管对象属性值"
        ordering = ["supervised", "code", "set_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervised", "code"],
                condition=Q(superseded_at__isnull=True),
                name="attribute_value_one_current",
            ),
            models.CheckConstraint(condition=_one_typed_value(), name="attribute_value_typed"),
        ]
        indexes = [models.Index(fields=["code", "superseded_at"], name="attribute_value_code")]

    def __str__(self):
        return f"{self.supervised_id} · {self.code} = {self.value}"

    @property
    def value(self):
        return {
            "int": self.value_int,
            "decimal": self.value_decimal,
            "date": self.value_date,
            "bool": self.value_bool,
        }.get(self.type, self.value_text)


class PermitCategory(models.TextChoices):
    FILING = "filing", "备案"
    LICENCE = "licence", "许可/批准"


class Permit(models.Model):
    """A filing or licence of a supervised entity (type declared by its kind), with its dates.
    Ending one (revoked, cancelled, replaced) sets ``ended_on`` and the reason; rows stay."""

    supervised = models.ForeignKey(
        Supervised, on_delete=models.PROTECT, related_name="permits", verbose_name="监管对象"
    )
    permit_type = models.CharField("证照类型", max_length=40)
    category = models.CharField("类别", max_length=8, choices=PermitCategory.choices)
    number = models.CharField("编号", max_length=100, blank=True, default="")
    issued_by = models.CharField("发证（备案）机关", max_length=100, blank=True, default="")
    issued_on = models.DateField("发证（备案）日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    ended_on = models.DateField("终止日期", null=True, blank=True)
    end_reason = models.CharField("终止原因", max_length=500, blank=True, default="")
    file = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="证照扫描件"
    )
    recorded_by = _user_fk("经办人")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "备案与许可"
        ordering = ["supervised", "issued_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("issued_on")),
                name="permit_valid_after_issue",
            )
        ]

    def __str__(self):
        return f"{self.permit_type} {self.number}".strip()


# ---------------------------------------------------------------------------------------------------
# Checklists as data


class Purpose(models.TextChoices):
    ROUTINE = "routine", "日常检查"
    RANDOM = "random", "双随机抽查"
    FIRE = "fire", "消防安全检查"
    SPECIAL = "special", "专项检查"


class HazardLevel(models.TextChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class Template(models.Model):
    """An inspection template (检查表) for one kind and purpose. Several versions may exist; the
    one in force on a day is the latest ``effective_from`` on or before it that is published. A
    published template is never edited (inspections point at its items): a change is a new version."""

    kind = models.CharField("监管对象类别", max_length=40)
    purpose = models.CharField("检查类型", max_length=10, choices=Purpose.choices)
    code = models.CharField("代码", max_length=40)
    version = models.PositiveIntegerField("版本", default=1)
    name = models.CharField("名称", max_length=200)
    effective_from = models.DateField("启用日期")
    published = models.BooleanField("已发布", default=False)
    source_document = models.CharField("依据文件", max_length=200, blank=True, default="")
    created_by = _user_fk("经办人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "检查表"
        ordering = ["kind", "purpose", "-effective_from", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="template_code_version_unique")]
        indexes = [models.Index(fields=["kind", "purpose", "effective_from"], name="template_lookup")]

    def __str__(self):
        return f"{self.name}（第{self.version}版）"


class TemplateSection(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections", verbose_name="检查表")
    order = models.PositiveIntegerField("顺序")
    title = models.CharField("标题", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "检查表章节"
        ordering = ["template", "order"]
        constraints = [models.UniqueConstraint(fields=["template", "order"], name="template_section_order_unique")]

    def __str__(self):
        return f"{self.order}. {self.title}"


class TemplateItem(models.Model):
    """One checklist item: what is checked, on which legal basis, its weight in the score, and
    whether failing it is a hazard (隐患) and of which level."""

    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="items", verbose_name="章节")
    order = models.PositiveIntegerField("顺序")
    code = models.CharField("代码", max_length=40)
    text = models.CharField("检查内容", max_length=500)
    legal_basis = models.CharField("法律依据", max_length=500)
    weight = models.DecimalField("分值（权重）", max_digits=7, decimal_places=2, default=1)
    hazard_on_fail = models.BooleanField("不符合即为隐患", default=False)
    hazard_level = models.CharField("隐患等级", max_length=8, choices=HazardLevel.choices, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "检查项目"
        ordering = ["section", "order"]
        constraints = [
            models.UniqueConstraint(fields=["section", "order"], name="template_item_order_unique"),
            models.CheckConstraint(
                condition=(Q(hazard_on_fail=True) & ~Q(hazard_level=""))
                | (Q(hazard_on_fail=False) & Q(hazard_level="")),
                name="template_item_hazard_level",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="template_item_weight_not_negative"),
        ]

    def __str__(self):
        return f"{self.code} {self.text}"


# ---------------------------------------------------------------------------------------------------
# Inspections


class InspectionState(models.TextChoices):
    DRAFT = "draft", "记录中"
    COMPLETED = "completed", "已完成"


class Inspection(models.Model):
    """An inspection of one supervised entity along one template (ad hoc, or from a draw plan: the
    plan's link is added by the draw's migration). Recorded item by item while ``draft``;
    completing it fixes the results, the score and the signatures, and turns failed hazard items
    into hazards. ``region_code`` is the entity's region on the day of the inspection."""

    supervised = models.ForeignKey(
        Supervised, on_delete=models.PROTECT, related_name="inspections", verbose_name="监管对象"
    )
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+", verbose_name="检查表")
    purpose = models.CharField("检查类型", max_length=10, choices=Purpose.choices)
    region_code = models.CharField("区划代码", max_length=12)
    inspected_on = models.DateField("检查日期")
    state = models.CharField("状态", max_length=10, choices=InspectionState.choices, default=InspectionState.DRAFT)
    lead_inspector = _user_fk("检查人员", null=False)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name="其他检查人员"
    )
    conclusion = models.TextField("检查结论", blank=True, default="")
    score = models.DecimalField("得分", max_digits=9, decimal_places=2, null=True, blank=True)
    score_max = models.DecimalField("满分", max_digits=9, decimal_places=2, null=True, blank=True)
    representative_name = models.CharField("被检查单位签字人", max_length=50, blank=True, default="")
    inspector_signature = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="检查人员签名"
    )
    representative_signature = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="被检查单位签名"
    )
    representative_refused = models.CharField("拒绝签字的情况", max_length=200, blank=True, default="")
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    record = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="检查记录"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "监督检查"
        ordering = ["-inspected_on", "-pk"]
        indexes = [
            models.Index(fields=["region_code", "inspected_on"], name="inspection_region_day"),
            models.Index(fields=["supervised", "inspected_on"], name="inspection_supervised_day"),
        ]

    def __str__(self):
        return f"{self.supervised_id} · {self.get_purpose_display()} · {self.inspected_on}"


class Outcome(models.TextChoices):
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"
    NOT_APPLICABLE = "na", "不适用"


class InspectionResult(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results", verbose_name="检查")
    item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+", verbose_name="检查项目")
    outcome = models.CharField("结果", max_length=4, choices=Outcome.choices)
    note = models.CharField("情况说明", max_length=1000, blank=True, default="")
    photos = models.ManyToManyField(StoredFile, related_name="+", blank=True, verbose_name="照片")

    class Meta:
        verbose_name = verbose_name_plural = "检查项目结果"
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="inspection_result_unique")]

    def __str__(self):
        return f"{self.inspection_id} · {self.item_id} · {self.get_outcome_display()}"


# ---------------------------------------------------------------------------------------------------
# Hazards to closure


class HazardState(models.TextChoices):
    OPEN = "open", "待整改"
    SUBMITTED = "submitted", "整改已提交"
    RETURNED = "returned", "退回整改"
    CLOSED = "closed", "已销号"


class Hazard(models.Model):
    """A hazard (隐患) found by an inspection, with its deadline by level. Open until a re-inspection
    that passes closes it. ``overdue_since``/``escalation`` are set by the daily job; ``region_code``
    is the inspection's (the ledger's scope and index)."""

    supervised = models.ForeignKey(
        Supervised, on_delete=models.PROTECT, related_name="hazards", verbose_name="监管对象"
    )
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="hazards", verbose_name="检查")
    result = models.OneToOneField(
        InspectionResult, on_delete=models.PROTECT, related_name="hazard", verbose_name="检查项目结果"
    )
    region_code = models.CharField("区划代码", max_length=12)
    level = models.CharField("隐患等级", max_length=8, choices=HazardLevel.choices)
    description = models.CharField("隐患描述", max_length=1000)
    legal_basis = models.CharField("法律依据", max_length=500, blank=True, default="")
    found_on = models.DateField("发现日期")
    deadline = models.DateField("整改期限")
    state = models.CharField("状态", max_length=10, choices=HazardState.choices, default=HazardState.OPEN)
    overdue_since = models.DateField("逾期起始日期", null=True, blank=True)
    escalation = models.PositiveSmallIntegerField("升级次数", default=0)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "隐患"
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["region_code", "state", "deadline"], name="hazard_region_state"),
            models.Index(fields=["supervised", "state"], name="hazard_supervised_state"),
            models.Index(fields=["state", "deadline"], name="hazard_state_deadline"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="closed", closed_on__isnull=False) | (~Q(state="closed") & Q(closed_on__isnull=True)),
                name="hazard_closed_has_day",
            )
        ]

    def __str__(self):
        return f"{self.get_level_display()} · {self.description[:30]}"


class Channel(models.TextChoices):
    STAFF = "staff", "工作人员代录"
    INSTITUTION = "institution", "机构端提交"


class Rectification(models.Model):
    """A rectification the entity submitted for a hazard (text and photos), through its institution
    account or via staff; answered by a re-inspection (accepted) or sent back."""

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="rectifications", verbose_name="隐患")
    text = models.TextField("整改情况")
    photos = models.ManyToManyField(StoredFile, related_name="+", blank=True, verbose_name="整改照片")
    channel = models.CharField("提交方式", max_length=12, choices=Channel.choices, default=Channel.STAFF)
    submitted_by = _user_fk("录入人")
    submitted_by_name = models.CharField("提交人", max_length=50, blank=True, default="")
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改情况"
        ordering = ["hazard", "submitted_at", "pk"]

    def __str__(self):
        return f"{self.hazard_id} · {self.submitted_at:%Y-%m-%d}"


class Reinspection(models.Model):
    """A re-inspection (复查) of a submitted rectification: passing closes the hazard, failing sends
    it back with the reason."""

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="reinspections", verbose_name="隐患")
    rectification = models.OneToOneField(
        Rectification, on_delete=models.PROTECT, related_name="reinspection", verbose_name="整改情况"
    )
    inspected_on = models.DateField("复查日期")
    inspector = _user_fk("复查人员", null=False)
    passed = models.BooleanField("复查合格")
    note = models.CharField("复查意见", max_length=1000)
    photos = models.ManyToManyField(StoredFile, related_name="+", blank=True, verbose_name="复查照片")
    at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "复查"
        ordering = ["hazard", "inspected_on", "pk"]

    def __str__(self):
        return f"{self.hazard_id} · {self.inspected_on} · {'合格' if self.passed else '不合格'}"


class HazardEventKind(models.TextChoices):
    FOUND = "found", "发现"
    SUBMITTED = "submitted", "提交整改"
    RETURNED = "returned", "退回整改"
    CLOSED = "closed", "复查销号"
    OVERDUE = "overdue", "逾期"
    ESCALATED = "escalated", "逾期升级"


class HazardEvent(models.Model):
    """One step in a hazard's life, appended and never updated: the ledger's timeline."""

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="events", verbose_name="隐患")
    kind = models.CharField("类型", max_length=10, choices=HazardEventKind.choices)
    state_from = models.CharField("原状态", max_length=10, choices=HazardState.choices, blank=True, default="")
    state_to = models.CharField("新状态", max_length=10, choices=HazardState.choices, blank=True, default="")
    note = models.CharField("说明", max_length=1000, blank=True, default="")
    actor = _user_fk("经办人")
    at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "隐患处置记录"
        ordering = ["hazard", "at", "pk"]

    def __str__(self):
        return f"{self.hazard_id} · {self.get_kind_display()}"
