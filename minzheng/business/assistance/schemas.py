"""The assessment request (测算): one shape for the CLI (JSON file), the API and the workbench."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from minzheng.foundation.codes.idnumbers import IdNumberError, parse_id_number

Relation = Literal["head", "spouse", "child", "parent", "sibling", "grandchild", "grandparent", "child_in_law", "other"]
DisabilityKind = Literal["limb", "visual", "hearing", "speech", "intellectual", "mental", "multiple"]
SelfCare = Literal["full", "partial", "none"]
IncomeKind = Literal[
    "wages", "business", "property", "transfer", "basic_pension", "special_care_pension", "assistance",
    "longevity_allowance", "award",
]  # fmt: skip
ExpenseKind = Literal["medical", "education", "rehabilitation", "other_rigid"]
# 民发〔2021〕57号 第七条: who lives in the household but is not counted as a member of the family
NOT_COUNTED_REASONS = {
    "religious_away": "宗教教职人员离家3年以上",
    "imprisoned": "服刑",
    "compulsory_rehab": "强制隔离戒毒",
    "declared_missing": "宣告失踪",
    "deceased": "死亡",
    "not_living_together": "户籍在此但不共同生活",
    "provincial_rule": "省级规定的其他情形",
}
NotCountedReason = Literal[
    "religious_away", "imprisoned", "compulsory_rehab", "declared_missing", "deceased", "not_living_together",
    "provincial_rule",
]  # fmt: skip
Money = Decimal


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberIn(_In):
    person_id: int | None = Field(None, ge=1)  # the registry person, on the case path
    name: str = Field("", max_length=50)
    id_number: str | None = None
    birth_date: dt.date | None = None
    relation: Relation = "head"
    counted: bool = True
    not_counted_reason: NotCountedReason | None = None
    disability_kind: DisabilityKind | None = None
    disability_grade: int | None = Field(None, ge=1, le=4)
    serious_illness: bool = False
    self_care: SelfCare = "full"
    labour_capacity: bool | None = None
    student: bool = False
    has_able_supporter: bool | None = None

    @field_validator("id_number")
    @classmethod
    def _id(cls, value):
        if value in (None, ""):
            return None
        try:
            return parse_id_number(value).number
        except IdNumberError as exc:
            raise ValueError(f"身份证号不正确：{exc}") from None

    @model_validator(mode="after")
    def _birth(self):
        if self.id_number:
            born = parse_id_number(self.id_number).birth_date
            if self.birth_date is not None and self.birth_date != born:
                raise ValueError(f"出生日期 {self.birth_date} 与身份证号中的 {born} 不一致")
            self.birth_date = born
        elif self.birth_date is None:
            raise ValueError("缺少出生日期（无身份证号时必填）")
        if (self.disability_kind is None) != (self.disability_grade is None):
            raise ValueError("残疾类别与残疾等级须同时填写")
        if self.counted and self.not_counted_reason:
            raise ValueError("计入家庭人口的成员不填写不计入原因")
        return self


class IncomeIn(_In):
    member: int = Field(..., ge=0)
    kind: IncomeKind
    annual_amount: Money = Field(..., ge=0, max_digits=14, decimal_places=2)


class ExpenseIn(_In):
    kind: ExpenseKind
    annual_amount: Money = Field(..., ge=0, max_digits=14, decimal_places=2)


class PropertyIn(_In):
    financial_assets: Money = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    houses: int = Field(0, ge=0)
    non_residential_houses: int = Field(0, ge=0)
    vehicles: int = Field(0, ge=0)
    business_registrations: int = Field(0, ge=0)


class CareIn(_In):
    full: Money | None = Field(None, ge=0)
    partial: Money | None = Field(None, ge=0)
    none: Money | None = Field(None, ge=0)


class StandardsIn(_In):
    """What-if values; any key left out comes from the standards table."""

    dibao_monthly: Money | None = Field(None, gt=0)
    edge_multiple: Money | None = Field(None, ge=1)
    tekun_basic_monthly: Money | None = Field(None, ge=0)
    tekun_care_monthly: CareIn | None = None
    category_topup_monthly: Money | None = Field(None, ge=0)
    employment_cost_rate: Money | None = Field(None, ge=0, le=1)
    rigid_expense_deductible: bool | None = None
    longevity_allowance_excluded: bool | None = None
    financial_assets_months: Money | None = Field(None, ge=0)
    houses_allowed: int | None = Field(None, ge=0)
    non_residential_houses_allowed: int | None = Field(None, ge=0)
    vehicles_allowed: int | None = Field(None, ge=0)
    business_registrations_allowed: int | None = Field(None, ge=0)
    rigid_expense_share: Money | None = Field(None, ge=0, le=1)
    rigid_expense_income_line_annual: Money | None = Field(None, ge=0)
    rounding: Literal["ceil_yuan", "round_fen"] | None = None

    def as_overrides(self) -> dict:
        out = {}
        for key, value in self.model_dump(exclude_none=True).items():
            if key == "tekun_care_monthly":
                value = {k: v for k, v in value.items() if v is not None}
            out[key] = value
        return out


class TempAssistanceIn(_In):
    """临时救助 estimate: the kind and the months of hardship (支出型) to cover."""

    kind: Literal["emergency", "expenditure"]
    months: int = Field(1, ge=1, le=24)


def _income_refs(incomes, members):
    bad = [i for i, inc in enumerate(incomes) if inc.member >= len(members)]
    if members and bad:
        raise ValueError(f"收入第 {', '.join(str(i + 1) for i in bad)} 项指向的成员不存在（成员序号从 0 开始）")
    return incomes


class HouseholdFactsIn(_In):
    """What an investigation (入户调查) finds about a household: the fields of
    :class:`AssessmentIn` without the region and hukou type (the case's household has them), the
    day (the assessment's) and what-if standards. Every member is a registry person
    (``person_id``) and every member not counted says why (民发〔2021〕57号 第七条)."""

    tekun_mode: Literal["dispersed", "centralised"] = "dispersed"
    members: list[MemberIn] = Field(..., min_length=1, max_length=30)
    incomes: list[IncomeIn] = Field(default_factory=list, max_length=200)
    expenses: list[ExpenseIn] = Field(default_factory=list, max_length=200)
    property: PropertyIn = Field(default_factory=PropertyIn)

    @field_validator("incomes")
    @classmethod
    def _member_refs(cls, incomes, info):
        return _income_refs(incomes, info.data.get("members") or [])

    @model_validator(mode="after")
    def _registry_people(self):
        problems = []
        seen = set()
        for i, m in enumerate(self.members, 1):
            who = m.name or f"第 {i} 名成员"
            if m.person_id is None:
                problems.append(f"{who}：缺少户籍登记的人员编号（person_id）")
            elif m.person_id in seen:
                problems.append(f"{who}：同一人重复列出")
            seen.add(m.person_id)
            if not m.counted and not m.not_counted_reason:
                problems.append(f"{who}：不计入家庭人口的，须选择原因")
        if problems:
            raise ValueError("；".join(problems))
        return self

    def for_assessment(self, *, region_code: str, hukou_type: str, as_of: dt.date) -> AssessmentIn:
        return AssessmentIn(region_code=region_code, hukou_type=hukou_type, as_of=as_of, **self.model_dump())


class AssessmentIn(_In):
    region_code: str = Field(..., pattern=r"^\d{12}$")
    hukou_type: Literal["urban", "rural"]
    as_of: dt.date | None = None
    tekun_mode: Literal["dispersed", "centralised"] = "dispersed"
    members: list[MemberIn] = Field(..., min_length=1, max_length=30)
    incomes: list[IncomeIn] = Field(default_factory=list, max_length=200)
    expenses: list[ExpenseIn] = Field(default_factory=list, max_length=200)
    property: PropertyIn = Field(default_factory=PropertyIn)
    standards: StandardsIn | None = None
    temp_assistance: TempAssistanceIn | None = None

    @field_validator("incomes")
    @classmethod
    def _member_refs(cls, incomes, info):
        return _income_refs(incomes, info.data.get("members") or [])


class ComponentOut(BaseModel):
    item: Literal["gap", "category_topup", "tekun_basic", "tekun_care"]
    member: int | None = None
    amount: str


class TempAssistanceOut(BaseModel):
    kind: str
    months: int
    amount: str
    cap: str
    approval: Literal["township", "county"]


class TekunMemberOut(BaseModel):
    """A member who qualifies as 特困 (特困人员认定办法第六条), with the amount of their own support."""

    member: int
    name: str
    self_care: SelfCare
    basic: str
    care: str
    amount: str


class AssessmentOut(BaseModel):
    classification: Literal["dibao", "dibao_single_person", "dibao_edge", "tekun", "rigid_expense", "not_eligible"]
    tekun_mode: str | None = None
    tekun_members: list[TekunMemberOut] = []
    tekun_amount: str = "0.00"
    counted_members: int
    annual_income_counted: str
    per_capita_monthly_income: str
    standard_monthly: str
    monthly_amount: str
    components: list[ComponentOut]
    property_ok: bool
    explanation: list[str]
    rule_refs: list[str]
    warnings: list[str] = []
    temp_assistance: TempAssistanceOut | None = None
