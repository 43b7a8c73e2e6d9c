"""Writes of the benefits engine: enrollments and their changes, reviews (standards: the
foundation's :mod:`minzheng.foundation.parameters.services`).

Every write checks the user's grant for the region, runs in one transaction with the enrollment
row locked, appends a history row, and is audited. Payroll lives in :mod:`.payroll`.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.money import yuan
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.registry.models import Household, Person
from minzheng.foundation.registry.services import membership_add, membership_end
from minzheng.foundation.validation import Refused

from .models import (
    CycleState,
    Enrollment,
    EnrollmentEvent,
    EnrollmentState,
    EventKind,
    PaymentCycle,
    Program,
    Review,
    ReviewClass,
    ReviewOutcome,
)
from .workflow import ENROLLMENT_CHANGES, REASONS, change_refusal

CENT = Decimal("0.01")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clipped to the month's end (2025-08-31 + 6 → 2026-02-28)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_month(day: dt.date | None = None) -> dt.date:
    """民政 rule: starts, changes and stops take effect on the 1st of the month after the decision."""
    return add_months(month_start(day or timezone.localdate()), 1)


# ---------------------------------------------------------------- enrollments


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _components(components) -> list[dict]:
    return [{**c, "amount": str(_money(c["amount"]))} for c in (components or [])]


def review_cadence(*, region_code: str, hukou_type: str, review_class: str, on: dt.date) -> int:
    std = st.standards_for(region_code=region_code, hukou_type=hukou_type, as_of=on)
    return int(std.get("review_cadence_months", review_class))


def _frozen_months(enrollment: Enrollment):
    """Months whose payment cycle covering this enrollment is already approved (frozen)."""
    return PaymentCycle.objects.filter(
        program_id=enrollment.program_id,
        state__in=[CycleState.APPROVED, CycleState.EXPORTED, CycleState.RECONCILED],
        region_code__in=st.ancestor_codes(enrollment.region_code)[:-1],
    ).values_list("month", flat=True)


def _check_month(enrollment: Enrollment, month: dt.date) -> None:
    if month.day != 1:
        raise ValidationError({"effective_month": "生效月份须为某月1日"})
    last = enrollment.last_event
    if last is not None and month < last.effective_month:
        raise Refused(f"生效月份 {month:%Y-%m} 早于上一次变动的生效月份 {last.effective_month:%Y-%m}，不能倒签")
    frozen = [m for m in _frozen_months(enrollment) if m >= month]
    if frozen:
        raise Refused(
            f"{max(frozen):%Y年%m月}的发放已审批并冻结，变动最早自{add_months(max(frozen), 1):%Y年%m月}起生效"
        )


def enrollment_create(
    *,
    user,
    program: str,
    household: Household,
    monthly_amount,
    persons_covered: int,
    components=(),
    person: Person | None = None,
    classification: str = "",
    mode: str = "",
    start_month: dt.date | None = None,
    review_class: str = ReviewClass.B,
    assessment: dict | None = None,
    source_case: str = "",
    predecessor: Enrollment | None = None,
    note: str = "",
) -> Enrollment:
    """Put a household (or one person of it) on a program's roll from ``start_month`` (default:
    the month after today, 民发〔2021〕57号 第二十一条)."""
    region = household.region_code
    permission_require(user, "benefits.change", region)
    prog = Program.objects.filter(code=program).first()
    if prog is None:
        raise ValidationError({"program": f"不认识的保障项目：{program}"})
    if person is not None and not household.memberships.filter(person=person, valid_to__isnull=True).exists():
        raise ValidationError({"person": "保障对象须是该家庭的现有成员"})
    start = start_month or next_month()
    if start.day != 1:
        raise ValidationError({"start_month": "起始月份须为某月1日"})
    open_ = Enrollment.objects.filter(program=prog, household=household).exclude(state=EnrollmentState.EXITED)
    open_ = open_.filter(person=person) if person is not None else open_.filter(person__isnull=True)
    if open_.exists():
        raise Refused(
            f"该{'对象' if person else '家庭'}已在{prog.short_name}保障中（{open_.first().number}），不能重复纳入"
        )
    amount = _money(monthly_amount)
    if amount < 0:
        raise ValidationError({"monthly_amount": "金额不能为负数"})
    with transaction.atomic():
        seq = sequence_take(key=f"enrollment:{prog.code}:{region[:6]}")
        e = Enrollment.objects.create(
            number=f"{prog.number_prefix or prog.code.upper()}-{region[:6]}-{seq:06d}",
            program=prog, household=household, person=person, region_code=region, hukou_type=household.hukou_type,
            classification=classification or prog.code, mode=mode, state=EnrollmentState.ACTIVE,
            monthly_amount=amount, persons_covered=persons_covered, components=_components(components),
            start_month=start, review_class=review_class,
            next_review=add_months(start, review_cadence(region_code=region, hukou_type=household.hukou_type,
                                                         review_class=review_class, on=start)),
            predecessor=predecessor, source_case=source_case, assessment=assessment or {},
        )  # fmt: skip
        ev = EnrollmentEvent.objects.create(
            enrollment=e,
            kind=EventKind.TRANSFER_IN if predecessor else EventKind.ENROL,
            state=EnrollmentState.ACTIVE,
            monthly_amount=amount,
            persons_covered=persons_covered,
            components=e.components,
            effective_month=start,
            reason="head_died" if predecessor else "",
            note=note,
            actor=user if getattr(user, "pk", None) else None,
        )
        e.last_event = ev
        e.save(update_fields=["last_event"])
        audit_record(
            action="create", object_type="benefits.enrollment", object_id=e.pk, region_code=region,
            summary=f"纳入{prog.short_name} {e.number}，{persons_covered} 人，月金额 {yuan(amount)} 元，自 {start:%Y-%m} 起",
            changes={"household": household.number, "amount": str(amount), "start_month": start.isoformat()},
        )  # fmt: skip
    return e


def enrollment_change(
    *,
    user,
    enrollment: Enrollment,
    kind: str,
    reason: str = "",
    effective_month: dt.date | None = None,
    monthly_amount=None,
    persons_covered: int | None = None,
    components=None,
    note: str = "",
    assessment: dict | None = None,
    mode: str | None = None,
) -> EnrollmentEvent:
    """Record one change (see :mod:`.workflow` for what is allowed from which state). Stops,
    reductions and exits need a reason code. Takes effect from ``effective_month`` (default: the
    month after today); a month whose payment is approved is frozen and refused. ``assessment``
    (the result a case decided on) replaces the enrollment's last assessment; ``mode`` a changed
    供养方式 (特困 集中/分散)."""
    permission_require(user, "benefits.change", enrollment.region_code)
    if reason and reason not in REASONS:
        raise ValidationError({"reason": f"不认识的原因代码：{reason}"})
    with transaction.atomic():
        e = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("program", "last_event")
            .get(pk=enrollment.pk)
        )
        refusal = change_refusal(kind, e.state)
        if refusal:
            raise Refused(refusal)
        _, to_state = ENROLLMENT_CHANGES[kind]
        new_state = to_state or e.state
        amount = e.monthly_amount if monthly_amount is None else _money(monthly_amount)
        if amount < 0:
            raise ValidationError({"monthly_amount": "金额不能为负数"})
        reduces = new_state in (EnrollmentState.SUSPENDED, EnrollmentState.EXITED) or amount < e.monthly_amount
        if reduces and not reason:
            raise ValidationError({"reason": "暂停、减发、退出须注明原因"})
        month = effective_month or next_month()
        _check_month(e, month)
        comps = e.components if components is None else _components(components)
        if kind == EventKind.PHASE_OUT:
            std = st.standards_for(region_code=e.region_code, hukou_type=e.hukou_type, as_of=month)
            months = int(std.get("phase_out_months"))
            if monthly_amount is None:
                share = std.decimal("phase_out_amount_share")
                amount = (e.monthly_amount * share).quantize(CENT, ROUND_HALF_UP)
            e.phase_out_until = add_months(month, months) - dt.timedelta(days=1)
        if new_state == EnrollmentState.EXITED:
            e.end_month = month
            e.next_review = None
        persons = e.persons_covered if persons_covered is None else persons_covered
        ev = EnrollmentEvent.objects.create(
            enrollment=e, kind=kind, state=new_state, monthly_amount=amount, persons_covered=persons,
            components=comps, effective_month=month, reason=reason, note=note,
            actor=user if getattr(user, "pk", None) else None,
        )  # fmt: skip
        before = {"state": e.state, "monthly_amount": str(e.monthly_amount), "persons_covered": e.persons_covered}
        e.state, e.monthly_amount, e.persons_covered, e.components, e.last_event = (
            new_state, amount, persons, comps, ev,
        )  # fmt: skip
        if assessment is not None:
            e.assessment = assessment
        if mode is not None and mode != e.mode:
            before["mode"], e.mode = e.mode, mode
        e.save()
        audit_record(
            action="update", object_type="benefits.enrollment", object_id=e.pk, region_code=e.region_code,
            summary=f"{e.number} {EventKind(kind).label}" + (f"（{REASONS[reason]}）" if reason else "")
            + f"，自 {month:%Y-%m} 起",
            changes={"before": before, "after": {"state": new_state, "monthly_amount": str(amount),
                                                 "persons_covered": persons, "mode": e.mode}},
        )  # fmt: skip
    enrollment.refresh_from_db()
    return ev


def enrollment_review(
    *,
    user,
    enrollment: Enrollment,
    outcome: str,
    reviewed_on: dt.date | None = None,
    new_amount=None,
    review_class: str | None = None,
    reason: str = "",
    note: str = "",
    assessment: dict | None = None,
    components=None,
) -> Review:
    """Record a periodic review (定期复核, 民发〔2021〕57号 第三十一条) and apply its outcome; the next
    review is due one cadence (by review class and hukou type) after this one. A 渐退 outcome runs
    the phase-out period of the standards from the month after the review (审核确认办法第三十三条)."""
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": "复核结论须为：维持不变、调整金额、进入渐退期、退出"})
    reviewed_on = reviewed_on or timezone.localdate()
    klass = review_class or enrollment.review_class
    if klass not in ReviewClass.values:
        raise ValidationError({"review_class": "复核类别须为 A、B 或 C"})
    if outcome == ReviewOutcome.AMOUNT_CHANGED and new_amount is None:
        raise ValidationError({"new_amount": "调整金额须填写新的月金额"})
    with transaction.atomic():
        due = enrollment.next_review
        kind = {
            ReviewOutcome.UNCHANGED: EventKind.REVIEW,
            ReviewOutcome.AMOUNT_CHANGED: EventKind.AMOUNT,
            ReviewOutcome.PHASE_OUT: EventKind.PHASE_OUT,
            ReviewOutcome.EXIT: EventKind.EXIT,
        }[outcome]
        ev = enrollment_change(
            user=user, enrollment=enrollment, kind=kind, reason=reason or "review",
            monthly_amount=new_amount if outcome == ReviewOutcome.AMOUNT_CHANGED else None,
            effective_month=next_month(reviewed_on), note=note, assessment=assessment,
            components=components if outcome == ReviewOutcome.AMOUNT_CHANGED else None,
        )  # fmt: skip
        review = Review.objects.create(
            enrollment=enrollment, region_code=enrollment.region_code, due_date=due, reviewed_on=reviewed_on,
            outcome=outcome, new_amount=ev.monthly_amount if outcome == ReviewOutcome.AMOUNT_CHANGED else None,
            review_class=klass, note=note, event=ev, actor=user if getattr(user, "pk", None) else None,
        )  # fmt: skip
        fields = {"review_class": klass}
        if outcome != ReviewOutcome.EXIT:
            months = review_cadence(
                region_code=enrollment.region_code, hukou_type=enrollment.hukou_type, review_class=klass, on=reviewed_on
            )
            fields["next_review"] = add_months(reviewed_on, months)
        Enrollment.objects.filter(pk=enrollment.pk).update(**fields)
        audit_record(
            action="create", object_type="benefits.review", object_id=review.pk, region_code=enrollment.region_code,
            summary=f"{enrollment.number} 定期复核：{ReviewOutcome(outcome).label}",
        )  # fmt: skip
    enrollment.refresh_from_db()
    return review


def enrollment_succeed(
    *, user, enrollment: Enrollment, new_head: Person, note: str = "", effective_month: dt.date | None = None
) -> Enrollment:
    """户主死亡 (停旧建新 + 接续链): the old enrollment closes as transferred and a new one, linked to
    it, continues for the household under its new head from the same month, so monthly statistics
    count neither an exit nor a new case. Takes effect from ``effective_month`` (default: the month
    after today), as :func:`enrollment_change`."""
    if enrollment.person_id is not None:
        raise Refused("单人保障对象不适用户主变更接续，请办理退出")
    household = enrollment.household
    if not household.memberships.filter(person=new_head, valid_to__isnull=True).exists():
        raise ValidationError({"new_head": "新户主须是该家庭的现有成员"})
    if new_head.pk == household.head_id:
        raise ValidationError({"new_head": "新户主不能是原户主"})
    with transaction.atomic():
        month = effective_month or next_month()
        ev = enrollment_change(
            user=user, enrollment=enrollment, kind=EventKind.TRANSFER_OUT, reason="head_died",
            effective_month=month, note=note,
        )  # fmt: skip
        old_head = household.head
        Household.objects.filter(pk=household.pk).update(head=new_head)
        household.refresh_from_db()
        audit_record(
            action="update", object_type="registry.household", object_id=household.pk,
            region_code=household.region_code,
            summary=f"家庭 {household.number} 户主变更：{old_head.name if old_head else ''} → {new_head.name}（户主死亡接续）",
            changes={"head": [old_head.pk if old_head else None, new_head.pk]},
        )  # fmt: skip
        new = enrollment_create(
            user=user, program=enrollment.program_id, household=household, monthly_amount=ev.monthly_amount,
            persons_covered=max(1, ev.persons_covered - 1), components=ev.components, classification=enrollment.classification,
            mode=enrollment.mode, start_month=month, review_class=enrollment.review_class,
            assessment=enrollment.assessment, predecessor=enrollment, note=note or "户主变更接续",
        )  # fmt: skip
    return new


def phase_out_expire(*, month: dt.date | None = None) -> int:
    """Exit every enrollment whose 渐退期 ended before ``month`` (default: next month), reason
    ``phase_out_ended``, effective ``month``. Idempotent."""
    month = month or next_month()
    due = Enrollment.objects.filter(state=EnrollmentState.PHASE_OUT, phase_out_until__lt=month)
    n = 0
    for e in due.iterator():
        enrollment_change(user=None, enrollment=e, kind=EventKind.EXIT, reason="phase_out_ended", effective_month=month)
        n += 1
    return n


def enrollment_member_change(
    *,
    user,
    enrollment: Enrollment,
    monthly_amount,
    add: Person | None = None,
    relation: str = "",
    remove: Person | None = None,
    reason: str = "member_change",
    effective_month: dt.date | None = None,
    note: str = "",
) -> EnrollmentEvent:
    """A member joins or leaves a household on the roll: the registry membership and the
    enrollment change (persons covered, re-assessed amount) in one transaction, so the roll and the
    registry never disagree. A member's death is ``remove=person, reason="death"``; the re-check
    must be completed within 3 months of the death (2022 兜底通知)."""
    if (add is None) == (remove is None):
        raise ValidationError("请指定一名增加或减少的成员")
    if enrollment.person_id is not None:
        raise Refused("单人保障对象不办理家庭成员变更")
    household = enrollment.household
    with transaction.atomic():
        if add is not None:
            membership_add(user=user, household=household, person=add, relation=relation)
            persons = enrollment.persons_covered + 1
            summary = f"增加成员 {add.name}"
        else:
            m = household.memberships.filter(person=remove, valid_to__isnull=True).select_related("person").first()
            if m is None:
                raise ValidationError({"remove": "该人员不是本家庭的现有成员"})
            membership_end(user=user, membership=m, reason=REASONS.get(reason, reason))
            persons = max(1, enrollment.persons_covered - 1)
            summary = f"减少成员 {remove.name}"
        return enrollment_change(
            user=user, enrollment=enrollment, kind=EventKind.MEMBER, reason=reason, effective_month=effective_month,
            monthly_amount=monthly_amount, persons_covered=persons, note=note or summary,
        )  # fmt: skip
