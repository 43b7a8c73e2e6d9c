"""Every write of the eldercare line: checked in Chinese, the user's grant over the home's region
(``permission_require``), one transaction, an audit row.

What a care home *is* (nature, beds, operator, permits) is written through the supervision engine's
services (typed attributes with history, ADR 0019); a 特困 resident's 供养方式 is changed only by
the case the benefits engine's change request opens (``engines.benefits.requests``: the line owning
特困 registers it), never here.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.engines.benefits.requests import change_request
from minzheng.engines.supervision.models import AttributeValue, Supervised, SupervisionStatus
from minzheng.foundation.accounts.scoping import has_permission, permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.entities.models import Entity
from minzheng.foundation.parameters.standards import MissingStandard, standards_for
from minzheng.foundation.registry.models import Person
from minzheng.foundation.text import clean_text
from minzheng.foundation.validation import Refused

from .models import (
    AbilityAssessment,
    AbilityLevel,
    Admission,
    BedType,
    BreachKind,
    CareWorker,
    CertificateLevel,
    Competition,
    CompetitionEntry,
    Contract,
    ContractReview,
    CustodyEntry,
    CustodyKind,
    DischargeReason,
    Incident,
    IncidentKind,
    IncidentState,
    PrepaidBreach,
    PrepaidLine,
    PrepaidReport,
    ReviewResult,
    Training,
    TrainingKind,
    WorkerRole,
)
from .policy import BED_ATTRIBUTES, KIND

CENT = Decimal("0.01")
TEKUN = "tekun"  # the program of 特困人员救助供养 (its owner registers the 供养方式 change request)
CENTRALISED, DISPERSED = "centralised", "dispersed"
MODE_LABELS = {CENTRALISED: "集中供养", DISPERSED: "分散供养"}


def _actor(user):
    return user if getattr(user, "pk", None) else None


def _text(value, limit: int) -> str:
    return clean_text(str(value or "")).strip()[:limit]


def _day(value, field: str, label: str, *, default_today: bool = True, future: bool = False) -> dt.date:
    if value in (None, ""):
        if default_today:
            return timezone.localdate()
        raise ValidationError({field: f"请填写{label}"})
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({field: f"{label}应为日期（如 2024-01-31）"}) from None
    if not future and value > timezone.localdate():
        raise ValidationError({field: f"{label}不能晚于今天"})
    return value


def _money(value, field: str, label: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValidationError({field: f"{label}应为金额"})
    try:
        amount = Decimal(str(value if value not in (None, "") else "0")).quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}应为金额"}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: f"{label}不能为负数"})
    if amount >= Decimal("1e10"):
        raise ValidationError({field: f"{label}超出范围"})
    return amount


def _home(supervised: Supervised) -> Supervised:
    if supervised.kind != KIND:
        raise ValidationError("该监管对象不是养老机构")
    return supervised


def _label(supervised: Supervised) -> str:
    return supervised.entity.name


def _region(supervised: Supervised) -> str:
    return supervised.entity.region_code


def _require(user, permission: str, supervised: Supervised) -> None:
    permission_require(user, permission, _region(_home(supervised)))


def _attribute(supervised: Supervised, code: str):
    row = AttributeValue.objects.filter(supervised=supervised, code=code, superseded_at__isnull=True).first()
    return row.value if row is not None else None


def _audit(action: str, obj, supervised: Supervised, summary: str, changes: dict | None = None) -> None:
    audit_record(
        action=f"eldercare.{action}",
        object_type=f"eldercare.{type(obj).__name__.lower()}",
        object_id=obj.pk,
        region_code=_region(supervised),
        summary=summary,
        changes=changes,
    )


# ---------------------------------------------------------------------------------------------------
# Care homes (through the supervision engine)


def beds_check(values: dict) -> None:
    """Beds by type never exceed the total (护理型, 失智照护 and the beds reserved for 集中供养 are
    each part of 床位总数); ``values`` are the attributes as they will stand."""
    total = values.get("beds_total")
    errors = {}
    for code, label in (("beds_nursing", "护理型床位"), ("beds_dementia", "失智照护床位"),
                        ("beds_reserved", "集中供养预留床位")):  # fmt: skip
        v = values.get(code)
        if v is not None and total is not None and int(v) > int(total):
            errors[code] = f"{label}（{v}张）不能多于床位总数（{total}张）"
    if errors:
        raise ValidationError(errors)


def care_home_register(*, user, entity: Entity, attributes: dict, operating: bool = True, effective_on=None,
                       reason: str = "") -> Supervised:  # fmt: skip
    """Put a registered legal entity under supervision as a care home (养老机构) with its attributes
    (nature, level, beds …), through the supervision engine (its audit row names the home)."""
    from minzheng.engines.supervision import kinds
    from minzheng.engines.supervision.services import supervised_register

    cleaned = kinds.attributes_clean(kinds.kind_get(KIND), attributes)
    beds_check(cleaned)
    return supervised_register(
        user=user, entity=entity, kind=KIND, status=SupervisionStatus.OPERATING if operating else SupervisionStatus.PREPARING,
        attributes=cleaned, effective_on=effective_on, reason=reason or "养老机构纳入监管",
    )  # fmt: skip


def care_home_attributes_set(*, user, supervised: Supervised, values: dict, reason: str = "", effective_on=None):
    """Change a care home's attributes (beds by type, nature, operator, 医养结合 …) with their history,
    the beds by type checked against the total as they will stand."""
    from minzheng.engines.supervision import kinds
    from minzheng.engines.supervision.services import attributes_set

    _home(supervised)
    cleaned = kinds.attributes_clean(kinds.kind_get(KIND), values)
    if any(code in cleaned for code in BED_ATTRIBUTES):
        current = {c: _attribute(supervised, c) for c in BED_ATTRIBUTES}
        beds_check({**current, **cleaned})
    return attributes_set(user=user, supervised=supervised, values=cleaned, reason=reason, effective_on=effective_on)


# ---------------------------------------------------------------------------------------------------
# 公建民营 contracts


@transaction.atomic
def contract_record(*, user, supervised: Supervised, operator_name: str, number: str, signed_on, starts_on, ends_on,
                    annual_fee, operator_uscc: str = "", terms: str = "") -> Contract:  # fmt: skip
    """Record the 公建民营 contract of a home whose nature is 公建民营 (term, yearly fee, terms)."""
    _require(user, "eldercare.manage", supervised)
    if _attribute(supervised, "nature") != "public_private":
        raise ValidationError("只有性质为「公建民营」的养老机构登记公建民营合同")
    name, number = _text(operator_name, 200), _text(number, 60)
    if not name:
        raise ValidationError({"operator_name": "请填写运营方"})
    if not number:
        raise ValidationError({"number": "请填写合同编号"})
    signed = _day(signed_on, "signed_on", "签订日期", default_today=False)
    starts = _day(starts_on, "starts_on", "起始日期", default_today=False, future=True)
    ends = _day(ends_on, "ends_on", "终止日期", default_today=False, future=True)
    if ends <= starts:
        raise ValidationError({"ends_on": "终止日期应晚于起始日期"})
    overlapping = Contract.objects.filter(supervised=supervised, starts_on__lt=ends, ends_on__gt=starts,
                                          ended_early_on__isnull=True)  # fmt: skip
    if overlapping.exists():
        raise ValidationError({"starts_on": "该机构在此期间已有公建民营合同"})
    uscc = _text(operator_uscc, 18).upper()
    if uscc:
        from minzheng.foundation.entities.services import uscc_clean

        uscc = uscc_clean(uscc)
    contract = Contract.objects.create(
        supervised=supervised, operator_name=name, operator_uscc=uscc, number=number, signed_on=signed,
        starts_on=starts, ends_on=ends, annual_fee=_money(annual_fee, "annual_fee", "年承包（租赁）费"),
        terms=_text(terms, 1000), recorded_by=_actor(user),
    )  # fmt: skip
    _audit("contract", contract, supervised, f"{_label(supervised)} 登记公建民营合同 {number}（{name}）",
           {"term": [starts.isoformat(), ends.isoformat()], "annual_fee": str(contract.annual_fee)})  # fmt: skip
    return contract


@transaction.atomic
def contract_review_record(*, user, contract: Contract, year: int, score, result: str, note: str = "",
                           reviewed_on=None) -> ContractReview:  # fmt: skip
    """The yearly performance review of a 公建民营 contract (one per year of its term)."""
    supervised = contract.supervised
    _require(user, "eldercare.manage", supervised)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": "考核年度应为年份"}) from None
    if not contract.starts_on.year <= year <= contract.ends_on.year:
        raise ValidationError(
            {"year": f"考核年度应在合同期限内（{contract.starts_on.year}–{contract.ends_on.year}年）"}
        )
    if result not in ReviewResult.values:
        raise ValidationError({"result": "请选择考核结果"})
    try:
        score = Decimal(str(score)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": "得分应为 0–100 的数"}) from None
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({"score": "得分应为 0–100 的数"})
    if contract.reviews.filter(year=year).exists():
        raise ValidationError({"year": f"{year}年度已考核"})
    review = ContractReview.objects.create(
        contract=contract, year=year, score=score, result=result, note=_text(note, 1000),
        reviewed_on=_day(reviewed_on, "reviewed_on", "考核日期"), recorded_by=_actor(user),
    )  # fmt: skip
    _audit("contract_review", review, supervised,
           f"{_label(supervised)} 公建民营合同 {contract.number} {year}年度考核：{review.get_result_display()}（{score}分）",
           {"year": year, "score": str(score), "result": result})  # fmt: skip
    return review


# ---------------------------------------------------------------------------------------------------
# Residents


def _tekun_enrollment(person: Person) -> Enrollment | None:
    """The person's running 特困 enrollment (their own, one person), if any."""
    return (
        Enrollment.objects.filter(program_id=TEKUN, person=person)
        .exclude(state=EnrollmentState.EXITED)
        .order_by("-pk")
        .first()
    )


def _case_running(number: str) -> str:
    """``number`` if that case is still in progress, else ""."""
    from minzheng.engines.cases.models import Case

    if number and Case.objects.filter(number=number, closed_at__isnull=True).exists():
        return number
    return ""


def _mode_request(user, enrollment: Enrollment, mode: str, evidence: dict) -> tuple[str, str]:
    """Ask for the 供养方式 change through the benefits engine (the owning line's case): ``(case
    number, note)``; a change that cannot be opened now leaves the admission standing with the reason
    (shown on the home's page, to be opened from the enrollment page)."""
    # the clerk opens it in their name where they may open cases there; otherwise it is opened on the
    # evidence, the admission's audit row naming the clerk
    opener = user if user is not None and has_permission(user, "cases.open", enrollment.region_code) else None
    try:
        with transaction.atomic():
            case = change_request(user=opener, enrollment=enrollment, kind="mode", mode=mode, evidence=evidence)
    except ValidationError as exc:
        text = "；".join(exc.messages)[:200]
        return "", f"未能发起{MODE_LABELS[mode]}变更：{text}"
    return case.number, f"已发起{MODE_LABELS[mode]}变更办件 {case.number}，经县级民政部门决定后按其规定的月份生效"


@transaction.atomic
def admission_record(*, user, supervised: Supervised, person: Person, admitted_on=None, bed_type: str = "general",
                     monthly_fee="0", ability_level: str = "", assessed_on=None, assessor: str = "") -> Admission:  # fmt: skip
    """Admit a registry person to a care home. A person on the 特困 roll in 分散供养 is admitted in
    centralised support: the 供养方式 change is asked for through the benefits engine with the admission
    as evidence (a case of the line owning 特困, decided by the county), never written here."""
    _require(user, "eldercare.residents", supervised)
    supervised = Supervised.objects.select_for_update().select_related("entity").get(pk=supervised.pk)
    if supervised.status != SupervisionStatus.OPERATING:
        raise Refused(f"{_label(supervised)} 当前为「{supervised.get_status_display()}」，不能办理入住")
    if person.death_date is not None:
        raise ValidationError({"person": f"{person.name} 已登记死亡"})
    day = _day(admitted_on, "admitted_on", "入住日期")
    if bed_type not in BedType.values:
        raise ValidationError({"bed_type": "请选择床位类型"})
    elsewhere = Admission.objects.filter(person=person, discharged_on__isnull=True).select_related("supervised__entity")
    other = elsewhere.first()
    if other is not None:
        where = other.supervised.entity.name if other.supervised_id != supervised.pk else "本机构"
        raise ValidationError({"person": f"{person.name} 现入住于{where}，请先办理退住"})
    last = Admission.objects.filter(person=person, discharged_on__gt=day).first()
    if last is not None:
        raise ValidationError({"admitted_on": f"入住日期不能早于上次退住日期 {last.discharged_on:%Y-%m-%d}"})
    total = _attribute(supervised, "beds_total")
    if (
        total is not None
        and Admission.objects.filter(supervised=supervised, discharged_on__isnull=True).count() >= total
    ):
        raise Refused(f"{_label(supervised)} 床位已满（{total}张）")
    admission = Admission.objects.create(
        supervised=supervised, person=person, admitted_on=day, bed_type=bed_type,
        monthly_fee=_money(monthly_fee, "monthly_fee", "月服务费"), recorded_by=_actor(user),
    )  # fmt: skip
    if ability_level:
        _assessment_add(user, admission, ability_level, assessed_on or day, assessor)
    e = _tekun_enrollment(person)
    if e is not None:
        admission.centralised, admission.enrollment_number = True, e.number
        if e.mode == CENTRALISED:
            admission.support_note = "已是集中供养"
        else:
            evidence = {"what": "养老机构入住登记", "admission": admission.pk, "home": _label(supervised),
                        "uscc": supervised.entity.uscc, "day": day.isoformat(),
                        "summary": f"{_label(supervised)}入住登记（{day:%Y-%m-%d}入住）"}  # fmt: skip
            admission.support_case, admission.support_note = _mode_request(user, e, CENTRALISED, evidence)
        admission.save(update_fields=["centralised", "enrollment_number", "support_case", "support_note"])
    _audit("admission", admission, supervised, f"{person.name} 入住 {_label(supervised)}（{day:%Y-%m-%d}）",
           {"person": person.pk, "admitted_on": day.isoformat(), "bed_type": bed_type,
            "enrollment": admission.enrollment_number, "support_case": admission.support_case})  # fmt: skip
    return admission


@transaction.atomic
def discharge_record(*, user, admission: Admission, reason: str, discharged_on=None, note: str = "") -> Admission:
    """Discharge a resident. A 特困 resident in centralised support leaving for home is asked back to
    分散供养 through the same change request; a death goes the 停保 way of the roll (not a change of
    供养方式), a transfer to another institution keeps 集中供养."""
    admission = (
        Admission.objects.select_for_update().select_related("supervised__entity", "person").get(pk=admission.pk)
    )
    supervised = admission.supervised
    _require(user, "eldercare.residents", supervised)
    if admission.discharged_on is not None:
        raise Refused(f"{admission.person.name} 已于 {admission.discharged_on:%Y-%m-%d} 退住")
    if reason not in DischargeReason.values:
        raise ValidationError({"reason": "请选择退住原因"})
    day = _day(discharged_on, "discharged_on", "退住日期")
    if day < admission.admitted_on:
        raise ValidationError({"discharged_on": f"退住日期不能早于入住日期 {admission.admitted_on:%Y-%m-%d}"})
    admission.discharged_on, admission.discharge_reason = day, reason
    admission.discharge_note = _text(note, 300)
    running = _case_running(admission.support_case)
    if running:
        # the 集中供养 asked for at admission is not decided yet: it is for the county to end it, the
        # discharge asks for nothing on top of it
        admission.discharge_note = (
            admission.discharge_note + f"；入住时发起的集中供养变更办件 {running} 尚未办结，请告知县级民政部门撤销"
        ).strip("；")
    elif admission.centralised:
        e = _tekun_enrollment(admission.person)
        if e is None:
            admission.discharge_note = (admission.discharge_note + "；特困保障已终止，无需变更供养方式").strip("；")
        elif reason == DischargeReason.DEATH:
            admission.discharge_note = (admission.discharge_note + f"；请就 {e.number} 办理停保（死亡）").strip("；")
        elif reason in (DischargeReason.TRANSFER, DischargeReason.HOSPITAL):
            admission.discharge_note = (admission.discharge_note + "；仍为集中供养，不变更供养方式").strip("；")
        else:
            evidence = {"what": "养老机构退住登记", "admission": admission.pk, "home": _label(supervised),
                        "uscc": supervised.entity.uscc, "day": day.isoformat(),
                        "summary": f"{_label(supervised)}退住登记（{day:%Y-%m-%d}退住，{DischargeReason(reason).label}）"}  # fmt: skip
            admission.discharge_case, text = _mode_request(user, e, DISPERSED, evidence)
            admission.discharge_note = (admission.discharge_note + "；" + text).strip("；")[:300]
    admission.save(update_fields=["discharged_on", "discharge_reason", "discharge_note", "discharge_case"])
    _audit("discharge", admission, supervised,
           f"{admission.person.name} 退住 {_label(supervised)}（{day:%Y-%m-%d}，{DischargeReason(reason).label}）",
           {"discharged_on": day.isoformat(), "reason": reason, "case": admission.discharge_case})  # fmt: skip
    return admission


def _assessment_add(user, admission, level, assessed_on, assessor) -> AbilityAssessment:
    if level not in AbilityLevel.values:
        raise ValidationError({"ability_level": "请选择能力等级：能力完好、轻度、中度或重度失能"})
    day = _day(assessed_on, "assessed_on", "评估日期")
    return AbilityAssessment.objects.create(admission=admission, level=level, assessed_on=day,
                                            assessor=_text(assessor, 100), recorded_by=_actor(user))  # fmt: skip


@transaction.atomic
def assessment_record(
    *, user, admission: Admission, level: str, assessed_on=None, assessor: str = ""
) -> AbilityAssessment:
    """Record an ability assessment (能力完好/轻度/中度/重度失能) of a resident, with its day."""
    supervised = admission.supervised
    _require(user, "eldercare.residents", supervised)
    a = _assessment_add(user, admission, level, assessed_on, assessor)
    _audit("assessment", a, supervised, f"{admission.person.name} 能力评估：{a.get_level_display()}（{a.assessed_on:%Y-%m-%d}）",
           {"level": level, "assessed_on": a.assessed_on.isoformat()})  # fmt: skip
    return a


# ---------------------------------------------------------------------------------------------------
# Prepaid fees


def prepaid_limits(*, region_code: str, as_of: dt.date, monthly_fee: Decimal) -> dict:
    """The limits in force for a home of ``region_code`` on ``as_of`` for a monthly fee: prepaid
    service fees at most ``eldercare_prepaid_max_months`` months of it, the deposit at most
    ``eldercare_deposit_max_multiple`` times it, with the citations of the rows."""
    std = standards_for(region_code=region_code, hukou_type="", as_of=as_of)
    try:
        months, multiple = std.decimal("eldercare_prepaid_max_months"), std.decimal("eldercare_deposit_max_multiple")
    except MissingStandard as exc:
        raise Refused(str(exc)) from None
    rows = (std.row("eldercare_prepaid_max_months"), std.row("eldercare_deposit_max_multiple"))
    return {
        "prepaid": (monthly_fee * months).quantize(CENT),
        "deposit": (monthly_fee * multiple).quantize(CENT),
        "months": months,
        "multiple": multiple,
        "basis": [r.source_document for r in rows if r is not None],
    }


@transaction.atomic
def prepaid_report(*, user, supervised: Supervised, lines: list[dict], as_of=None) -> PrepaidReport:
    """The home's report of prepaid balances and deposits per resident (``lines``: ``admission``,
    ``monthly_fee``, ``prepaid_balance``, ``deposit``) as of a day. Each line is checked against the
    limits in force there that day; a breach is recorded and the county office's staff are alerted."""
    from minzheng.foundation.accounts.selectors import users_with_permission
    from minzheng.foundation.notify.services import notify_many

    _require(user, "eldercare.prepaid", supervised)
    day = _day(as_of, "as_of", "报送截止日期")
    if not lines:
        raise ValidationError({"lines": "请至少填写一位老人的预付费情况"})
    region = _region(supervised)
    report = PrepaidReport.objects.create(supervised=supervised, as_of=day, reported_by=_actor(user))
    breaches, seen = [], set()
    for i, raw in enumerate(lines, start=1):
        admission = raw.get("admission")
        if not isinstance(admission, Admission) or admission.supervised_id != supervised.pk:
            raise ValidationError({"lines": f"第{i}行：不是本机构的入住老人"})
        if admission.pk in seen:
            raise ValidationError({"lines": f"第{i}行：同一老人重复填写"})
        seen.add(admission.pk)
        if admission.admitted_on > day or (admission.discharged_on and admission.discharged_on < day):
            raise ValidationError({"lines": f"第{i}行：{admission.person.name} 在 {day:%Y-%m-%d} 未入住本机构"})
        fee = _money(raw.get("monthly_fee", admission.monthly_fee), "monthly_fee", f"第{i}行月服务费")
        limits = prepaid_limits(region_code=region, as_of=day, monthly_fee=fee)
        line = PrepaidLine.objects.create(
            report=report, admission=admission, monthly_fee=fee,
            prepaid_balance=_money(raw.get("prepaid_balance"), "prepaid_balance", f"第{i}行预收服务费余额"),
            deposit=_money(raw.get("deposit"), "deposit", f"第{i}行押金"),
            prepaid_limit=limits["prepaid"], deposit_limit=limits["deposit"],
        )  # fmt: skip
        basis = "；".join(limits["basis"])[:300]
        if line.prepaid_over:
            breaches.append(PrepaidBreach(line=line, supervised=supervised, kind=BreachKind.PREPAID,
                                          amount=line.prepaid_balance, limit=line.prepaid_limit, basis=basis,
                                          found_on=day))  # fmt: skip
        if line.deposit_over:
            breaches.append(PrepaidBreach(line=line, supervised=supervised, kind=BreachKind.DEPOSIT,
                                          amount=line.deposit, limit=line.deposit_limit, basis=basis, found_on=day))  # fmt: skip
    PrepaidBreach.objects.bulk_create(breaches)
    report.breaches = len(breaches)
    report.save(update_fields=["breaches"])
    _audit("prepaid_report", report, supervised,
           f"{_label(supervised)} 报送预付费（截至 {day:%Y-%m-%d}，{len(lines)}人）" + (f"，超限 {len(breaches)} 项" if breaches else ""),
           {"as_of": day.isoformat(), "lines": len(lines), "breaches": len(breaches)})  # fmt: skip
    if breaches:
        staff = users_with_permission("eldercare.prepaid", region[:6])
        body = "；".join(
            f"{b.line.admission.person.name}：{b.get_kind_display()}（{b.amount}元，上限{b.limit}元）" for b in breaches
        )
        notify_many(channel="in_app", subject=f"预付费超限：{_label(supervised)}", body=body[:1000],
                    recipients=[{"user": u} for u in staff], related_type="eldercare.prepaidreport",
                    related_id=report.pk, region_code=region)  # fmt: skip
    return report


@transaction.atomic
def custody_book(*, user, supervised: Supervised, kind: str, amount, booked_on=None, admission: Admission | None = None,
                 bank_reference: str = "", note: str = "") -> CustodyEntry:  # fmt: skip
    """Book one movement on the home's custody account (append-only; the balance never goes below
    zero). A mistake is corrected by a further booking."""
    _require(user, "eldercare.prepaid", supervised)
    Supervised.objects.select_for_update().filter(pk=supervised.pk).first()  # one booking at a time per home
    if kind not in CustodyKind.values:
        raise ValidationError({"kind": "请选择记账类型"})
    value = _money(amount, "amount", "金额")
    if value <= 0:
        raise ValidationError({"amount": "金额应大于零"})
    if admission is not None and admission.supervised_id != supervised.pk:
        raise ValidationError({"admission": "不是本机构的入住老人"})
    last = CustodyEntry.objects.filter(supervised=supervised).order_by("-seq").first()
    balance = last.balance_after if last else Decimal("0.00")
    balance = balance + value if kind in (CustodyKind.PREPAID_IN, CustodyKind.DEPOSIT_IN) else balance - value
    if balance < 0:
        raise Refused(f"存管账户余额不足：当前余额 {last.balance_after if last else Decimal('0.00')} 元")
    entry = CustodyEntry.objects.create(
        supervised=supervised, admission=admission, seq=(last.seq if last else 0) + 1, kind=kind, amount=value,
        balance_after=balance, booked_on=_day(booked_on, "booked_on", "记账日期"),
        bank_reference=_text(bank_reference, 60), note=_text(note, 200), recorded_by=_actor(user),
    )  # fmt: skip
    _audit("custody", entry, supervised, f"{_label(supervised)} 存管账户 {entry.get_kind_display()} {value} 元，余额 {balance} 元",
           {"kind": kind, "amount": str(value), "balance_after": str(balance)})  # fmt: skip
    return entry


# ---------------------------------------------------------------------------------------------------
# Incidents


def incident_limits(*, region_code: str, on: dt.date) -> dict:
    std = standards_for(region_code=region_code, hukou_type="", as_of=on)
    try:
        return {k: int(std.decimal(f"eldercare_incident_{k}")) for k in ("report_hours", "handle_days", "close_days")}
    except MissingStandard as exc:
        raise Refused(str(exc)) from None


def _moment(value, field: str, label: str) -> dt.datetime:
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError({field: f"{label}应为日期时间（如 2024-01-31 08:30）"}) from None
    if not isinstance(value, dt.datetime):
        raise ValidationError({field: f"{label}应为日期时间"})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({field: f"{label}不能晚于现在"})
    return value


@transaction.atomic
def incident_report(*, user, supervised: Supervised, kind: str, occurred_at, description: str, reported_at=None,
                    casualties: int = 0) -> Incident:  # fmt: skip
    """Report a 突发事件 of a home; its time limits (report, handling, closing) are those in force
    where the home is on the day it happened, kept with it."""
    _require(user, "eldercare.incidents", supervised)
    if kind not in IncidentKind.values:
        raise ValidationError({"kind": "请选择事件类型"})
    occurred = _moment(occurred_at, "occurred_at", "发生时间")
    reported = _moment(reported_at, "reported_at", "报告时间")
    if reported < occurred:
        raise ValidationError({"reported_at": "报告时间不能早于发生时间"})
    text = _text(description, 2000)
    if not text:
        raise ValidationError({"description": "请填写事件经过"})
    try:
        casualties = int(casualties or 0)
    except (TypeError, ValueError):
        raise ValidationError({"casualties": "伤亡人数应为整数"}) from None
    if not 0 <= casualties <= 10000:
        raise ValidationError({"casualties": "伤亡人数应为 0 或正整数"})
    day = timezone.localdate(occurred)
    limits = incident_limits(region_code=_region(supervised), on=day)
    incident = Incident.objects.create(
        supervised=supervised, kind=kind, occurred_at=occurred, reported_at=reported, description=text,
        casualties=casualties, report_due=occurred + dt.timedelta(hours=limits["report_hours"]),
        handle_due=timezone.localdate(reported) + dt.timedelta(days=limits["handle_days"]),
        close_due=timezone.localdate(reported) + dt.timedelta(days=limits["close_days"]), recorded_by=_actor(user),
    )  # fmt: skip
    late = "（逾期报告）" if incident.reported_late else ""
    _audit("incident", incident, supervised, f"{_label(supervised)} 报告突发事件：{incident.get_kind_display()}{late}",
           {"kind": kind, "occurred_at": occurred.isoformat(), "casualties": casualties})  # fmt: skip
    return incident


@transaction.atomic
def incident_handle(*, user, incident: Incident, handling: str, handled_on=None) -> Incident:
    """Record how a reported incident was handled (处置)."""
    incident = Incident.objects.select_for_update().select_related("supervised__entity").get(pk=incident.pk)
    _require(user, "eldercare.incidents", incident.supervised)
    if incident.state != IncidentState.REPORTED:
        raise Refused(f"该事件当前为「{incident.get_state_display()}」，不能再登记处置")
    text = _text(handling, 2000)
    if not text:
        raise ValidationError({"handling": "请填写处置情况"})
    day = _day(handled_on, "handled_on", "处置日期")
    if day < timezone.localdate(incident.occurred_at):
        raise ValidationError({"handled_on": "处置日期不能早于发生日期"})
    incident.state, incident.handling, incident.handled_on = IncidentState.HANDLED, text, day
    incident.save(update_fields=["state", "handling", "handled_on"])
    _audit("incident_handle", incident, incident.supervised, f"{_label(incident.supervised)} 突发事件已处置",
           {"handled_on": day.isoformat()})  # fmt: skip
    return incident


@transaction.atomic
def incident_close(*, user, incident: Incident, conclusion: str, closed_on=None) -> Incident:
    """Close a handled incident (结案) with the conclusion; an unhandled one cannot be closed."""
    incident = Incident.objects.select_for_update().select_related("supervised__entity").get(pk=incident.pk)
    _require(user, "eldercare.incidents", incident.supervised)
    if incident.state != IncidentState.HANDLED:
        raise Refused("事件须先登记处置情况，才能结案" if incident.state == IncidentState.REPORTED else "该事件已结案")
    text = _text(conclusion, 2000)
    if not text:
        raise ValidationError({"conclusion": "请填写结案意见"})
    day = _day(closed_on, "closed_on", "结案日期")
    if day < incident.handled_on:
        raise ValidationError({"closed_on": "结案日期不能早于处置日期"})
    incident.state, incident.conclusion, incident.closed_on = IncidentState.CLOSED, text, day
    incident.save(update_fields=["state", "conclusion", "closed_on"])
    _audit("incident_close", incident, incident.supervised, f"{_label(incident.supervised)} 突发事件结案",
           {"closed_on": day.isoformat(), "late": day > incident.close_due})  # fmt: skip
    return incident


# ---------------------------------------------------------------------------------------------------
# Care workers


@transaction.atomic
def worker_register(*, user, supervised: Supervised, person: Person, role: str = "carer", certificate_level: str = "",
                    certificate_number: str = "", hired_on=None) -> CareWorker:  # fmt: skip
    """Register a registry person as a 养老护理员 (with the certificate level) or 机构负责人 of a home."""
    _require(user, "eldercare.workers", supervised)
    if role not in WorkerRole.values:
        raise ValidationError({"role": "请选择岗位"})
    if certificate_level not in CertificateLevel.values:
        raise ValidationError({"certificate_level": "请选择职业技能等级"})
    if person.death_date is not None:
        raise ValidationError({"person": f"{person.name} 已登记死亡"})
    if CareWorker.objects.filter(supervised=supervised, person=person, role=role, left_on__isnull=True).exists():
        raise ValidationError({"person": f"{person.name} 已在本机构登记为{WorkerRole(role).label}"})
    worker = CareWorker.objects.create(
        supervised=supervised, person=person, role=role, certificate_level=certificate_level,
        certificate_number=_text(certificate_number, 40), hired_on=_day(hired_on, "hired_on", "入职日期"),
        recorded_by=_actor(user),
    )  # fmt: skip
    _audit("worker", worker, supervised, f"{_label(supervised)} 登记{worker.get_role_display()} {person.name}",
           {"role": role, "certificate_level": certificate_level})  # fmt: skip
    return worker


@transaction.atomic
def worker_leave(*, user, worker: CareWorker, left_on=None) -> CareWorker:
    _require(user, "eldercare.workers", worker.supervised)
    if worker.left_on is not None:
        raise Refused("该人员已离职")
    day = _day(left_on, "left_on", "离职日期")
    if day < worker.hired_on:
        raise ValidationError({"left_on": "离职日期不能早于入职日期"})
    worker.left_on = day
    worker.save(update_fields=["left_on"])
    _audit("worker_leave", worker, worker.supervised, f"{_label(worker.supervised)} {worker.person.name} 离职",
           {"left_on": day.isoformat()})  # fmt: skip
    return worker


@transaction.atomic
def training_record(*, user, worker: CareWorker, kind: str, title: str, hours, completed_on=None) -> Training:
    """Record a training (学时) of a worker; 机构负责人培训 only for a home's 机构负责人."""
    _require(user, "eldercare.workers", worker.supervised)
    if kind not in TrainingKind.values:
        raise ValidationError({"kind": "请选择培训类型"})
    if kind == TrainingKind.HEAD and worker.role != WorkerRole.HEAD:
        raise ValidationError({"kind": "机构负责人培训只登记给机构负责人"})
    name = _text(title, 200)
    if not name:
        raise ValidationError({"title": "请填写培训名称"})
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": "学时应为正数"}) from None
    if not Decimal(0) < value <= Decimal(2000):
        raise ValidationError({"hours": "学时应为正数（不超过2000）"})
    t = Training.objects.create(worker=worker, kind=kind, title=name, hours=value,
                                completed_on=_day(completed_on, "completed_on", "结业日期"), recorded_by=_actor(user))  # fmt: skip
    _audit("training", t, worker.supervised, f"{worker.person.name} {t.get_kind_display()}「{name}」{value}学时",
           {"kind": kind, "hours": str(value)})  # fmt: skip
    return t


@transaction.atomic
def competition_create(*, user, region_code: str, name: str, held_on, max_score="100") -> Competition:
    """A skills competition held by the office of ``region_code``."""
    permission_require(user, "eldercare.workers", region_code)
    text = _text(name, 200)
    if not text:
        raise ValidationError({"name": "请填写竞赛名称"})
    try:
        top = Decimal(str(max_score)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"max_score": "满分应为正数"}) from None
    if top <= 0 or top > 10000:
        raise ValidationError({"max_score": "满分应为正数"})
    c = Competition.objects.create(name=text, region_code=region_code, held_on=_day(held_on, "held_on", "举办日期"),
                                   max_score=top, recorded_by=_actor(user))  # fmt: skip
    audit_record(action="eldercare.competition", object_type="eldercare.competition", object_id=c.pk,
                 region_code=region_code, summary=f"登记技能竞赛「{text}」", changes={"held_on": c.held_on.isoformat()})  # fmt: skip
    return c


@transaction.atomic
def competition_score(*, user, competition: Competition, worker: CareWorker, score) -> CompetitionEntry:
    """A worker's score in a competition (a worker of a home within the competition's region)."""
    permission_require(user, "eldercare.workers", competition.region_code)
    from minzheng.foundation.regions.selectors import region_prefix

    if not _region(worker.supervised).startswith(region_prefix(competition.region_code)):
        raise ValidationError({"worker": "参赛人员不在竞赛举办区划内"})
    try:
        value = Decimal(str(score)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"score": "成绩应为数"}) from None
    if not Decimal(0) <= value <= competition.max_score:
        raise ValidationError({"score": f"成绩应在 0–{competition.max_score} 之间"})
    entry, created = CompetitionEntry.objects.update_or_create(competition=competition, worker=worker,
                                                               defaults={"score": value})  # fmt: skip
    audit_record(action="eldercare.competition_score", object_type="eldercare.competitionentry", object_id=entry.pk,
                 region_code=_region(worker.supervised), summary=f"「{competition.name}」{worker.person.name} 成绩 {value}",
                 changes={"score": str(value), "created": created})  # fmt: skip
    return entry


# ---------------------------------------------------------------------------------------------------
# seeding


def policy_ensure(*, using: str = "default") -> None:
    """The nationwide standards of the line (prepaid-fee limits, incident time limits) with their
    citations, where no row exists yet; never overwrite what an administrator has set."""
    from minzheng.foundation.parameters.models import Standard

    from .policy import NATIONWIDE, NATIONWIDE_FROM

    for key, value, citation in NATIONWIDE:
        if not Standard.objects.using(using).filter(key=key, region_code="", hukou_type="", mode="").exists():
            Standard.objects.using(using).create(key=key, region_code="", hukou_type="", mode="",
                                                 effective_from=NATIONWIDE_FROM, value=value, source_document=citation)  # fmt: skip
