"""The social-assistance service items on the case engine: the forms their actions carry, the
guards and effects they name (assessment at first review and at confirmation, enrolment on
approval), and the documents only this business line knows (入户调查表, 审核确认表, 决定书).

The steps and time limits themselves are data in :mod:`.case_types`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.utils import timezone
from pydantic import BaseModel, Field, field_validator

from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.engines.benefits.services import enrollment_create, next_month
from minzheng.engines.cases.builtin import REMEDY, addressee, doc_number, office_name
from minzheng.engines.cases.hooks import case_document, case_effect, case_form, case_guard
from minzheng.foundation.documents.spec import Document, Fields, Heading, Note, Paragraph, Signatures, Table
from minzheng.foundation.registry.models import Relation
from minzheng.foundation.validation import Refused

from .assessment import assessment_run
from .models import HouseholdMeans, MeansSource
from .services import MEANS_FIELDS, household_means_write
from .simulation import assessment_request

PROGRAM_OF = {"dibao": {"dibao", "dibao_single_person"}, "tekun": {"tekun"}, "dibao_edge": {"dibao_edge"},
              "rigid_expense": {"rigid_expense"}}  # fmt: skip
ADL_ITEMS = ("吃饭", "穿衣", "上下床", "如厕", "室内行走", "洗澡")  # 特困人员认定办法 第二十一条


# ---------------------------------------------------------------- forms


class InvestigationForm(BaseModel):
    """入户调查 (审核确认办法 第十六条): at least two staff visit, sign the 入户调查表, and record the
    household's incomes, rigid expenses and property as found."""

    investigators: list[str]
    visit_date: dt.date
    findings: str = Field(min_length=4, max_length=2000)
    wages_annual: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    other_income_annual: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    excluded_income_annual: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    rigid_expense_annual: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    financial_assets: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    houses: int = Field(0, ge=0, le=20)
    non_residential_houses: int = Field(0, ge=0, le=20)
    vehicles: int = Field(0, ge=0, le=20)
    business_registrations: int = Field(0, ge=0, le=20)
    has_able_supporter: bool | None = None
    verification_requested: bool = True

    @field_validator("investigators")
    @classmethod
    def _two_people(cls, names):
        names = [n.strip() for n in names if n and n.strip()]
        if len(set(names)) < 2:
            raise ValueError("入户调查须由两名及以上工作人员进行，请填写两名不同的调查人")
        return names

    @field_validator("visit_date")
    @classmethod
    def _not_future(cls, day):
        if day > timezone.localdate():
            raise ValueError("入户日期不能晚于今天")
        return day


class SelfCareForm(InvestigationForm):
    """特困: the six-item self-care assessment (特困人员认定办法 第二十一条–第二十二条)."""

    adl_not_met: list[str] = []

    @field_validator("adl_not_met")
    @classmethod
    def _known_items(cls, items):
        unknown = [i for i in items if i not in ADL_ITEMS]
        if unknown:
            raise ValueError(f"自理能力评估项目只能是：{'、'.join(ADL_ITEMS)}")
        return list(dict.fromkeys(items))


class RecheckForm(BaseModel):
    """County random re-check of 特困 cases (特困人员认定办法 第十五条: ≥ 30 %)."""

    rechecked_by: str = Field(min_length=2)
    recheck_date: dt.date
    consistent: bool


class EmergencyForm(BaseModel):
    """临时救助 急难型 先行救助: the amount paid on the spot, within the township's limit."""

    event: str = Field(min_length=2, max_length=200)
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2)


for name, model in (("assistance.investigation", InvestigationForm), ("assistance.selfcare", SelfCareForm),
                    ("assistance.recheck", RecheckForm), ("assistance.emergency", EmergencyForm)):  # fmt: skip
    case_form(name)(model)


def self_care_of(not_met: list[str]) -> str:
    """0 items not met → 全自理; 1–3 → 部分丧失; 4–6 → 完全丧失 (特困人员认定办法 第二十二条)."""
    n = len(not_met)
    return "full" if n == 0 else "partial" if n <= 3 else "none"


# ---------------------------------------------------------------- assessment


def _members(household):
    rows = household.memberships.filter(valid_to__isnull=True).select_related("person")
    return [
        SimpleNamespace(relation=m.relation, person_id=m.person_id, birth_date=m.person.birth_date,
                        disability_kind=m.person.disability_kind, disability_grade=m.person.disability_grade,
                        serious_illness=m.person.serious_illness, self_care=m.person.self_care)
        for m in rows
    ]  # fmt: skip


def case_assess(case, on: dt.date) -> dict:
    """The benefits engine's assessment of the case's household from the registry (members) and its
    means as last recorded (by the 入户调查 of this case)."""
    household = case.household
    means = HouseholdMeans.objects.filter(household=household).first()
    if means is None:
        raise Refused("尚未录入该家庭的经济状况（入户调查），无法测算")
    members = _members(household)
    care = case.data.get("forms", {}).get("investigate_done", {}).get("adl_not_met")
    if care is not None and case.applicant_id:
        for m in members:
            if m.person_id == case.applicant_id:
                m.self_care = self_care_of(care)
    req = assessment_request(region_code=household.region_code, hukou_type=household.hukou_type, as_of=on,
                             means=means, members=members)  # fmt: skip
    try:
        return assessment_run(req)
    except ValidationError as exc:
        raise Refused("测算失败：" + "；".join(exc.messages)) from None


@case_guard("assistance.means_recorded")
def _means_recorded(ctx):
    if ctx.case.household_id is None:
        return "该办件没有关联家庭"
    if not HouseholdMeans.objects.filter(household_id=ctx.case.household_id).exists():
        return "尚未录入该家庭的经济状况，请先完成入户调查"
    return None


@case_effect("assistance.save_means")
def _save_means(ctx):
    """The investigation's findings become the household's means record (source: 申报/调查)."""
    values = {f: ctx.data[f] for f in MEANS_FIELDS}
    for f in ("wages_annual", "other_income_annual", "excluded_income_annual", "rigid_expense_annual",
              "financial_assets"):  # fmt: skip
        values[f] = Decimal(str(values[f]))
    household_means_write(user=ctx.user, household=ctx.case.household, values=values,
                          as_of=dt.date.fromisoformat(ctx.data["visit_date"]), source=MeansSource.DECLARED)  # fmt: skip


@case_effect("assistance.assess")
def _assess(ctx):
    """Assess at first review and again at confirmation (standards may have changed in between);
    the result is stored with the case and shown on the 公示 and the decision."""
    result = case_assess(ctx.case, ctx.today)
    ctx.case.data["assessment"] = result
    ctx.case.data["assessed_on"] = ctx.today.isoformat()
    ctx.case.data["amount"] = result["monthly_amount"]
    ctx.data.setdefault("assessment_classification", result["classification"])


@case_effect("assistance.enrol")
def _enrol(ctx):
    """On approval the household enters the program's roll from the month after approval
    (审核确认办法 第二十一条), with the amount and components of the assessment just made."""
    case = ctx.case
    program = ctx.params.get("program", "dibao")
    result = case.data.get("assessment") or case_assess(case, ctx.today)
    if result["classification"] not in PROGRAM_OF.get(program, {program}):
        raise Refused(
            f"测算结果为「{_class_name(result['classification'])}」，不符合本事项的批准条件；"
            "如家庭情况有变化，请退回重新调查，或作出不予批准决定"
        )
    person = case.applicant if program == "tekun" or result["classification"] == "dibao_single_person" else None
    e = enrollment_create(
        user=ctx.user, program=program, household=case.household, person=person,
        monthly_amount=Decimal(result["monthly_amount"]), persons_covered=1 if person else result["counted_members"],
        components=result["components"], classification=result["classification"],
        mode=result.get("tekun_mode") or "", start_month=next_month(ctx.today), assessment=result,
        source_case=case.number, note=f"由办件 {case.number} 审核确认纳入",
    )  # fmt: skip
    case.data["enrollment_number"] = e.number
    case.data["start_month"] = e.start_month.isoformat()
    ctx.messages.append(f"已纳入保障：{e.number}，月保障金 {e.monthly_amount} 元，自 {e.start_month:%Y年%m月} 起发放")


@case_guard("assistance.recheck_done")
def _recheck_done(ctx):
    """特困: a deterministic ≥ 30 % sample of cases (by case number) must carry the county's own
    re-check before confirmation (特困人员认定办法 第十五条)."""
    share = int(ctx.params.get("recheck_percent", 30))
    if recheck_selected(ctx.case.number, share) and "recheck" not in ctx.case.data.get("forms", {}):
        return f"本件被抽中县级复查（抽查比例 {share}%），请先录入复查结果"
    return None


def recheck_selected(number: str, share: int) -> bool:
    from minzheng.foundation.crypto.sm import sm3_hex

    return int(sm3_hex(number.encode())[:8], 16) % 100 < share


@case_effect("assistance.enrollment_link")
def _enrollment_link(ctx):
    """Roll-change items (复核, 变更, 停保) work on the household's running enrollment (the one they
    were opened from, else the household's latest)."""
    if ctx.case.data.get("enrollment_number"):
        e = Enrollment.objects.filter(number=ctx.case.data["enrollment_number"], household=ctx.case.household).first()
        if e is not None and e.state != EnrollmentState.EXITED:
            return
    e = (
        Enrollment.objects.filter(household=ctx.case.household)
        .exclude(state=EnrollmentState.EXITED)
        .order_by("-pk")
        .first()
    )
    if e is None:
        raise Refused("该家庭没有在保的救助待遇，不能办理此事项")
    ctx.case.data["enrollment_number"] = e.number


def _class_name(code: str) -> str:
    return {"dibao": "低保", "dibao_single_person": "低保（单人户）", "dibao_edge": "低保边缘家庭",
            "tekun": "特困人员", "rigid_expense": "刚性支出困难家庭", "not_eligible": "不符合条件"}.get(code, code)  # fmt: skip


# ---------------------------------------------------------------- documents


def _household_rows(case) -> list[list]:
    if case.household is None:
        return []
    rows = []
    for m in case.household.memberships.filter(valid_to__isnull=True).select_related("person"):
        p = m.person
        rows.append([p.name, Relation(m.relation).label if m.relation in Relation.values else m.relation,
                     p.id_number_masked, p.birth_date, p.get_self_care_display() if p.self_care else ""])  # fmt: skip
    return rows


@case_document("investigation_form", "入户调查表")
def investigation_form(case, status):
    form = case.data.get("forms", {}).get("investigate_done", {})
    h = case.household
    blocks = [
        Fields(
            [
                ("办件编号", case.number),
                ("事项", case.spec.name),
                ("户主/申请人", addressee(case)),
                ("家庭编号", h.number if h else ""),
                ("入户日期", form.get("visit_date", "")),
                ("调查人", "、".join(form.get("investigators", []))),
            ]
        ),
        Heading("一、家庭成员"),
        Table(["姓名", "关系", "身份证号", "出生日期", "自理能力"], _household_rows(case), widths=[2, 1.4, 3, 2, 1.6]),
        Heading("二、收入、支出与财产（元/年）"),
        Fields(
            [
                ("工资性收入", form.get("wages_annual", "")),
                ("其他计入收入", form.get("other_income_annual", "")),
                ("不计入收入", form.get("excluded_income_annual", "")),
                ("刚性支出", form.get("rigid_expense_annual", "")),
                ("金融资产", form.get("financial_assets", "")),
                ("住房（套）", form.get("houses", "")),
                ("机动车（辆）", form.get("vehicles", "")),
                ("市场主体（户）", form.get("business_registrations", "")),
            ]
        ),
        Heading("三、调查情况"),
        Paragraph(form.get("findings", "")),
        Signatures(["调查人（签字）", "调查人（签字）", "被调查人（签字）"], columns=3),
    ]
    if form.get("adl_not_met") is not None:
        blocks.insert(5, Paragraph("生活自理能力评估未达到的项目：" + ("、".join(form["adl_not_met"]) or "无")))
    return Document(title="家庭经济状况入户调查表", number=case.number, blocks=blocks, issuer=office_name(case),
                    issued_on=timezone.localdate())  # fmt: skip


def _opinions(case) -> list[list]:
    return [
        [s.at.astimezone(timezone.get_current_timezone()).date(), s.action_name, s.actor_name, s.opinion]
        for s in case.history.order_by("seq")
        if s.opinion
    ]


@case_document("review_form", "审核确认表")
def review_form(case, status):
    a = case.data.get("assessment") or {}
    blocks = [
        Fields(
            [
                ("办件编号", case.number),
                ("事项", case.spec.name),
                ("申请人", addressee(case)),
                ("家庭编号", case.household.number if case.household else ""),
                ("计入人口", a.get("counted_members", "")),
                ("人均月收入（元）", a.get("per_capita_monthly_income", "")),
                ("保障标准（元/人·月）", a.get("standard_monthly", "")),
                ("测算月保障金（元）", a.get("monthly_amount", "")),
            ]
        ),
        Heading("一、测算过程"),
        *[Paragraph(f"{i}. {line}", indent=False) for i, line in enumerate(a.get("explanation", []), 1)],
        Heading("二、各环节意见"),
        Table(["日期", "环节", "经办人", "意见"], _opinions(case), widths=[2, 2, 1.6, 5]),
        Signatures(["乡镇（街道）审核人", "县级民政部门审核确认人"]),
    ]
    return Document(title="审核确认表", number=case.number, blocks=blocks, issuer=office_name(case, "county"),
                    issued_on=timezone.localdate())  # fmt: skip


@case_document("approval_decision", "批准决定书")
def approval_decision(case, status):
    a = case.data.get("assessment") or {}
    start = case.data.get("start_month")
    start_text = f"{start[:4]}年{int(start[5:7])}月" if start else "次月"
    level = "township" if case.delegated else "county"
    blocks = [
        Paragraph(
            f"你提出的{case.spec.name}（办件编号 {case.number}），经入户调查、家庭经济状况核对、乡镇（街道）初审、"
            "公示和审核确认，符合条件，决定予以批准。"
        ),
        Fields(
            [
                ("保障编号", case.data.get("enrollment_number", "")),
                ("保障人数", a.get("counted_members", "")),
                ("月保障金（元）", a.get("monthly_amount", "")),
                ("起始发放月份", start_text),
            ]
        ),
        Paragraph(
            "保障金按月通过社会化发放方式打入你家庭的银行账户。家庭人口、收入、财产状况发生变化的，请及时告知乡镇（街道），"
            "并配合定期复核。"
        ),
        Note(REMEDY),
    ]
    return Document(title="最低生活保障审核确认决定书" if case.spec.program == "dibao" else f"{case.spec.name}批准决定书",
                    number=doc_number(case, "批"), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip


# ---------------------------------------------------------------- roll changes: 复核, 变更, 停保


class TempAmountForm(BaseModel):
    """临时救助 amount proposed at the township review (元/户·次)."""

    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    hardship: str = Field(min_length=2, max_length=500)


case_form("assistance.temp_amount")(TempAmountForm)


# 复核, 变更 and 停保 themselves (forms, outcomes, decisions): see :mod:`.roll`.


# ---------------------------------------------------------------- 临时救助


def _temp_standards(case, on):
    from minzheng.engines.benefits.standards import standards_for

    h = case.household
    return standards_for(region_code=h.region_code, hukou_type=h.hukou_type, as_of=on)


@case_guard("assistance.within_township_limit")
def _within_township_limit(ctx):
    """先行救助 is paid by the township from its 备用金 up to its configured limit (2018 临时救助意见
    §三(三)); anything more goes through the full procedure."""
    from minzheng.engines.benefits.standards import MissingStandard

    try:
        limit = _temp_standards(ctx.case, ctx.today).decimal("temp_assistance_township_limit")
    except MissingStandard as exc:
        return str(exc)
    amount = Decimal(str(ctx.data.get("amount", 0)))
    if amount > limit:
        return f"先行救助金额 {amount} 元超过乡镇审批限额 {limit} 元，请按程序报县级审批"
    return None


@case_guard("assistance.within_cap")
def _within_cap(ctx):
    from minzheng.engines.benefits.standards import MissingStandard

    mode = ctx.params.get("temp_mode", "expenditure")
    amount = Decimal(str(ctx.case.data.get("amount") or 0))
    try:
        cap = _temp_standards(ctx.case, ctx.today).decimal("temp_assistance_cap", mode)
    except MissingStandard as exc:
        return str(exc)
    if amount > cap:
        return f"拟救助金额 {amount} 元超过单次上限 {cap} 元"
    return None


@case_effect("assistance.temp_amount")
def _temp_amount(ctx):
    ctx.case.data["amount"] = str(ctx.data["amount"])


@case_effect("assistance.temp_grant")
def _temp_grant(ctx):
    """Record the one-off grant with the case (paid from the township's 备用金 or by the county)."""
    amount = ctx.data.get("amount") or ctx.case.data.get("amount")
    if not amount:
        raise Refused("没有拟救助金额")
    ctx.case.data["amount"] = str(amount)
    ctx.case.data["granted_on"] = ctx.today.isoformat()
    ctx.messages.append(f"临时救助 {amount} 元")


@case_document("temp_decision", "临时救助决定书")
def temp_decision(case, status):
    level = "township" if case.delegated or case.data.get("forms", {}).get("assist_first") else "county"
    blocks = [
        Paragraph(f"你提出的{case.spec.name}（办件编号 {case.number}），经审核，决定给予临时救助。"),
        Fields([("救助金额（元）", case.data.get("amount", "")), ("决定日期", timezone.localdate())]),
        Note(REMEDY),
    ]
    return Document(title="临时救助决定书", number=doc_number(case, "临"), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip
