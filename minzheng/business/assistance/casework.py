"""The social-assistance service items on the case engine: the forms their actions carry, the
guards and effects they name (assessment at first review and at confirmation, enrolment on
approval), and the documents only this business line knows (入户调查表, 审核确认表, 决定书).

The steps and time limits themselves are data in :mod:`.case_types`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from pydantic import BaseModel, Field, field_validator, model_validator

from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.engines.benefits.services import enrollment_create, next_month
from minzheng.engines.cases.builtin import REMEDY, addressee, doc_number, office_name
from minzheng.engines.cases.hooks import (
    case_document,
    case_effect,
    case_field_choices,
    case_field_labels,
    case_form,
    case_guard,
    case_value_labels,
)
from minzheng.foundation.documents.spec import Document, Fields, Heading, Note, Paragraph, Signatures, Table
from minzheng.foundation.registry.models import Relation
from minzheng.foundation.validation import Refused

from .assessment import (
    DISABILITY_LABELS,
    EXPENSE_LABELS,
    INCOME_LABELS,
    SELF_CARE_LABELS,
    assessment_run,
    family_excluded_kinds,
    yuan,
)
from .models import MeansSource
from .policy import TEKUN_MODES
from .schemas import NOT_COUNTED_REASONS, AssessmentIn, HouseholdFactsIn
from .services import household_means_save

PROGRAM_OF = {"dibao": {"dibao", "dibao_single_person"}, "tekun": {"tekun"}, "dibao_edge": {"dibao_edge"},
              "rigid_expense": {"rigid_expense"}}  # fmt: skip
ADL_ITEMS = ("吃饭", "穿衣", "上下床", "如厕", "室内行走", "洗澡")  # 特困人员认定办法 第二十一条
case_field_choices("adl_not_met", ADL_ITEMS)  # a page shows them as checkboxes


# ---------------------------------------------------------------- forms


class InvestigationForm(BaseModel):
    """入户调查 (审核确认办法 第十六条): at least two staff visit, sign the 入户调查表, and record what
    the assessment needs, per member: ``household_facts`` is the request of ``minzheng assess``
    without region, hukou type, day and what-if standards (:class:`.schemas.HouseholdFactsIn`):
    who is counted and who is not with the reason (第七条), each member's own incomes by kind,
    disability, illness, labour capacity and self-care; expenses; property. The case keeps these
    facts as its evidence snapshot (:func:`facts_record`); every assessment of the case is made
    from them."""

    household_facts: HouseholdFactsIn
    investigators: list[str]
    visit_date: dt.date
    findings: str = Field(min_length=4, max_length=2000)
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


TEKUN_MODE_LABELS = dict(TEKUN_MODES)
case_value_labels("tekun_mode", TEKUN_MODE_LABELS)


class SelfCareForm(InvestigationForm):
    """特困: the six-item self-care assessment (特困人员认定办法 第二十一条–第二十二条) and the form
    of support the person chose, 分散 (at home) or 集中 (in an institution) (暂行办法第十九条)."""

    adl_not_met: list[str] = []
    tekun_mode: Literal["dispersed", "centralised"] = Field(title="供养方式")

    @model_validator(mode="before")
    @classmethod
    def _mode_chosen(cls, data):
        """The choice is required: on the form, or as ``tekun_mode`` of the facts themselves (the
        request of ``minzheng assess``); never the schema's default taken silently."""
        if isinstance(data, dict) and not data.get("tekun_mode"):
            facts = data.get("household_facts")
            if isinstance(facts, dict) and facts.get("tekun_mode"):
                data = {**data, "tekun_mode": facts["tekun_mode"]}
        return data

    @field_validator("tekun_mode", mode="before")
    @classmethod
    def _mode(cls, value):
        return "centralised" if value == "centralized" else value  # the standards' spelling (policy.TEKUN_MODES)

    @field_validator("adl_not_met")
    @classmethod
    def _known_items(cls, items):
        unknown = [i for i in items if i not in ADL_ITEMS]
        if unknown:
            raise ValueError(f"自理能力评估项目只能是：{'、'.join(ADL_ITEMS)}")
        return list(dict.fromkeys(items))


class RecheckForm(BaseModel):
    """County random re-check of 特困 cases (特困人员认定办法 第十五条: ≥ 30 %): who re-checked, on
    which day (not in the future), and whether the finding agrees with the township's; a finding
    that disagrees says how, and blocks approval until resolved (see :func:`_recheck_done`)."""

    rechecked_by: str = Field(min_length=2, max_length=100, title="复查人")
    recheck_date: dt.date = Field(title="复查日期")
    consistent: bool = Field(title="复查结论与乡镇调查一致")
    differences: str = Field("", max_length=1000, title="不一致的情况", description="复查结论与乡镇调查不一致时填写")

    @model_validator(mode="after")
    def _differences(self):
        if not self.consistent and len(self.differences.strip()) < 4:
            raise ValueError("复查结论与乡镇调查不一致的，请写明不一致的情况")
        return self


for name, model in (("assistance.investigation", InvestigationForm), ("assistance.selfcare", SelfCareForm),
                    ("assistance.recheck", RecheckForm)):  # fmt: skip
    case_form(name)(model)

# how pages name the investigation's fields (and those of investigations recorded before the facts
# table: wages_annual …, still shown in older cases' history)
case_field_labels(
    {
        "investigators": "调查人",
        "visit_date": "入户日期",
        "findings": "调查情况",
        "wages_annual": "工资性收入（元/年）",
        "other_income_annual": "其他计入收入（元/年）",
        "excluded_income_annual": "不计入收入（元/年）",
        "rigid_expense_annual": "刚性支出（元/年）",
        "financial_assets": "金融资产（元）",
        "houses": "住房（套）",
        "non_residential_houses": "非居住用房（套）",
        "vehicles": "机动车（辆）",
        "business_registrations": "市场主体登记（户）",
        "household_facts": "家庭成员、收入与财产",
        "has_able_supporter": "有履行能力的法定义务人",
        "verification_requested": "已申请家庭经济状况核对",
        "adl_not_met": "生活自理能力未达到的项目",
        "rechecked_by": "复查人",
        "recheck_date": "复查日期",
        "consistent": "复查结论与乡镇调查一致",
    },
    help={
        "investigators": "两名及以上工作人员，用逗号或顿号分隔",
        "findings": "家庭成员、就业、收入、财产和生活状况的调查情况",
        "has_able_supporter": "赡养、抚养、扶养义务人",
    },
    wide=("investigators", "findings", "adl_not_met"),
)


def self_care_of(not_met: list[str]) -> str:
    """0 items not met → 全自理; 1–3 → 部分丧失; 4–6 → 完全丧失 (特困人员认定办法 第二十二条)."""
    n = len(not_met)
    return "full" if n == 0 else "partial" if n <= 3 else "none"


# ---------------------------------------------------------------- assessment


def case_facts(case) -> dict | None:
    """The latest revision of the case's evidence snapshot (see :func:`facts_record`), or None."""
    revisions = case.data.get("evidence") or []
    return revisions[-1] if revisions else None


def facts_record(ctx) -> dict:
    """Keep the investigation's ``household_facts`` as the next revision of the case's evidence
    snapshot (``case.data["evidence"]``: appended with who, when and the visit, never overwritten).

    Each member must be a current member of the case's household, and every current member must be
    listed (counted, or not counted with the reason): name and birth date are the registry's, the ID
    number is checked against the registry and not kept in the case. The 特困 six-item result sets
    the applicant's self-care; a chosen 供养方式 (``tekun_mode``) is part of the facts."""
    case = ctx.case
    household = case.household
    if household is None:
        raise Refused("该办件没有关联家庭，不能记录入户调查结果")
    facts = HouseholdFactsIn.model_validate(ctx.data["household_facts"])
    current = {
        m.person_id: m.person
        for m in household.memberships.filter(valid_to__isnull=True).select_related("person")
    }  # fmt: skip
    problems = []
    for i, m in enumerate(facts.members, 1):
        p = current.get(m.person_id)
        if p is None:
            problems.append(f"第 {i} 名成员{f'（{m.name}）' if m.name else ''}不是该家庭的现有成员")
            continue
        if m.name and m.name.strip() != p.name:
            problems.append(f"第 {i} 名成员姓名「{m.name}」与户籍登记的「{p.name}」不一致")
        if m.id_number and m.id_number != p.id_number:
            problems.append(f"{p.name}的身份证号与户籍登记不一致")
        if m.birth_date != p.birth_date:
            problems.append(f"{p.name}的出生日期 {m.birth_date} 与户籍登记的 {p.birth_date} 不一致")
        m.name, m.id_number = p.name, None  # the case keeps no ID numbers
    listed = {m.person_id for m in facts.members}
    missing = [p.name for pid, p in current.items() if pid not in listed]
    if missing:
        problems.append(f"家庭成员{'、'.join(missing)}未列入调查：请逐人说明是否计入家庭人口")
    if problems:
        raise ValidationError({"data.household_facts": problems})
    if ctx.data.get("adl_not_met") is not None and case.applicant_id:
        for m in facts.members:
            if m.person_id == case.applicant_id:
                m.self_care = self_care_of(ctx.data["adl_not_met"])
    if ctx.data.get("tekun_mode"):
        facts.tekun_mode = ctx.data["tekun_mode"]
    snapshot = facts.model_dump(mode="json")
    ctx.data["household_facts"] = snapshot  # the form and the status row keep the same facts
    revisions = case.data.setdefault("evidence", [])
    revision = {
        "revision": len(revisions) + 1, "action": ctx.action, "step": ctx.source,
        "recorded_by": (getattr(ctx.user, "display_name", "") or getattr(ctx.user, "username", "")) or "系统",
        "recorded_at": timezone.now().isoformat(timespec="seconds"), "visit_date": ctx.data.get("visit_date"),
        "investigators": ctx.data.get("investigators", []), "region_code": household.region_code,
        "hukou_type": household.hukou_type, "household_facts": snapshot,
    }  # fmt: skip
    revisions.append(revision)
    return revision


def case_request(case, on: dt.date) -> AssessmentIn:
    """The assessment request of the case on ``on``: its evidence snapshot, nothing else."""
    revision = case_facts(case)
    if revision is None:
        raise Refused("该办件没有按成员记录的入户调查结果，无法测算：请退回重新入户调查")
    facts = HouseholdFactsIn.model_validate(revision["household_facts"])
    return facts.for_assessment(region_code=revision["region_code"], hukou_type=revision["hukou_type"], as_of=on)


def case_assess(case, on: dt.date) -> dict:
    """The assessment (the same :func:`.assessment.assessment_run` as ``minzheng assess``) of the
    case's evidence snapshot on the standards in force on ``on``; never of means recorded
    elsewhere (a later 测算 of the household changes nothing here)."""
    req = case_request(case, on)
    try:
        result = assessment_run(req)
    except ValidationError as exc:
        raise Refused("测算失败：" + "；".join(exc.messages)) from None
    result["facts_revision"] = case_facts(case)["revision"]
    return result


@case_guard("assistance.means_recorded")
def _means_recorded(ctx):
    if ctx.case.household_id is None:
        return "该办件没有关联家庭"
    if case_facts(ctx.case) is None:
        return "尚未按成员录入入户调查结果，请先完成入户调查"
    return None


@case_effect("assistance.save_means")
def _save_means(ctx):
    """The investigation's facts become the case's evidence snapshot (:func:`facts_record`) and,
    as a by-product for the simulation, the household's means record (source: 申报/调查)."""
    revision = facts_record(ctx)
    req = case_request(ctx.case, dt.date.fromisoformat(ctx.data["visit_date"]))
    household_means_save(user=ctx.user, household=ctx.case.household, request=req, source=MeansSource.DECLARED)
    ctx.messages.append(f"已记录入户调查结果（第 {revision['revision']} 次）")


def tekun_part(result: dict, program: str) -> dict:
    """A 特困 item decides its 特困 members. Where assess recognised 特困 members beside a family
    (the result's classification, amount and components are then the family's, assessed apart),
    the 特困 item's result is the 特困 members' own: their classification, amount, components and
    number — what the 公示 shows, the county confirms and :func:`_enrol` enrols."""
    tekun = result.get("tekun_members") or []
    if program != "tekun" or not tekun or result["classification"] == "tekun":
        return result
    return {**result, "classification": "tekun", "monthly_amount": result["tekun_amount"],
            "components": tekun_components(tekun), "counted_members": len(tekun)}  # fmt: skip


def tekun_components(tekun_members) -> list[dict]:
    """The 基本生活 and 照料 components of the 特困 members assess recognised (``tekun_members``)."""
    return [{"item": item, "member": t["member"], "amount": t[key]}
            for t in tekun_members for item, key in (("tekun_basic", "basic"), ("tekun_care", "care"))]  # fmt: skip


@case_effect("assistance.assess")
def _assess(ctx):
    """Assess at first review and again at confirmation (standards may have changed in between);
    the result is stored with the case and shown on the 公示 and the decision."""
    result = tekun_part(case_assess(ctx.case, ctx.today), ctx.params.get("program", ""))
    ctx.case.data["assessment"] = result
    ctx.case.data["assessed_on"] = ctx.today.isoformat()
    ctx.case.data["amount"] = result["monthly_amount"]
    ctx.case.data["persons"] = result["counted_members"]  # the 公示 shows the counted members, not the registry's
    ctx.data.setdefault("assessment_classification", result["classification"])


@case_effect("assistance.enrol")
def _enrol(ctx):
    """On approval the household enters the program's roll from the month after approval
    (审核确认办法 第二十一条), with the amount and components of the assessment just made. A
    单人户 result enrols each member who qualified, as one person (2022 兜底通知), a 特困 result
    the person it recognised, with the 供养方式 chosen (暂行办法第十九条)."""
    case = ctx.case
    program = ctx.params.get("program", "dibao")
    result = case.data.get("assessment") or tekun_part(case_assess(case, ctx.today), program)
    tekun = result.get("tekun_members") or []
    if result["classification"] not in PROGRAM_OF.get(program, {program}):
        raise Refused(
            f"测算结果为「{_class_name(result['classification'])}」，不符合本事项的批准条件；"
            "如家庭情况有变化，请退回重新调查，或作出不予批准决定"
        )
    form = case.data.get("forms", {}).get("investigate_done", {})
    mode = form.get("tekun_mode") or result.get("tekun_mode") or ""
    start = next_month(ctx.today)
    common = {"user": ctx.user, "program": program, "household": case.household,
              "classification": result["classification"], "mode": mode if program == "tekun" else "",
              "start_month": start, "assessment": result, "source_case": case.number,
              "note": f"由办件 {case.number} 审核确认纳入"}  # fmt: skip
    persons = _persons_enrolled(case, result, program)
    if persons is None:
        made = [enrollment_create(**common, monthly_amount=Decimal(result["monthly_amount"]),
                                  persons_covered=result["counted_members"], components=result["components"])]  # fmt: skip
    else:
        made = []
        for index, person in persons:
            own = [c for c in result["components"] if c.get("member") in (index, None)]
            amount = sum((Decimal(c["amount"]) for c in own), Decimal(0))
            made.append(enrollment_create(**common, person=person, monthly_amount=amount, persons_covered=1,
                                          components=own))  # fmt: skip
    case.data["enrollment_number"] = made[0].number
    if len(made) > 1:
        case.data["enrollment_numbers"] = [e.number for e in made]
    case.data["start_month"] = start.isoformat()
    if mode and program == "tekun":
        case.data["tekun_mode"] = mode
    if program != "tekun" and tekun:
        ctx.messages.append(
            f"{'、'.join(t['name'] for t in tekun)}经测算符合特困人员条件，未计入本次保障人数；"
            "请另行办理特困人员认定申请"
        )
    for e in made:
        who = f"{e.person.name}，" if e.person_id else ""
        ctx.messages.append(
            f"已纳入保障：{e.number}，{who}月保障金 {yuan(e.monthly_amount)} 元，自 {e.start_month:%Y年%m月} 起发放"
        )


def _persons_enrolled(case, result, program):
    """None for a household enrollment; else [(member index, Person)] of those the assessment
    recognised one by one (单人户 members with their own components; the 特困 person)."""
    if program != "tekun" and result["classification"] != "dibao_single_person":
        return None
    from minzheng.foundation.registry.models import Person

    members = case_facts(case)["household_facts"]["members"]
    indexes = sorted({c["member"] for c in result["components"] if c.get("member") is not None})
    if not indexes:
        counted = [i for i, m in enumerate(members) if m.get("counted", True)]
        indexes = counted if len(counted) == 1 else []
    if not indexes:
        return [(None, case.applicant)]
    people = Person.objects.in_bulk([members[i]["person_id"] for i in indexes])
    return [(i, people[members[i]["person_id"]]) for i in indexes]


@case_guard("assistance.recheck_done")
def _recheck_done(ctx):
    """特困: a deterministic ≥ 30 % sample of cases (by case number) must carry the county's own
    re-check before confirmation (特困人员认定办法 第十五条)."""
    share = int(ctx.params.get("recheck_percent", 30))
    if recheck_selected(ctx.case.number, share) and "recheck" not in ctx.case.data.get("forms", {}):
        return f"本件被抽中县级复查（抽查比例 {share}%），请先录入复查结果"
    return recheck_unresolved(ctx.case)


@case_guard("assistance.recheck_date")
def _recheck_date(ctx):
    """A re-check is recorded after it happened: its date cannot be later than the day it is entered."""
    day = dt.date.fromisoformat(ctx.data["recheck_date"])
    if day > ctx.today:
        return f"复查日期 {day:%Y-%m-%d} 晚于今天（{ctx.today:%Y-%m-%d}），请填写实际复查的日期"
    return None


def recheck_unresolved(case) -> str | None:
    """A re-check that disagrees with the township counts: approval waits until it is resolved —
    by sending the case back to the township (退回乡镇重新初审) or by a later re-check that agrees
    (特困人员认定办法 第十五条)."""
    last = case.history.filter(action__in=["recheck", "send_back"]).order_by("-seq").first()
    if last is None or last.action != "recheck" or last.data.get("consistent", True):
        return None
    what = last.data.get("differences", "")
    return (f"县级复查结论与乡镇调查不一致（{last.at.astimezone(timezone.get_current_timezone()):%Y-%m-%d}，"
            f"{last.data.get('rechecked_by', '')}：{what}），须「退回乡镇重新初审」或重新复查一致后方可批准")  # fmt: skip


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

LABOUR = {True: "有劳动能力", False: "无劳动能力"}


def _member_condition(m: dict) -> str:
    parts = []
    if m.get("disability_kind"):
        parts.append(
            f"{DISABILITY_LABELS.get(m['disability_kind'], m['disability_kind'])}残疾{m['disability_grade']}级"
        )
    if m.get("serious_illness"):
        parts.append("重病")
    if m.get("labour_capacity") is not None:
        parts.append(LABOUR[m["labour_capacity"]])
    if m.get("student"):
        parts.append("在校学生")
    parts.append(SELF_CARE_LABELS.get(m.get("self_care") or "full", ""))
    return "、".join(p for p in parts if p)


def _own_incomes(facts: dict, index: int, excluded: set[str]) -> str:
    """One member's incomes by kind with their names in 民发〔2021〕57号 第十三条 (元/年); the kinds
    left out of income (``excluded``: the household's region's, :func:`family_excluded_kinds`) say so."""
    items = [
        f"{INCOME_LABELS[x['kind']]} {yuan(Decimal(x['annual_amount']))}"
        + ("（不计入）" if x["kind"] in excluded else "")
        for x in facts.get("incomes", [])
        if x["member"] == index and Decimal(x["annual_amount"])
    ]
    return "；".join(items) or "无"


def facts_rows(case) -> list[list]:
    """The members as the investigation found them: name, relation, counted or not (with the
    reason), own incomes by kind, condition."""
    revision = case_facts(case)
    if revision is None:
        return []
    facts = revision["household_facts"]
    h = case.household
    excluded = family_excluded_kinds(region_code=h.region_code, hukou_type=h.hukou_type, on=timezone.localdate(),
                                     program=case.spec.params.get("program", ""))  # fmt: skip
    rows = []
    for i, m in enumerate(facts["members"]):
        relation = Relation(m["relation"]).label if m["relation"] in Relation.values else m["relation"]
        counted = (
            "计入" if m.get("counted", True) else f"不计入：{NOT_COUNTED_REASONS.get(m.get('not_counted_reason'), '')}"
        )
        rows.append([m.get("name") or "", relation, counted, _own_incomes(facts, i, excluded), _member_condition(m)])
    return rows


MEMBER_HEADER = ["姓名", "关系", "家庭人口", "本人收入（元/年）", "身体与劳动状况"]
MEMBER_WIDTHS = [1.6, 1.2, 2.2, 4.4, 3]


def _facts_blocks(case) -> list:
    revision = case_facts(case)
    if revision is None:
        return [Paragraph("（未按成员记录入户调查结果）")]
    facts = revision["household_facts"]
    p = facts.get("property", {})
    expenses = "；".join(
        f"{EXPENSE_LABELS[e['kind']]} {yuan(Decimal(e['annual_amount']))}" for e in facts.get("expenses", [])
    )
    return [
        Table(MEMBER_HEADER, facts_rows(case), widths=MEMBER_WIDTHS),
        Fields(
            [
                ("刚性支出（元/年）", expenses or "无"),
                ("金融资产（元）", yuan(Decimal(str(p.get("financial_assets", 0))))),
                ("住房（套）", p.get("houses", 0)),
                ("非住宅房产（套）", p.get("non_residential_houses", 0)),
                ("机动车（辆）", p.get("vehicles", 0)),
                ("市场主体登记（户）", p.get("business_registrations", 0)),
            ]
        ),
    ]


@case_document("investigation_form", "入户调查表")
def investigation_form(case, status):
    form = case.data.get("forms", {}).get("investigate_done", {})
    revision = case_facts(case) or {}
    h = case.household
    blocks = [
        Fields(
            [
                ("办件编号", case.number),
                ("事项", case.spec.name),
                ("户主/申请人", addressee(case)),
                ("家庭编号", h.number if h else ""),
                ("入户日期", revision.get("visit_date") or form.get("visit_date", "")),
                ("调查人", "、".join(revision.get("investigators") or form.get("investigators", []))),
                ("调查记录", f"第 {revision['revision']} 次" if revision else ""),
            ]
        ),
        Heading("一、家庭成员及本人收入"),
        *_facts_blocks(case),
        Heading("二、调查情况"),
        Paragraph(form.get("findings", "")),
        Signatures(["调查人（签字）", "调查人（签字）", "被调查人（签字）"], columns=3),
    ]
    if form.get("adl_not_met") is not None:
        blocks.insert(3, Paragraph("生活自理能力评估未达到的项目：" + ("、".join(form["adl_not_met"]) or "无")))
    return Document(title="家庭经济状况入户调查表", number=case.number, blocks=blocks, issuer=office_name(case),
                    issued_on=timezone.localdate())  # fmt: skip


def _opinions(case) -> list[list]:
    """Every step taken, in order, with its opinion (— where none was required)."""
    return [
        [s.at.astimezone(timezone.get_current_timezone()).date(), s.action_name, s.actor_name, s.opinion or "—"]
        for s in case.history.order_by("seq")
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
                ("人均月收入（元）", _yuan_text(a.get("per_capita_monthly_income"))),
                ("保障标准（元/人·月）", _yuan_text(a.get("standard_monthly"))),
                ("测算月保障金（元）", _yuan_text(a.get("monthly_amount"))),
            ]
        ),
        Heading("一、家庭成员及本人收入"),
        *_facts_blocks(case),
        Heading("二、测算过程"),
        *[Paragraph(f"{i}. {line}", indent=False) for i, line in enumerate(a.get("explanation", []), 1)],
        Heading("三、各环节意见"),
        Table(["日期", "环节", "经办人", "意见"], _opinions(case), widths=[2, 2, 1.6, 5]),
        Signatures(["乡镇（街道）审核人", "县级民政部门审核确认人"]),
    ]
    return Document(title="审核确认表", number=case.number, blocks=blocks, issuer=office_name(case, "county"),
                    issued_on=timezone.localdate())  # fmt: skip


def _yuan_text(value) -> str:
    return yuan(Decimal(str(value))) if value not in (None, "") else ""


@case_document("approval_decision", "批准决定书")
def approval_decision(case, status):
    a = case.data.get("assessment") or {}
    start = case.data.get("start_month")
    start_text = f"{start[:4]}年{int(start[5:7])}月" if start else "次月"
    level = "township" if case.delegated else "county"
    mode = TEKUN_MODE_LABELS.get(case.data.get("tekun_mode", ""), "")
    blocks = [
        Paragraph(
            f"你提出的{case.spec.name}（办件编号 {case.number}），经入户调查、家庭经济状况核对、乡镇（街道）初审、"
            "公示和审核确认，符合条件，决定予以批准。"
        ),
        Fields(
            [
                (
                    "保障编号",
                    "、".join(case.data.get("enrollment_numbers") or [case.data.get("enrollment_number", "")]),
                ),
                ("认定类别", _class_name(a.get("classification", "")) + (f"（{mode}）" if mode else "")),
                ("保障人数", a.get("counted_members", "")),
                ("月保障金（元）", _yuan_text(a.get("monthly_amount"))),
                ("起始发放月份", start_text),
            ]
        ),
        Paragraph("认定依据的家庭成员及本人收入（入户调查结果）：", indent=False),
        Table(MEMBER_HEADER, facts_rows(case), widths=MEMBER_WIDTHS),
        Paragraph(
            "保障金按月通过社会化发放方式打入你家庭的银行账户。家庭人口、收入、财产状况发生变化的，请及时告知乡镇（街道），"
            "并配合定期复核。"
        ),
        Note(REMEDY),
    ]
    return Document(title="最低生活保障审核确认决定书" if case.spec.program == "dibao" else f"{case.spec.name}批准决定书",
                    number=doc_number(case, "批", level), addressee=addressee(case), blocks=blocks,
                    issuer=office_name(case, level), issued_on=timezone.localdate())  # fmt: skip


# ---------------------------------------------------------------- roll changes: 复核, 变更, 停保


# 复核, 变更 and 停保 themselves (forms, outcomes, decisions): see :mod:`.roll`.


# ---------------------------------------------------------------- 临时救助: see .temporary
