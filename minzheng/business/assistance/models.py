"""Social-assistance data kept beside the registry: each household's last known means (家庭经济状况),
from its declaration, an assessment or a verification report. Policy simulation re-assesses these
figures under changed standards; the members' ages, disabilities and illnesses come from the
registry itself."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from minzheng.foundation.accounts.scoping import ScopedQuerySet
from minzheng.foundation.registry.models import Household, HukouType


class MeansSource(models.TextChoices):
    DECLARED = "declared", "申报"
    ASSESSMENT = "assessment", "测算"
    VERIFICATION = "verification", "核对"
    DEMO = "demo", "示范数据"


# the income kinds of the assessment (``policy.INCOME_LABELS``, the schema's ``IncomeKind``), each
# with its column of :class:`HouseholdMeans` (a test checks they agree)
INCOME_KINDS = (
    "wages", "business", "property", "transfer", "basic_pension", "special_care_pension", "assistance",
    "longevity_allowance", "award",
)  # fmt: skip
INCOME_FIELDS = {kind: f"income_{kind}" for kind in INCOME_KINDS}


def _income_field(label: str):
    return models.DecimalField(f"{label}（元/年）", max_digits=14, decimal_places=2, default=0, db_default=0)


class HouseholdMeans(models.Model):
    """Annual income, rigid expenses and property of one household, as last established.

    The income twice: split as the assessment counted it when the means were saved (counted wages,
    other counted income, excluded income: the rules of the household's region on that date), and
    per kind (``income_<kind>``, the counted members' incomes), so a reader on another date or
    under another region's rules — the simulation — applies the exclusions in force itself.
    ``incomes_by_kind`` false: the kinds are not known (means saved before they were recorded, or
    figures adopted item by item that do not add up by kind); only the split is (ADR 0017)."""

    household = models.OneToOneField(Household, on_delete=models.CASCADE, related_name="+", verbose_name="家庭")
    region_code = models.CharField("所在区划代码", max_length=12)
    hukou_type = models.CharField("户籍类型", max_length=5, choices=HukouType.choices)
    as_of = models.DateField("核定日期")
    source = models.CharField("来源", max_length=14, choices=MeansSource.choices)
    wages_annual = models.DecimalField("工资性收入（元/年）", max_digits=14, decimal_places=2, default=0)
    other_income_annual = models.DecimalField("其他计入收入（元/年）", max_digits=14, decimal_places=2, default=0)
    excluded_income_annual = models.DecimalField("不计入收入（元/年）", max_digits=14, decimal_places=2, default=0)
    rigid_expense_annual = models.DecimalField("刚性支出（元/年）", max_digits=14, decimal_places=2, default=0)
    financial_assets = models.DecimalField("金融资产（元）", max_digits=16, decimal_places=2, default=0)
    houses = models.PositiveSmallIntegerField("住房（套）", default=0)
    non_residential_houses = models.PositiveSmallIntegerField("非住宅房产（套）", default=0)
    vehicles = models.PositiveSmallIntegerField("机动车（辆）", default=0)
    business_registrations = models.PositiveSmallIntegerField("市场主体登记（户）", default=0)
    has_able_supporter = models.BooleanField("有履行能力的法定义务人", null=True, blank=True)
    incomes_by_kind = models.BooleanField("按收入类型记录", default=False, db_default=False)
    income_wages = _income_field("工资性收入")
    income_business = _income_field("经营净收入")
    income_property = _income_field("财产净收入")
    income_transfer = _income_field("转移净收入")
    income_basic_pension = _income_field("城乡居民基础养老金")
    income_special_care_pension = _income_field("优抚金")
    income_assistance = _income_field("政府救助款物")
    income_longevity_allowance = _income_field("高龄津贴")
    income_award = _income_field("奖励金")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "家庭经济状况"
        indexes = [models.Index(fields=["region_code"], name="means_region")]

    def __str__(self):
        return f"{self.household_id}@{self.as_of}"
