"""Policy parameters: time-versioned standard values per region, hukou type and mode."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.registry.models import HukouType


class Standard(models.Model):
    """One value of one standard type, for a region (any level; '' = nationwide), a hukou type
    ('' = both) and a mode or tier ('' = none), valid on ``[effective_from, effective_to)``.

    The most specific row wins: a longer region prefix beats a shorter one, an explicit hukou type
    beats ''. Rows are never edited in place once a later version exists: a change closes the row
    in force and adds a new one (see ``services.standard_set``), so what was in force on any date
    can always be shown.
    """

    key = models.CharField("标准类型", max_length=50)
    region_code = models.CharField("适用区划", max_length=12, blank=True, default="")
    hukou_type = models.CharField("户籍类型", max_length=5, blank=True, default="", choices=HukouType.choices)
    mode = models.CharField("方式/档次", max_length=20, blank=True, default="")
    effective_from = models.DateField("起始日期")
    effective_to = models.DateField("截止日期（不含）", null=True, blank=True)
    value = models.DecimalField("数值", max_digits=14, decimal_places=4, null=True, blank=True)
    text_value = models.CharField("取值", max_length=30, blank=True, default="")
    source_document = models.CharField("依据文件", max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        # the table the benefits engine created: the model moved, the rows stayed (ADR 0017)
        db_table = "benefits_standard"
        verbose_name = verbose_name_plural = "保障标准"
        indexes = [models.Index(fields=["key", "region_code", "effective_from"], name="standard_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "region_code", "hukou_type", "mode", "effective_from"], name="standard_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.key}@{self.region_code or '全国'}/{self.hukou_type or '*'}/{self.mode or '-'}"


class IncomeExclusion(models.Model):
    """Whether one kind of income is left out of the income a rule counts (``scope``: the rule, e.g.
    低保 family income or a 特困 person's own income, declared by the line that owns it), for a region
    (any level; '' = nationwide), valid on ``[effective_from, effective_to)``, with its citation.

    The most specific row in force wins per scope and kind, as for standards: a region may leave out
    a kind the nationwide list counts (the city government's items of 民发〔2021〕57号 第十三条), or
    count one a wider row leaves out (``excluded`` false). Changed only through
    ``services.income_exclusion_set``, which closes the row in force and adds a version (audited).
    """

    scope = models.CharField("适用规则", max_length=30)
    kind = models.CharField("收入类型", max_length=40)
    region_code = models.CharField("适用区划", max_length=12, blank=True, default="")
    excluded = models.BooleanField("不计入收入", default=True)
    effective_from = models.DateField("起始日期")
    effective_to = models.DateField("截止日期（不含）", null=True, blank=True)
    source_document = models.CharField("依据文件", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "不计入收入的项目"
        indexes = [models.Index(fields=["scope", "region_code", "effective_from"], name="exclusion_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "kind", "region_code", "effective_from"], name="exclusion_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.scope}:{self.kind}@{self.region_code or '全国'}={'不计入' if self.excluded else '计入'}"
