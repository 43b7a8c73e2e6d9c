"""Changes of the roll as cases: 定期复核, 增减员及变更 and 停保 (the steps are data in
:mod:`.case_types`; here the forms, guards, effects and written decisions they name).

Nothing changes who gets what outside a case: a township opens the case from the enrollment
(:func:`roll_case_open`, "发起变更"), investigates, reviews, the county decides, and the effect calls
the benefits engine (``enrollment_review``, ``enrollment_change``, ``enrollment_member_change``).
Sources: 审核确认办法 (民发〔2021〕57号) 第三十一条–第三十三条 (复核, 渐退); 2022 兜底通知 §一(三)
(渐退期), "保障对象死亡的，3个月内完成增发、减发或停发"; 特困人员认定办法 第二十一条–第二十二条 (六项自理
能力评估), 第二十八条 (终止: 公示 7 日, 次月起停发); rule sheet §9 and worked example 3.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal, get_args

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, Field, field_validator, model_validator

from minzheng.engines.benefits.models import Enrollment, EnrollmentState, ReviewClass, ReviewOutcome
from minzheng.engines.benefits.services import add_months, month_start, next_month
from minzheng.engines.benefits.workflow import REASONS
from minzheng.engines.cases.builtin import REMEDY, doc_number, office_name
from minzheng.engines.cases.hooks import (
    case_document,
    case_effect,
    case_field_labels,
    case_form,
    case_guard,
    case_value_labels,
)
from minzheng.foundation.documents.spec import Document, Fields, Note, Paragraph
from minzheng.foundation.money import yuan
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.registry.models import Person
from minzheng.foundation.validation import Refused

from .casework import ADL_ITEMS, PROGRAM_OF, InvestigationForm, _class_name, case_assess, case_facts, tekun_components
from .casework import TEKUN_MODE_LABELS as TEKUN_MODES  # the standards' modes (policy.TEKUN_MODES)

MEMBER_REASONS = ("birth", "death", "moved_away", "member_change", "other")
CHANGE_KINDS = {
    "review": ("assistance_review", "定期复核（维持、调整金额、渐退或停保）"),
    "income": ("dibao_change", "收入、财产变化（调整金额或渐退）"),
    "member_add": ("dibao_change", "增员（新生儿出生、迁入等）"),
    "member_remove": ("dibao_change", "减员（成员死亡、迁出等）"),
    "head_change": ("dibao_change", "户主变更（原户主死亡，停旧建新）"),
    "mode": ("dibao_change", "供养方式变更（特困人员集中、分散供养）"),
    "stop": ("assistance_stop", "停保（终止救助）"),
}
REVIEW_CLASS_LABELS = {"": "不变", **dict(ReviewClass.choices)}
case_value_labels("review_class", REVIEW_CLASS_LABELS)
case_field_labels({"reason": "原因"})
# reasons of a 停保 (a member leaving is a 增减员, the head's death a 户主变更), codes of workflow.REASONS
StopReason = Literal["death", "moved_away", "income_over_line", "property_over_limit", "refused_cooperation",
                     "voluntary", "fraud", "not_reported", "category_change", "other"]  # fmt: skip
STOP_REASONS = get_args(StopReason)


def reason_code(value: str, allowed, what: str = "原因") -> str:
    """A reason given as its code (``death``) or its Chinese label (``死亡``) → the code."""
    value = (value or "").strip()
    if value in allowed:
        return value
    by_label = {REASONS[c]: c for c in allowed}
    if value in by_label:
        return by_label[value]
    raise ValueError(f"{what}须为：" + "、".join(REASONS[c] for c in allowed))


# ---------------------------------------------------------------- forms


class ReviewInvestigationForm(InvestigationForm):
    """复核/变更的入户调查: the household's means as found and, for 特困, the six-item self-care result.
    Without a new assessment (``adl_reassessed`` false) the result of the last one stands
    (特困人员认定办法 第二十二条: re-assessed after a reported change), and so does the 供养方式 of
    the enrollment (a review is not the place to choose it again)."""

    adl_not_met: list[str] = Field([], title="生活自理能力未达到的项目")
    adl_reassessed: bool = Field(
        False, title="重新评估生活自理能力", description="特困人员：不勾选的，沿用上次评估结果"
    )

    @field_validator("adl_not_met")
    @classmethod
    def _known_items(cls, items):
        unknown = [i for i in items if i not in ADL_ITEMS]
        if unknown:
            raise ValueError(f"自理能力评估项目只能是：{'、'.join(ADL_ITEMS)}")
        return list(dict.fromkeys(items))

    @model_validator(mode="after")
    def _items_need_reassessment(self):
        if self.adl_not_met and not self.adl_reassessed:
            raise ValueError("勾选了未达到的自理能力项目，请同时勾选「重新评估生活自理能力」")
        return self


class ReviewConfirmForm(BaseModel):
    """县级确认: the review class (A/B/C) decides the next review date (审核确认办法 第三十一条)."""

    review_class: Literal["", "A", "B", "C"] = Field(
        "", title="复核类别", description="不选的维持原类别；A、B类每年复核，C类城市每季、农村每半年"
    )

    @field_validator("review_class", mode="before")
    @classmethod
    def _class(cls, value):
        value = str(value or "").strip().removesuffix("类")
        labels = {label: code for code, label in ReviewClass.choices}
        value = labels.get(value, value)
        if value not in ("", *ReviewClass.values):
            raise ValueError("复核类别须为 A、B 或 C")
        return value


class StopForm(BaseModel):
    """停保 (终止救助): the reason from the reason-code dictionary (code or Chinese label), the month
    from which payment stops (default: the month after the decision) and, for a death, the date
    of death (payment stops from the month after it, within the limit of the standards)."""

    reason: StopReason = Field(title="停保原因")
    death_date: dt.date | None = Field(None, title="死亡日期", description="因死亡停保的必填；死亡当月照发，次月起停发")
    effective_month: dt.date | None = Field(
        None, title="停发月份", description="填该月任一日期，自该月起停发；不填为决定的次月"
    )
    late_reason: str = Field(
        "", max_length=300, title="逾期原因", description="死亡超过3个月才停发的须说明，多发的保障金须追回"
    )

    @field_validator("reason", mode="before")
    @classmethod
    def _known(cls, value):
        return reason_code(str(value or ""), STOP_REASONS, "停保原因")

    @field_validator("death_date")
    @classmethod
    def _past(cls, day):
        if day is not None and day > timezone.localdate():
            raise ValueError("死亡日期不能晚于今天")
        return day

    @field_validator("effective_month")
    @classmethod
    def _first(cls, day):
        return month_start(day) if day else day

    @model_validator(mode="after")
    def _death(self):
        if self.reason == "death" and self.death_date is None:
            raise ValueError("因死亡停保须填写死亡日期")
        if self.reason != "death" and self.death_date is not None:
            raise ValueError("只有因死亡停保才填写死亡日期")
        if self.death_date and self.effective_month and self.effective_month < next_month(self.death_date):
            raise ValueError(
                f"死亡日期为 {self.death_date:%Y-%m-%d}，死亡当月的保障金照发，"
                f"停发月份最早为 {next_month(self.death_date):%Y年%m月}"
            )
        return self


for name, model in (("assistance.review_investigation", ReviewInvestigationForm),
                    ("assistance.review_confirm", ReviewConfirmForm), ("assistance.stop", StopForm)):  # fmt: skip
    case_form(name)(model)


# ---------------------------------------------------------------- opening from the enrollment


def roll_case_open(*, user, enrollment: Enrollment, kind: str, person: Person | None = None, relation: str = "",
                   reason: str = "", death_date: dt.date | None = None, mode: str = "", opinion: str = "",
                   evidence: dict | None = None):  # fmt: skip
    """发起变更: open the case that changes ``enrollment`` — a review, a change (income, a member
    joining or leaving, the head's succession) or a stop. The change asked for is kept with the
    case and applied to the roll by the county's decision, never here. A member joining or leaving
    is a fact of the registry, entered there now (on the birth, death or moving papers the township
    has), so the investigation lists the household as it is; who gets what waits for the case."""
    if kind not in CHANGE_KINDS:
        raise ValidationError({"kind": "请选择变更事项"})
    if enrollment.state == EnrollmentState.EXITED:
        raise Refused(f"{enrollment.number} 已退出保障，不能发起变更")
    household = enrollment.household
    members = {m.person_id: m for m in household.memberships.filter(valid_to__isnull=True).select_related("person")}
    change: dict = {"kind": kind}
    if kind in ("member_add", "member_remove", "head_change") and enrollment.person_id is not None:
        raise Refused("单人保障对象不办理家庭成员变更；本人死亡、迁出等请发起停保")
    if kind == "mode":
        if enrollment.program_id != "tekun":
            raise ValidationError({"kind": "只有特困人员办理供养方式变更"})
        if mode not in TEKUN_MODES:
            raise ValidationError({"mode": "请选择新的供养方式：集中供养或分散供养"})
        if mode == enrollment.mode:
            raise ValidationError({"mode": f"现已是{TEKUN_MODES[mode]}"})
        change.update(mode=mode, previous_mode=enrollment.mode)
    if evidence:
        change["evidence"] = {k: str(v)[:200] for k, v in evidence.items()}
    elif kind == "member_add":
        if person is None:
            raise ValidationError({"person": "请填写新增成员的身份证号（须先在人员信息中登记）"})
        if person.death_date is not None:
            raise ValidationError({"person": f"{person.name} 已登记死亡"})
        elsewhere = person.memberships.filter(valid_to__isnull=True).exclude(household=household).first()
        if elsewhere is not None:
            raise ValidationError({"person": f"{person.name} 现为其他家庭的成员，请先在户籍信息中办理迁出"})
        change.update(person_id=person.pk, person_name=person.name, relation=relation or "child",
                      reason=_member_reason(reason or "birth"))  # fmt: skip
    elif kind in ("member_remove", "head_change"):
        if person is None or person.pk not in members:
            raise ValidationError({"person": "请选择本家庭的现有成员"})
        if kind == "member_remove" and person.pk == household.head_id:
            raise ValidationError({"person": "户主减员请选择「户主变更」，由新户主接续"})
        if kind == "head_change" and person.pk == household.head_id:
            raise ValidationError({"person": "请选择接续的新户主（不能是原户主）"})
        code = _member_reason(reason or "death") if kind == "member_remove" else "head_died"
        if code == "death" and death_date is None and kind == "member_remove":
            raise ValidationError({"death_date": "成员死亡的，请填写死亡日期"})
        if death_date is not None and death_date > timezone.localdate():
            raise ValidationError({"death_date": "死亡日期不能晚于今天"})
        change.update(person_id=person.pk, person_name=person.name, reason=code,
                      death_date=death_date.isoformat() if death_date else "")  # fmt: skip
        if kind == "head_change":
            change["old_head_id"] = household.head_id
    case_type, _ = CHANGE_KINDS[kind]
    with transaction.atomic():
        registry = None
        if kind in ("member_add", "member_remove"):
            registry = _member_registry(user, household, person, change)
        case = _case_open(user, enrollment, kind, person, change, case_type, opinion, registry)
        if registry is not None:  # the registry's audit names the case that made the change
            from minzheng.foundation.audit.services import audit_record

            audit_record(action="update", object_type="registry.household", object_id=household.pk,
                         region_code=household.region_code,
                         summary=f"家庭 {household.number} 成员 {person.name} 的变动由办件 {case.number} 发起",
                         changes={"case": [None, case.number]})  # fmt: skip
        return case


def _case_open(user, enrollment, kind, person, change, case_type, opinion, registry=None):
    from minzheng.engines.cases.services import case_open

    household = enrollment.household
    if kind == "head_change":  # the new head is the payee from now on
        applicant = person
    else:
        applicant = _living_payee(enrollment, exclude={change["person_id"]} if kind == "member_remove" else set())
    data = {"enrollment_number": enrollment.number, "change": change}
    if registry is not None:
        data["registry_change"] = registry
    return case_open(
        user=user, case_type=case_type, region_code=household.region_code, household=household,
        applicant=applicant, channel="office", data=data, opinion=opinion or CHANGE_KINDS[kind][1],
    )  # fmt: skip


def _member_registry(user, household, person, change) -> dict | None:
    """The registry side of a member change (audited by the registry services), returned to be kept
    with the case: what was done to which membership, so that an outcome other than the county's
    approval can put it back (:func:`_member_registry_undo`)."""
    from minzheng.foundation.registry.services import membership_add, membership_end

    current = household.memberships.filter(person=person, valid_to__isnull=True).first()
    if change["kind"] == "member_add" and current is None:
        m = membership_add(user=user, household=household, person=person, relation=change.get("relation") or "child")
        action = "added"
    elif change["kind"] == "member_remove" and current is not None:
        m = membership_end(user=user, membership=current, reason=REASONS.get(change.get("reason"), "家庭成员变化"))
        action = "ended"
    else:
        return None
    return {"action": action, "membership_id": m.pk, "person_id": person.pk, "person_name": person.name,
            "on": timezone.localdate().isoformat()}  # fmt: skip


@case_effect("assistance.member_registry_undo")
def _member_registry_undo(ctx):
    """An outcome of a 增减员 case other than the county's approval of the change (撤销, 停保): the
    registry change 发起变更 made is put back — the ended membership re-opened, the added one
    ended — through the registry services (audited, the case number in the note), and recorded on
    the case. Where the registry has moved on meanwhile (the person is now a member elsewhere, or
    the membership was changed by hand), nothing is overwritten; the case records why."""
    from minzheng.foundation.registry.models import Membership
    from minzheng.foundation.registry.services import membership_end, membership_restore

    case = ctx.case
    done = case.data.get("registry_change")
    if not done or case.data.get("registry_undone"):
        return
    m = Membership.objects.select_related("person", "household").filter(pk=done["membership_id"]).first()
    step = case.spec.step(ctx.source).name
    why = f"办件 {case.number}「{step}」{('撤销' if ctx.action == 'cancel' else '终止救助')}，变更未经批准"
    record = {"on": ctx.today.isoformat(), "membership_id": done["membership_id"],
              "person_name": done.get("person_name", "")}  # fmt: skip
    name = done.get("person_name", "")
    if m is None:
        record.update(action="none", note="成员关系已不存在，未恢复")
    elif done["action"] == "ended":
        elsewhere = Membership.objects.filter(person_id=m.person_id, valid_to__isnull=True).select_related("household")
        other = elsewhere.first()
        if m.valid_to is None:
            record.update(action="none", note="成员关系已恢复，无需处理")
        elif other is not None:
            record.update(
                action="none", note=f"{name} 现为家庭 {other.household.number} 的成员，未恢复，请在户籍信息中核实"
            )
        else:
            membership_restore(user=ctx.user, membership=m, reason=f"{why}，恢复为家庭成员")
            record.update(action="restored", note=f"{name} 已恢复为家庭成员")
    elif m.valid_to is None:  # added
        membership_end(user=ctx.user, membership=m, reason=f"{why}，撤回增员"[:100])
        record.update(action="ended", note=f"{name} 的增员已撤回")
    else:
        record.update(action="none", note="增加的成员关系已终止，无需处理")
    case.data["registry_undone"] = record
    ctx.messages.append(f"户籍信息：{record['note']}（{why}）")


def _member_reason(value: str) -> str:
    try:
        return reason_code(value, MEMBER_REASONS, "变化原因")
    except ValueError as exc:
        raise ValidationError({"reason": str(exc)}) from None


def _living_payee(e: Enrollment, exclude=frozenset()) -> Person | None:
    """Whom decisions about ``e`` are addressed to: the covered person, else the head, else another
    current member — never a person recorded dead (nor one the change reports dead)."""
    household = e.household
    members = list(household.memberships.filter(valid_to__isnull=True).select_related("person").order_by("pk"))
    ordered = [e.person] if e.person_id else []
    ordered += [m.person for m in members if m.person_id == household.head_id]
    ordered += [m.person for m in members if m.person_id != household.head_id]
    for p in ordered:
        if p is not None and p.death_date is None and p.pk not in exclude:
            return p
    return None


def payee_name(case, e: Enrollment) -> str:
    """The addressee of a roll decision (the living payee, or the heirs of a deceased one)."""
    stop = case.data.get("forms", {}).get("propose_stop", {})
    change = case.data.get("change", {})
    dead = set()
    if stop.get("reason") == "death":
        dead |= {e.person_id or e.household.head_id}
    if change.get("kind") == "head_change":
        dead |= {change.get("old_head_id")}
    elif change.get("kind") == "member_remove" and change.get("reason") == "death":
        dead |= {change.get("person_id")}
    p = _living_payee(e, exclude=dead)
    if p is not None:
        return p.name
    gone = e.person or e.household.head
    return f"{gone.name}的继承人（家属）" if gone else "保障对象家属"


# ---------------------------------------------------------------- guards and effects


def _enrollment(case) -> Enrollment:
    number = case.data.get("enrollment_number")
    e = Enrollment.objects.select_related("household").filter(number=number).first() if number else None
    if e is None or e.state == EnrollmentState.EXITED:
        raise Refused("该家庭没有在保的救助待遇，不能办理此事项")
    return e


def _last_adl(e: Enrollment) -> list[str] | None:
    """The six-item result of the last self-care assessment of a 特困 enrollment: the one its last
    review recorded, else the one of the case that recognised it."""
    if "adl_not_met" in (e.assessment or {}):
        return list(e.assessment["adl_not_met"])
    if e.source_case:
        from minzheng.engines.cases.models import Case

        source = Case.objects.filter(number=e.source_case).values_list("data", flat=True).first() or {}
        form = source.get("forms", {}).get("investigate_done", {})
        if form.get("adl_not_met") is not None:
            return list(form["adl_not_met"])
    return None


@case_effect("assistance.selfcare_carry")
def _selfcare_carry(ctx):
    """特困: without a new assessment the care level of the last one stands, and so does the 供养方式
    of the enrollment; for other programs the review records no self-care result (the registry's
    stands)."""
    e = _enrollment(ctx.case)
    if e.program_id != "tekun":
        if not ctx.data.get("adl_reassessed"):
            ctx.data.pop("adl_not_met", None)
        return
    change = ctx.case.data.get("change", {})
    if change.get("kind") == "mode":  # the 供养方式 the person chose now (暂行办法第十九条)
        ctx.data["tekun_mode"] = change["mode"]
    elif e.mode and not ctx.data.get("tekun_mode"):
        ctx.data["tekun_mode"] = e.mode  # the 供养方式 chosen stands too (集中 is not re-assessed as 分散)
    if ctx.data.get("adl_reassessed"):
        return
    last = _last_adl(e)
    if last is None:
        raise Refused("没有上次的生活自理能力评估结果：请勾选「重新评估生活自理能力」并录入六项评估结果")
    ctx.data["adl_not_met"] = last
    ctx.messages.append("生活自理能力沿用上次评估结果：" + ("、".join(last) + "未达到" if last else "六项均达到"))


def _phase_out_applies(e: Enrollment, result: dict, on: dt.date) -> bool:
    """渐退 when income rises above the 低保 line (2022 兜底通知 §一(三)); the trigger is a regional
    setting (``phase_out_trigger``): into the 边缘 band only (林口县, the default) or any rise."""
    if e.program_id != "dibao" or not result.get("property_ok", True):
        return False
    trigger = st.standards_for(region_code=e.region_code, hukou_type=e.hukou_type, as_of=on).get("phase_out_trigger")
    if trigger == "above_line":
        return Decimal(str(result["per_capita_monthly_income"])) >= Decimal(str(result["standard_monthly"]))
    return result["classification"] == "dibao_edge"


def own_result(case, e: Enrollment, result: dict) -> dict:
    """The part of the household's assessment that belongs to ``e``. An enrollment of one person
    (a 特困 member recognised member by member, a 单人户 member: :func:`.casework._enrol`) is paid
    that person's own amount: a review of it must compare and decide that part — the 特困 member's
    own 基本生活 and 照料 amount, the 单人户 member's own gap and 分类施保 — never the household's
    total (which would pay the other members' amounts to this one as well). A household
    enrollment takes the whole result."""
    if e.person_id is None:
        return result
    facts = case_facts(case)
    members = facts["household_facts"]["members"] if facts else []
    index = next((i for i, m in enumerate(members) if m.get("person_id") == e.person_id), None)
    if e.program_id == "tekun":
        mine = next((t for t in result.get("tekun_members") or [] if t["member"] == index), None)
        if mine is None:
            klass = result["classification"]
            return {**result, "classification": "not_eligible" if klass == "tekun" else klass}
        return {**result, "classification": "tekun", "monthly_amount": mine["amount"],
                "components": tekun_components([mine]), "counted_members": 1}  # fmt: skip
    if result["classification"] == "dibao_single_person":
        comps = [c for c in result["components"] if c.get("member") == index]
        if not comps:  # the family is 边缘 and this member no longer qualifies on their own
            return {**result, "classification": "dibao_edge"}
        total = sum((Decimal(str(c["amount"])) for c in comps), Decimal(0))
        return {**result, "monthly_amount": f"{total:.2f}", "components": comps, "counted_members": 1}
    return result


def roll_outcome(e: Enrollment, result: dict, on: dt.date) -> str:
    """What a review's assessment means for a running enrollment (rule sheet §9): still eligible —
    维持 or 调整金额; income risen into the trigger band — 渐退 (a running 渐退 continues); otherwise 停保."""
    if result["classification"] in PROGRAM_OF.get(e.program_id, {e.program_id}):
        same = Decimal(str(result["monthly_amount"])) == e.monthly_amount
        return ReviewOutcome.UNCHANGED if same else ReviewOutcome.AMOUNT_CHANGED
    if _phase_out_applies(e, result, on):
        return ReviewOutcome.UNCHANGED if e.state == EnrollmentState.PHASE_OUT else ReviewOutcome.PHASE_OUT
    return ReviewOutcome.EXIT


OUTCOME_TEXT = {ReviewOutcome.UNCHANGED: "维持", ReviewOutcome.AMOUNT_CHANGED: "调整金额",
                ReviewOutcome.PHASE_OUT: "进入渐退期", ReviewOutcome.EXIT: "不再符合条件，须停保", "mode": "变更供养方式"}  # fmt: skip


def _member_change(change: dict) -> bool:
    return change.get("kind") in ("member_add", "member_remove", "head_change")


@case_effect("assistance.roll_outcome")
def _roll_outcome(ctx):
    """乡镇审核: the outcome the assessment just made proposes; a household no longer eligible goes
    the 停保 way (公示, then the county's decision), not through the confirmation of a review."""
    e = _enrollment(ctx.case)
    change = ctx.case.data.get("change", {})
    if _member_change(change):
        ctx.case.data["proposed_outcome"] = change["kind"]
        return
    result = own_result(ctx.case, e, ctx.case.data["assessment"])
    if result is not ctx.case.data["assessment"]:  # the enrolled person's own part is what is decided
        ctx.case.data.update(assessment=result, amount=result["monthly_amount"], persons=result["counted_members"])
    outcome = roll_outcome(e, result, ctx.today)
    ctx.case.data["proposed_outcome"] = str(outcome)
    if outcome == ReviewOutcome.EXIT:
        raise Refused(
            f"复核测算结果为「{_class_name(ctx.case.data['assessment']['classification'])}」，已不符合保障条件，"
            "也不在渐退范围内：请选择「拟终止救助，公示」并注明原因"
        )


def _decision(ctx, e: Enrollment, outcome: str, ev=None, **extra) -> None:
    e.refresh_from_db()
    ctx.case.data["decision"] = {
        "outcome": str(outcome), "enrollment_number": e.number, "program": e.program.short_name,
        "amount": str(e.monthly_amount), "persons": e.persons_covered,
        "month": ev.effective_month.isoformat() if ev is not None else next_month(ctx.today).isoformat(),
        "phase_out_until": e.phase_out_until.isoformat() if e.phase_out_until else "",
        "payee": payee_name(ctx.case, e), **extra,
    }  # fmt: skip


@case_effect("assistance.review_apply")
def _review_apply(ctx):
    """定期复核 / 变更 confirmed by the county: the assessment re-run now decides (民发〔2021〕57号
    第三十一条–第三十三条): 维持, 调整金额, or 渐退 with the phase-out period of the standards; a
    member joining or leaving changes the persons covered (增减员, a member change — not a review);
    a household no longer eligible is refused here and goes the 停保 way."""
    from minzheng.engines.benefits.services import enrollment_change, enrollment_review, enrollment_succeed

    case = ctx.case
    e = _enrollment(case)
    change = case.data.get("change", {})
    note = f"办件 {case.number}：{ctx.opinion}"[:200]
    if _member_change(change):
        _member_apply(ctx, e, change, note, enrollment_change, enrollment_succeed)
        return
    result = own_result(case, e, case_assess(case, ctx.today))
    form = case.data.get("forms", {}).get("investigate_done", {})
    if e.program_id == "tekun" and form.get("adl_not_met") is not None:
        result = {**result, "adl_not_met": form["adl_not_met"]}  # the self-care result the next review starts from
    case.data["assessment"] = result
    outcome = roll_outcome(e, result, ctx.today)
    if outcome == ReviewOutcome.EXIT:
        raise Refused(
            f"复核测算结果为「{_class_name(result['classification'])}」，已不符合保障条件：请退回乡镇审核，"
            "选择「拟终止救助，公示」"
        )
    if change.get("kind") == "mode" and result.get("tekun_mode") != change["mode"]:
        raise Refused(f"测算未按申请的{TEKUN_MODES[change['mode']]}计算：请退回重新调查，在调查中记录供养方式")
    amount = Decimal(result["monthly_amount"])
    if ctx.params.get("roll") == "review":
        klass = (ctx.data.get("review_class") or "") or None
        review = enrollment_review(
            user=ctx.user, enrollment=e, outcome=outcome, reviewed_on=ctx.today, review_class=klass,
            new_amount=amount if outcome == ReviewOutcome.AMOUNT_CHANGED else None,
            reason="income_over_line" if outcome == ReviewOutcome.PHASE_OUT else "review", note=note,
            assessment=result, components=result["components"],
        )  # fmt: skip
        ev = review.event
    else:  # 变更 of income or property: the amount or 渐退, recorded as a change, not as a periodic review
        if change.get("kind") == "mode" and outcome != ReviewOutcome.PHASE_OUT:
            kind, reason = "amount", "mode_change"
        elif outcome == ReviewOutcome.UNCHANGED:
            kind, reason = "review", "member_change"
        elif outcome == ReviewOutcome.PHASE_OUT:
            kind, reason = "phase_out", "income_over_line"
        else:
            kind, reason = "amount", "member_change"
        mode = result.get("tekun_mode") if e.program_id == "tekun" else None
        ev = enrollment_change(
            user=ctx.user, enrollment=e, kind=kind, reason=reason, effective_month=next_month(ctx.today),
            monthly_amount=amount if kind == "amount" else None, note=note, assessment=result,
            components=result["components"] if kind == "amount" else None, mode=mode or None,
        )  # fmt: skip
        if change.get("kind") == "mode":
            outcome = "mode"
    extra = {}
    if "adl_not_met" in result:
        items = result["adl_not_met"]
        extra["self_care"] = ("、".join(items) + "未达到" if items else "六项均达到") + (
            "（重新评估）" if form.get("adl_reassessed") else "（沿用上次评估结果）"
        )
    if outcome == "mode":
        extra["mode"] = result.get("tekun_mode") or change.get("mode")
    _decision(ctx, e, outcome, ev, **extra)
    d = case.data["decision"]
    tail = f"，渐退期至 {d['phase_out_until']}" if outcome == ReviewOutcome.PHASE_OUT else ""
    ctx.messages.append(
        f"{e.number} {OUTCOME_TEXT[outcome]}：自 {ev.effective_month:%Y年%m月} 起 {yuan(d['amount'])} 元/月{tail}"
    )


def _member_apply(ctx, e, change, note, enrollment_change, enrollment_succeed):
    """增减员 decided: persons covered and amount from the household's assessment as it now is,
    recorded as a member change (not a periodic review), from the month after the decision (a
    death: not before the month after it)."""
    case = ctx.case
    person = Person.objects.filter(pk=change["person_id"]).first()
    if person is None:
        raise Refused("变更涉及的人员已不存在，请撤销本办件")
    month = next_month(ctx.today)
    if change.get("death_date"):
        month = max(month, next_month(dt.date.fromisoformat(change["death_date"])))
    result = case_assess(case, ctx.today)
    case.data["assessment"] = result
    if result["classification"] not in PROGRAM_OF.get(e.program_id, {e.program_id}):
        raise Refused(
            f"成员变更后测算结果为「{_class_name(result['classification'])}」，已不符合保障条件："
            "请退回乡镇审核，选择「拟终止救助，公示」"
        )
    if change["kind"] == "head_change":
        new = enrollment_succeed(user=ctx.user, enrollment=e, new_head=person, note=note, effective_month=month)
        case.data["successor_number"] = new.number
        ev = new.last_event
        persons = int(result["counted_members"])
        if Decimal(result["monthly_amount"]) != new.monthly_amount or persons != new.persons_covered:
            # the household as the case found it (the dead head not counted) decides the amount
            ev = enrollment_change(
                user=ctx.user, enrollment=new, kind="member", reason="head_died", effective_month=new.start_month,
                monthly_amount=result["monthly_amount"], persons_covered=persons, components=result["components"],
                note=note, assessment=result,
            )  # fmt: skip
        _decision(ctx, new, "head_change", ev)
        ctx.messages.append(f"原保障 {e.number} 已接续为 {new.number}，新户主 {person.name}")
        return
    ev = enrollment_change(
        user=ctx.user, enrollment=e, kind="member", reason=change.get("reason") or "member_change",
        effective_month=month, monthly_amount=result["monthly_amount"],
        persons_covered=int(result["counted_members"]), components=result["components"], note=note,
        assessment=result,
    )  # fmt: skip
    extra = {"person": person.name}
    if change.get("death_date") and ev.effective_month > next_month(dt.date.fromisoformat(change["death_date"])):
        extra["recover_from"] = next_month(dt.date.fromisoformat(change["death_date"])).isoformat()
    _decision(ctx, e, change["kind"], ev, **extra)
    what = "增加" if change["kind"] == "member_add" else "减少"
    ctx.messages.append(
        f"{e.number} {what}成员 {person.name}：自 {ev.effective_month:%Y年%m月} 起 {ev.persons_covered} 人，"
        f"{yuan(ev.monthly_amount)} 元/月"
    )


def _stop_form(ctx) -> dict:
    return ctx.data if ctx.action == "propose_stop" else ctx.case.data.get("forms", {}).get("propose_stop", {})


def stop_month(form: dict, today: dt.date) -> dt.date:
    return dt.date.fromisoformat(form["effective_month"]) if form.get("effective_month") else next_month(today)


@case_guard("assistance.stop_dates")
def _stop_dates(ctx):
    """A death is stopped from the month after it, and within the limit of the standards
    (``death_change_months``, 2022 兜底通知: 3 months); later only with the reason recorded (the
    months paid after the death are recovered)."""
    form = _stop_form(ctx)
    if not form.get("death_date"):
        return None
    e = _enrollment(ctx.case)
    death = dt.date.fromisoformat(form["death_date"])
    if death < add_months(e.start_month, -1):
        return f"死亡日期 {death:%Y-%m-%d} 早于保障起始月份 {e.start_month:%Y年%m月}，请核实"
    month = stop_month(form, ctx.today)
    std = st.standards_for(region_code=e.region_code, hukou_type=e.hukou_type, as_of=death)
    try:
        limit = int(std.get("death_change_months"))
    except st.MissingStandard as exc:
        return str(exc)
    latest = next_month(add_months(death, limit))
    if month > latest and not form.get("late_reason"):
        return (
            f"死亡日期为 {death:%Y-%m-%d}，须在{limit}个月内（{add_months(death, limit):%Y-%m-%d}前）完成停发，"
            f"停发月份最迟为 {latest:%Y年%m月}，现为 {month:%Y年%m月}：请提前停发月份，或填写逾期原因"
            "（死亡次月起多发的保障金须追回）"
        )
    return None


@case_effect("assistance.enrollment_stop")
def _enrollment_stop(ctx):
    """停保 takes effect from the month after the decision (特困人员认定办法 第二十八条; the same
    practice for 低保), or the month the proposal named (a death: the month after it)."""
    from minzheng.engines.benefits.services import enrollment_change

    e = _enrollment(ctx.case)
    form = _stop_form(ctx)
    month = stop_month(form, ctx.today)
    reason = form.get("reason") or "other"
    ev = enrollment_change(user=ctx.user, enrollment=e, kind="exit", reason=reason, effective_month=month,
                           note=f"办件 {ctx.case.number}：{ctx.opinion}"[:200])  # fmt: skip
    late = ""
    if form.get("death_date") and month > next_month(dt.date.fromisoformat(form["death_date"])):
        late = next_month(dt.date.fromisoformat(form["death_date"])).isoformat()
    _decision(ctx, e, "exit", ev, reason=reason, death_date=form.get("death_date") or "", recover_from=late,
              late_reason=form.get("late_reason", ""))  # fmt: skip
    ctx.messages.append(f"{e.number} 自 {month:%Y年%m月} 起停发")


# ---------------------------------------------------------------- written decisions


def _ym(iso: str) -> str:
    return f"{iso[:4]}年{int(iso[5:7])}月" if iso else ""


def _level(case) -> str:
    return "township" if case.delegated else "county"


@case_document("change_decision", "保障变更决定书")
def change_decision(case, status):
    """The written decision of a review or change, addressed to the living payee: what changes and
    from which month payment changes."""
    d = dict(case.data.get("decision") or {})
    d["amount"] = yuan(d.get("amount"))
    outcome, month = d.get("outcome", ""), _ym(d.get("month", ""))
    program = d.get("program", "")
    what = {
        "unchanged": f"经复核，你家庭仍符合{program}条件，决定维持原保障：月保障金 {d.get('amount')} 元，保障 {d.get('persons')} 人。",
        "amount_changed": f"经复核，你家庭的收入、财产状况发生变化，决定自 {month} 起月保障金调整为 {d.get('amount')} 元，"
                          f"保障 {d.get('persons')} 人。",
        "phase_out": f"经复核，你家庭人均收入已超过低保标准，决定给予渐退期：自 {month} 起至 "
                     f"{d.get('phase_out_until', '')} 止，渐退期内月保障金 {d.get('amount')} 元；渐退期满后停发，"
                     "期满前将再次核查。",
        "member_add": f"经核实，你家庭增加成员 {d.get('person', '')}，决定自 {month} 起保障人数调整为 {d.get('persons')} 人，"
                      f"月保障金 {d.get('amount')} 元。",
        "member_remove": f"经核实，你家庭减少成员 {d.get('person', '')}，决定自 {month} 起保障人数调整为 {d.get('persons')} 人，"
                         f"月保障金 {d.get('amount')} 元。",
        "mode": f"经核实，你申请改为{TEKUN_MODES.get(d.get('mode', ''), '')}，决定自 {month} 起按{TEKUN_MODES.get(d.get('mode', ''), '')}"
                f"标准发放，月供养金 {d.get('amount')} 元。",
        "head_change": f"经核实，原户主已死亡，决定自 {month} 起由你作为户主接续保障（保障编号 {d.get('enrollment_number')}），"
                       f"月保障金 {d.get('amount')} 元，保障 {d.get('persons')} 人。",
    }.get(outcome, "")  # fmt: skip
    title = "复核结果告知书" if outcome == "unchanged" else "保障变更决定书"
    blocks = [
        Paragraph(
            f"你家庭的{program}待遇（保障编号 {d.get('enrollment_number', '')}），经{case.spec.name}（办件编号 "
            f"{case.number}）入户调查、乡镇（街道）审核和审核确认：{what}"
        ),
        Fields(
            [
                ("保障编号", d.get("enrollment_number", "")),
                ("变更生效月份", month),
                ("月保障金（元）", d.get("amount", "")),
                ("保障人数", d.get("persons", "")),
            ]
        ),
        Paragraph("家庭人口、收入、财产状况发生变化的，请及时告知乡镇（街道）。"),
        Note(REMEDY),
    ]
    if d.get("recover_from"):  # a member's death decided after the month following it
        blocks.insert(
            2, Paragraph(f"{d.get('person', '')}死亡次月（{_ym(d['recover_from'])}）起按原人数多发的保障金须依法退回。")
        )
    if d.get("self_care"):  # 特困: the six-item result the care level follows
        blocks.insert(2, Paragraph(f"生活自理能力评估（吃饭、穿衣、上下床、如厕、室内行走、洗澡）：{d['self_care']}。"))
    return Document(title=title, number=doc_number(case, "变", _level(case)), addressee=d.get("payee") or "保障对象", blocks=blocks,
                    issuer=office_name(case, _level(case)), issued_on=timezone.localdate())  # fmt: skip


@case_document("stop_decision", "终止救助决定书")
def stop_decision(case, status):
    """停保: addressed to the living payee (the heirs where the covered person died), with the reason
    from the dictionary and the month from which payment stops."""
    d = case.data.get("decision") or {}
    reason = REASONS.get(d.get("reason", ""), d.get("reason", ""))
    death = f"（死亡日期 {d['death_date']}）" if d.get("death_date") else ""
    blocks = [
        Paragraph(
            f"经{case.spec.name}（办件编号 {case.number}）调查核实、公示和审核，因{reason}{death}，决定自 {_ym(d.get('month', ''))} "
            f"起终止{d.get('program', '')}待遇（保障编号 {d.get('enrollment_number', '')}），停发保障金。"
        ),
        Fields(
            [("保障编号", d.get("enrollment_number", "")), ("终止原因", reason), ("停发月份", _ym(d.get("month", "")))]
        ),
    ]
    if d.get("recover_from"):
        blocks.append(
            Paragraph(f"{_ym(d['recover_from'])}起已发放的保障金须依法退回。逾期原因：{d.get('late_reason', '')}")
        )
    blocks += [
        Paragraph(f"理由：{(status.opinion if status else '') or reason}"),
        Note(REMEDY),
    ]
    return Document(title="终止救助决定书", number=doc_number(case, "终", _level(case)), addressee=d.get("payee") or "保障对象家属",
                    blocks=blocks, issuer=office_name(case, _level(case)), issued_on=timezone.localdate())  # fmt: skip
