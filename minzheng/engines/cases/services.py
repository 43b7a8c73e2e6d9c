"""Writes of the case engine. Every state change is one transaction: lock the case row, check the
transition is allowed from the step the case is in *now*, write the status row, move the task,
run the effects, and schedule notifications after commit. A second caller acting on the same
case waits for the lock, then finds the case already moved and is refused with an explanation.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from pydantic import ValidationError as PydanticError

from minzheng.foundation.accounts.models import Grant
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.calendar.services import add_calendar_days, add_working_days, working_days_between
from minzheng.foundation.numbering.services import sequence_take
from minzheng.foundation.validation import Refused, errors_zh, is_digits

from . import hooks
from .definition import LEVEL_DIGITS, LEVEL_NAMES, OUTCOMES, Definition, StepDef, TransitionDef
from .models import (
    Case,
    CaseStatus,
    CaseType,
    CaseTypeVersion,
    Delegation,
    NoticeState,
    Objection,
    ObjectionState,
    PublicNotice,
    Task,
    TaskState,
    VersionState,
)

logger = logging.getLogger("minzheng.cases")


def today() -> dt.date:
    return timezone.localdate()


def office_code(region_code: str, level: str) -> str:
    """The region code of the office of ``level`` above ``region_code`` (乡镇 330381001000 …)."""
    return region_code[: LEVEL_DIGITS[level]].ljust(12, "0")


# ---------------------------------------------------------------- case types


def _definition_checked(definition: dict) -> tuple[Definition, dict]:
    """The validated definition and its canonical JSON; a definition naming a guard, effect, form
    or document nobody registered is refused."""
    try:
        spec = Definition.model_validate(definition)
    except PydanticError as exc:
        raise ValidationError(f"事项定义不正确：{exc}") from exc
    missing = hooks.unregistered(spec)
    if missing:
        raise ValidationError(f"事项定义引用了未注册的处理：{', '.join(missing)}")
    return spec, spec.model_dump(mode="json", by_alias=True)


def case_type_publish(*, definition: dict, note: str = "", audited: bool = True) -> CaseTypeVersion:
    """Validate a definition and publish it as the next version of its case type; the previous
    version is retired but cases opened under it keep it. Publishing an unchanged definition is a
    no-op, so a business line can call this on every migrate (``audited=False`` there: the
    definitions ship with the code, and the version rows with their publication time are the
    record of an upgrade, as the seeded roles and nationwide standards are)."""
    spec, canonical = _definition_checked(definition)
    with transaction.atomic():
        ct, _ = CaseType.objects.select_for_update().get_or_create(
            code=spec.code, defaults={"name": spec.name, "number_prefix": spec.number_prefix, "category": spec.category}
        )
        current = ct.published
        if current is not None and current.definition == canonical:
            return current
        number = (ct.versions.aggregate(m=Max("version"))["m"] or 0) + 1
        version = CaseTypeVersion.objects.create(
            case_type=ct,
            version=number,
            state=VersionState.PUBLISHED,
            definition=canonical,
            note=note,
            published_at=timezone.now(),
        )
        if current is not None:
            CaseTypeVersion.objects.filter(pk=current.pk).update(state=VersionState.RETIRED)
        ct.published = version
        ct.name, ct.number_prefix, ct.category = spec.name, spec.number_prefix, spec.category
        ct.save()
        if audited:
            audit_record(
                action="publish", object_type="cases.casetype", object_id=ct.code,
                summary=f"发布事项「{spec.name}」第 {number} 版" + (f"：{note}" if note else ""),
            )  # fmt: skip
    return version


def case_type_draft(*, definition: dict, note: str = "") -> CaseTypeVersion:
    """Keep a validated definition as the next version in draft: nothing changes for anyone until
    :func:`case_type_version_publish`; it can be corrected by drafting again."""
    spec, canonical = _definition_checked(definition)
    with transaction.atomic():
        ct = CaseType.objects.select_for_update().filter(code=spec.code).first()
        if ct is None:
            ct = CaseType.objects.create(code=spec.code, name=spec.name, number_prefix=spec.number_prefix,
                                         category=spec.category)  # fmt: skip
        draft = ct.versions.filter(state=VersionState.DRAFT).first()
        if draft is not None:
            draft.definition, draft.note = canonical, note
            draft.save(update_fields=["definition", "note"])
        else:
            number = (ct.versions.aggregate(m=Max("version"))["m"] or 0) + 1
            draft = CaseTypeVersion.objects.create(case_type=ct, version=number, definition=canonical, note=note)
        audit_record(action="update", object_type="cases.casetype", object_id=ct.code,
                     summary=f"事项「{spec.name}」第 {draft.version} 版（草稿）")  # fmt: skip
    return draft


def case_type_version_publish(*, version: CaseTypeVersion) -> CaseTypeVersion:
    """Publish a draft: new cases use it from now on; cases already opened keep their version."""
    with transaction.atomic():
        version = CaseTypeVersion.objects.select_for_update().select_related("case_type").get(pk=version.pk)
        if version.state != VersionState.DRAFT:
            raise Refused(f"第 {version.version} 版不是草稿（{version.get_state_display()}），不能发布")
        ct = CaseType.objects.select_for_update().get(pk=version.case_type_id)
        if ct.published_id:
            CaseTypeVersion.objects.filter(pk=ct.published_id).update(state=VersionState.RETIRED)
        version.state, version.published_at = VersionState.PUBLISHED, timezone.now()
        version.save(update_fields=["state", "published_at"])
        spec = version.spec
        ct.published, ct.name, ct.number_prefix, ct.category = version, spec.name, spec.number_prefix, spec.category
        ct.save()
        audit_record(action="publish", object_type="cases.casetype", object_id=ct.code,
                     summary=f"发布事项「{spec.name}」第 {version.version} 版")  # fmt: skip
    return version


def delegation_set(
    *, user, case_type: str, region_code: str, delegated: bool, effective_from: dt.date, document: str = ""
) -> Delegation:
    """Record that a county delegates (or takes back) the decision of a case type for a region."""
    if user is not None and not has_permission(user, "cases.configure", region_code):  # None: the CLI
        raise PermissionDenied("无权设置该区划的审批权限委托")
    from minzheng.foundation.regions.models import Region

    if not Region.objects.filter(code=region_code).exists():
        raise ValidationError({"region_code": f"区划代码 {region_code} 不存在"})
    ct = CaseType.objects.filter(code=case_type).first()
    if ct is None:
        raise ValidationError({"case_type": f"不认识的事项：{case_type}"})
    if not any(s.delegable for s in ct.published.spec.steps):
        raise ValidationError({"case_type": f"事项「{ct.name}」没有可委托乡镇的审核确认环节"})
    d, _ = Delegation.objects.update_or_create(
        case_type=ct, region_code=region_code, effective_from=effective_from,
        defaults={"delegated": delegated, "document": document, "created_by": user if getattr(user, "pk", None) else None},
    )  # fmt: skip
    audit_record(
        action="update", object_type="cases.delegation", object_id=d.pk, region_code=region_code,
        summary=f"{ct.name}：{region_code} 自 {effective_from} 起{'委托乡镇审核确认' if delegated else '由县级审核确认'}",
    )  # fmt: skip
    return d


def office_codes(region_code: str) -> list[str]:
    """The offices above (and including) a region, most specific first: village … province."""
    return [office_code(region_code, level) for level in ("village", "township", "county", "city")] + [
        region_code[:2].ljust(12, "0")
    ]


def delegated_for(case_type: CaseType, region_code: str, on: dt.date) -> bool:
    """The row of the most specific office above the case's region, latest start on or before ``on``."""
    codes = office_codes(region_code)
    rows = Delegation.objects.filter(case_type=case_type, effective_from__lte=on, region_code__in=codes)
    best = min(rows, key=lambda d: (codes.index(d.region_code), -d.effective_from.toordinal()), default=None)
    return bool(best and best.delegated)


# ---------------------------------------------------------------- opening


def _number(case_type: CaseType, region_code: str, year: int) -> str:
    seq = sequence_take(key=f"case:{case_type.number_prefix}:{region_code[:6]}:{year}")
    return f"{case_type.number_prefix}-{region_code[:6]}-{year}-{seq:06d}"


def case_running(*, case_type: CaseType, household) -> Case | None:
    """The household's case of this item still in progress (not closed), if any: one household has at
    most one running case of an item (the rule :func:`case_open` enforces)."""
    if household is None:
        return None
    return Case.objects.filter(case_type=case_type, household=household, closed_at__isnull=True).order_by("pk").first()


def duplicate_refuse(*, case_type: CaseType, household, shown=None, hint: str = "") -> None:
    """Refuse a second running application of the same item for the household (重复申请), naming the
    running case. The one rule, checked by :func:`case_open` and by any face before the applicant
    fills in a form (the portal's first step). ``shown(case) -> str`` writes the number as that face
    may show it (masked for someone who is not the household); ``hint`` is added to the message."""
    running = case_running(case_type=case_type, household=household)
    if running is not None:
        number = shown(running) if shown else running.number
        raise Refused(
            f"该家庭已有在办的「{case_type.name}」办件 {number}，不能重复申请" + (f"；{hint}" if hint else "")
        )


def case_open(
    *,
    user,
    case_type: str,
    region_code: str,
    household=None,
    applicant=None,
    channel: str = "window",
    data: dict | None = None,
    opinion: str = "",
) -> Case:
    """Open a case of the published version of ``case_type`` at its first step (申请/待受理)."""
    if household is not None:
        region_code = household.region_code
    if not region_code or len(region_code) != 12:
        raise ValidationError({"region_code": "请选择申请人所在的村（社区）"})
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and not has_permission(user, "cases.open", region_code)
    ):
        raise PermissionDenied("无权在该区划受理申请")
    ct = CaseType.objects.select_related("published").filter(code=case_type).first()
    if ct is None or ct.published is None:
        raise ValidationError({"case_type": f"不认识的事项：{case_type}"})
    spec = ct.published.spec
    if applicant is not None and household is not None:
        if not household.memberships.filter(person=applicant, valid_to__isnull=True).exists():
            raise ValidationError({"applicant_id": "申请人须是该家庭的现有成员"})
    now = timezone.now()
    day = timezone.localdate(now)
    actor = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        if household is not None:
            duplicate_refuse(case_type=ct, household=household)
        case = Case.objects.create(
            number=_number(ct, region_code, day.year), case_type=ct, version=ct.published, applicant=applicant,
            household=household, region_code=region_code, channel=channel, step=spec.steps[0].code,
            opened_at=now, opened_by=actor, delegated=delegated_for(ct, region_code, day), data=data or {},
        )  # fmt: skip
        status = _status_write(
            case, user, action="open", action_name="申请", source="", target=case.step, opinion=opinion
        )
        case.status = status
        if spec.clock_on_open:
            _clock_start(case, spec, day)
        case.save(update_fields=["status", "accepted_on", "due_date"])
        _task_open(case, spec.steps[0], day)
        audit_record(
            action="create", object_type="cases.case", object_id=case.number, region_code=region_code,
            summary=f"{ct.name} 申请登记 {case.number}（{case.get_channel_display()}）",
        )  # fmt: skip
    return case


# ---------------------------------------------------------------- acting


def _status_write(case, user, *, action, action_name, source, target, opinion, data=None, role="") -> CaseStatus:
    seq = (case.history.aggregate(m=Max("seq"))["m"] or 0) + 1
    return CaseStatus.objects.create(
        case=case, seq=seq, action=action, action_name=action_name, from_step=source, to_step=target,
        actor=user if getattr(user, "pk", None) else None,
        actor_name=(getattr(user, "display_name", "") or getattr(user, "username", "")) if user else "系统",
        actor_role=role, at=timezone.now(), opinion=opinion, data=data or {},
    )  # fmt: skip


def _clock_start(case: Case, spec: Definition, day: dt.date) -> None:
    """受理 (or opening, for items an office starts): the whole-case limit runs from the next day."""
    case.accepted_on = day
    days = spec.delegated_days if case.delegated and spec.delegated_days else spec.legal_days
    if days:
        case.due_date = add_working_days(day, days) if spec.day_type == "working" else add_calendar_days(day, days)


def step_level(case: Case, step: StepDef) -> str:
    return "township" if step.delegable and case.delegated else step.level


def _task_open(case: Case, step: StepDef, day: dt.date) -> Task | None:
    if step.terminal:
        return None
    due, not_before = None, None
    if step.notice_days:
        notice = _notice_post(case, step, day)
        # acted on from the day after the notice ends, within the step's promised days (default 3)
        not_before = add_calendar_days(notice.end_date, 1)
        due = add_working_days(notice.end_date, step.promised_days or 3)
    else:
        days = step.legal_days or step.promised_days
        if days:
            due = add_working_days(day, days) if step.day_type == "working" else add_calendar_days(day, days)
    if case.due_date and due and not step.notice_days:
        due = min(due, case.due_date)  # a step cannot outlast the whole case
    return Task.objects.create(
        case=case, step=step.code, step_name=step.name, role=step.role,
        region_code=office_code(case.region_code, step_level(case, step)), created_at=timezone.now(),
        start_date=day, due_date=due, not_before=not_before,
    )  # fmt: skip


def acting_roles(user, task: Task) -> list[str]:
    """The roles through which ``user`` may act on ``task``: a grant of the task's role whose region
    covers the task's office."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return [task.role]
    grants = Grant.objects.filter(user=user, role_id=task.role).values_list("prefix", flat=True)
    return [task.role] if any(task.region_code.startswith(p) for p in grants) else []


def _refuse_action(case: Case, spec: Definition, action: str) -> None:
    here = spec.step(case.step)
    if case.closed:
        raise Refused(f"办件 {case.number} 已办结（{OUTCOMES.get(case.outcome, case.outcome)}），不能再办理")
    allowed = "、".join(f"「{t.name}」" for t in spec.actions_from(case.step)) or "无"
    raise Refused(f"办件当前在「{here.name}」环节，不能执行该操作（{action}）；此环节可执行：{allowed}")


def case_act(
    *,
    user,
    case: Case,
    action: str,
    opinion: str = "",
    data: dict | None = None,
    attachments=(),
    on: dt.date | None = None,
) -> Case:
    """Take one allowed transition of ``case`` with an opinion (意见). Anything else — an action
    not allowed from the current step, a user without the step's role in its office, a failed
    guard, invalid form data, a suspended case — is refused and nothing is written."""
    day = on or today()
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("version", "case_type").get(pk=case.pk)
        spec = case.spec
        if case.closed:
            _refuse_action(case, spec, action)
        t = spec.transition(case.step, action)
        if t is None:
            _refuse_action(case, spec, action)
        task = case.tasks.filter(state=TaskState.OPEN).order_by("-pk").first()
        roles = acting_roles(user, task) if task else []
        if task is None or not roles:
            where = LEVEL_NAMES[step_level(case, spec.step(case.step))]
            raise PermissionDenied(
                f"「{spec.step(case.step).name}」须由{where}的{_role_name(task.role if task else '')}办理"
            )
        if task.claimed_by_id and task.claimed_by_id != user.pk:
            raise Refused(f"该待办已由 {task.claimed_by} 认领，请其办理或退回后再办理")
        if case.suspended_since is not None:
            raise Refused(f"办件自 {case.suspended_since:%Y-%m-%d} 起挂起，请先恢复办理")
        _separation_check(case, t, user)
        opinion = (opinion or "").strip()
        if t.opinion_required and not opinion:
            raise ValidationError({"opinion": f"「{t.name}」须填写意见"})
        clean = _form_data(t, data or {}, case=case, day=day)
        ctx = hooks.ActContext(
            case=case, user=user, action=action, source=case.step, target=t.to, opinion=opinion, data=clean,
            today=day, params=spec.params,
        )  # fmt: skip
        for name in t.guards:
            reason = hooks.GUARDS[name](ctx)
            if reason:
                raise Refused(reason)
        _transition_apply(case, spec, t, task, ctx, roles[0], attachments)
    case.messages = ctx.messages  # what the effects did, for the user ("已纳入保障 …")
    return case


def _separation_check(case: Case, t: TransitionDef, user) -> None:
    """Separation of duties: a transition that names earlier actions in ``separate_from`` may not
    be taken by a user who took one of them on this case (one person cannot take a case from
    application to decision alone where the rules require separate steps)."""
    if not t.separate_from or not getattr(user, "pk", None):
        return
    done = (
        case.history.filter(actor_id=user.pk, action__in=t.separate_from)
        .order_by("seq")
        .values_list("action_name", flat=True)
    )
    names = list(dict.fromkeys(done))
    if names:
        raise Refused(
            f"「{t.name}」须由未办理过「{'」「'.join(names)}」的工作人员办理（审批与经办分离），请由其他有权限的人员办理"
        )


def _role_name(code: str) -> str:
    from minzheng.foundation.accounts.models import Role

    return Role.objects.filter(code=code).values_list("name", flat=True).first() or code


ACT_DATE_MAX_AGE_DAYS = 366  # a visit or re-check typed as more than a year back is a typing slip (1900-01-01)


def act_date_errors(*, case: Case, form: str, data: dict, day: dt.date) -> dict[str, str]:
    """The dates of acts of the case in ``data`` (``hooks.case_act_dates``) that are out of sense,
    with the reason: before the case was registered (an investigation cannot precede the
    application), after the day of the action, or more than a year back."""
    opened = timezone.localdate(case.opened_at) if case.opened_at else None
    errors = {}
    for name in hooks.ACT_DATES.get(form, ()):
        value = data.get(name)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                continue  # the form's own check names a malformed date
        if not isinstance(value, dt.date):
            continue
        earliest = day - dt.timedelta(days=ACT_DATE_MAX_AGE_DAYS)
        if value > day:
            errors[name] = f"不能晚于办理当天（{day:%Y-%m-%d}）"
        elif opened is not None and value < opened:
            errors[name] = f"不能早于申请登记日期（{opened:%Y-%m-%d}）"
        elif value < earliest:
            errors[name] = f"不能早于一年前（{earliest:%Y-%m-%d}），请核对日期"
    return errors


def _form_data(t: TransitionDef, data: dict, *, case: Case, day: dt.date) -> dict:
    """The action's data checked by its form, every problem at once (the form's own and the dates
    of acts out of sense), keyed ``data.<field>``."""
    if not t.form:
        return data
    errors: dict[str, str] = {}
    clean = None
    try:
        clean = hooks.FORMS[t.form].model_validate(data).model_dump(mode="json")
    except PydanticError as exc:
        errors = errors_zh(exc.errors())
    for name, msg in act_date_errors(case=case, form=t.form, data=clean or data, day=day).items():
        errors.setdefault(name, msg)
    if errors:
        raise ValidationError({f"data.{k}" if k else "data": v for k, v in errors.items()})
    return clean


def _transition_apply(case: Case, spec: Definition, t: TransitionDef, task: Task, ctx, role: str, attachments) -> None:
    day, user = ctx.today, ctx.user
    target = spec.step(t.to)
    source = case.step
    if t.form:
        case.data.setdefault("forms", {})[t.action] = ctx.data
    if t.clock == "start" and case.accepted_on is None:
        _clock_start(case, spec, day)
    for name in t.effects:
        hooks.EFFECTS[name](ctx)
    case.step = target.code
    if target.terminal:
        case.outcome = target.outcome
        case.closed_at = timezone.now()
    status = _status_write(
        case, user, action=t.action, action_name=t.name, source=source, target=target.code, opinion=ctx.opinion,
        data=ctx.data, role=role,
    )  # fmt: skip
    if attachments:
        status.attachments.set(attachments)
    case.status = status
    case.save()
    Task.objects.filter(pk=task.pk).update(state=TaskState.DONE, done_at=timezone.now(), done_by=user)
    if spec.step(source).notice_days:
        PublicNotice.objects.filter(case=case, state=NoticeState.OPEN).update(state=NoticeState.ENDED)
    _task_open(case, target, day)
    for kind in t.documents:
        document_generate(case=case, kind=kind, status=status, user=user)
    audit_record(
        action="transition", object_type="cases.case", object_id=case.number, region_code=case.region_code,
        summary=f"{case.number}「{t.name}」：{spec.step(source).name} → {target.name}",
        changes={"action": t.action, "opinion": ctx.opinion[:200], "outcome": case.outcome},
    )  # fmt: skip
    if t.notify:
        transaction.on_commit(lambda: _notify(case.pk, t.action))


# ---------------------------------------------------------------- claim, hand back, suspend, extend


def task_claim(*, user, task: Task) -> Task:
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("case").get(pk=task.pk)
        if task.state != TaskState.OPEN:
            raise Refused("该待办已办理或已取消")
        if not acting_roles(user, task):
            raise PermissionDenied("无权认领该待办")
        if task.claimed_by_id and task.claimed_by_id != user.pk:
            raise Refused(f"该待办已由 {task.claimed_by} 认领")
        task.claimed_by, task.claimed_at = user, timezone.now()
        task.save(update_fields=["claimed_by", "claimed_at"])
        audit_record(
            action="claim", object_type="cases.case", object_id=task.case.number, region_code=task.case.region_code,
            summary=f"认领待办「{task.step_name}」",
        )  # fmt: skip
    return task


def task_release(*, user, task: Task) -> Task:
    """Hand a claimed task back to the office's pool (退回待办池)."""
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("case").get(pk=task.pk)
        if task.state != TaskState.OPEN or task.claimed_by_id is None:
            raise Refused("该待办未被认领，无需退回")
        if task.claimed_by_id != user.pk and not has_permission(user, "cases.supervise", task.case.region_code):
            raise PermissionDenied("只能退回自己认领的待办")
        task.claimed_by, task.claimed_at = None, None
        task.save(update_fields=["claimed_by", "claimed_at"])
        audit_record(
            action="release", object_type="cases.case", object_id=task.case.number, region_code=task.case.region_code,
            summary=f"退回待办「{task.step_name}」",
        )  # fmt: skip
    return task


def _case_locked_for(user, case: Case, verb: str) -> tuple[Case, Task]:
    case = Case.objects.select_for_update().select_related("version").get(pk=case.pk)
    if case.closed:
        raise Refused(f"办件已办结，不能{verb}")
    task = case.tasks.filter(state=TaskState.OPEN).first()
    if task is None or not acting_roles(user, task):
        raise PermissionDenied(f"无权{verb}该办件")
    return case, task


def case_suspend(*, user, case: Case, reason: str, on: dt.date | None = None) -> Case:
    """挂起 (e.g. waiting for materials the applicant must bring): the clock stops from the next day."""
    day = on or today()
    if not (reason or "").strip():
        raise ValidationError({"reason": "请填写挂起原因"})
    with transaction.atomic():
        case, _task = _case_locked_for(user, case, "挂起")
        if case.suspended_since is not None:
            raise Refused(f"办件已于 {case.suspended_since:%Y-%m-%d} 挂起")
        case.suspended_since = day
        status = _status_write(case, user, action="suspend", action_name="挂起", source=case.step, target=case.step,
                               opinion=reason.strip())  # fmt: skip
        case.status = status
        case.save(update_fields=["suspended_since", "status"])
        audit_record(action="suspend", object_type="cases.case", object_id=case.number, region_code=case.region_code,
                     summary=f"{case.number} 挂起：{reason.strip()[:100]}")  # fmt: skip
    return case


def case_resume(*, user, case: Case, opinion: str = "", on: dt.date | None = None) -> Case:
    """恢复办理: the working days the case was suspended are added to its deadlines."""
    day = on or today()
    with transaction.atomic():
        case, task = _case_locked_for(user, case, "恢复")
        if case.suspended_since is None:
            raise Refused("办件未挂起")
        lost = working_days_between(case.suspended_since, day)
        case.suspended_days += lost
        if case.due_date:
            case.due_date = add_working_days(case.due_date, lost)
        if task.due_date and not task.not_before:
            task.due_date = add_working_days(task.due_date, lost)
            task.save(update_fields=["due_date"])
        since = case.suspended_since
        case.suspended_since = None
        status = _status_write(case, user, action="resume", action_name="恢复办理", source=case.step,
                               target=case.step, opinion=opinion or f"自 {since:%Y-%m-%d} 挂起 {lost} 个工作日")  # fmt: skip
        case.status = status
        case.save(update_fields=["suspended_since", "suspended_days", "due_date", "status"])
        audit_record(action="resume", object_type="cases.case", object_id=case.number, region_code=case.region_code,
                     summary=f"{case.number} 恢复办理，期限顺延 {lost} 个工作日")  # fmt: skip
    return case


def case_extend(*, user, case: Case, reason: str) -> Case:
    """延期: the whole-case limit becomes the extended one (e.g. 30 → 45 working days), once."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "请填写延期原因"})
    with transaction.atomic():
        case, _task = _case_locked_for(user, case, "延期")
        spec = case.spec
        if case.extended:
            raise Refused("办件已延期过一次，不能再次延期")
        if not spec.extended_days or case.accepted_on is None:
            raise Refused("该事项不能延期，或办件尚未受理")
        case.extended = True
        case.due_date = add_working_days(case.accepted_on, spec.extended_days + case.suspended_days)
        status = _status_write(case, user, action="extend", action_name="延期", source=case.step, target=case.step,
                               opinion=reason.strip(), data={"due_date": case.due_date.isoformat()})  # fmt: skip
        case.status = status
        case.save(update_fields=["extended", "due_date", "status"])
        audit_record(action="extend", object_type="cases.case", object_id=case.number, region_code=case.region_code,
                     summary=f"{case.number} 延期至 {case.due_date:%Y-%m-%d}：{reason.strip()[:100]}")  # fmt: skip
    return case


# ---------------------------------------------------------------- public notice


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜: enough for neighbours to recognise, no more."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _notice_post(case: Case, step: StepDef, day: dt.date) -> PublicNotice:
    """Post the 公示 in the applicant's village/community for ``notice_days`` calendar days counted
    from the day after posting (审核确认办法 第十八条)."""
    spec = case.spec
    persons = case.data.get("persons")  # who the decision covers, when the business line says so
    if persons is None:
        persons = case.household.memberships.filter(valid_to__isnull=True).count() if case.household else 1
    content = {
        "type": spec.name,
        "name": mask_name(case.applicant.name if case.applicant else ""),
        "persons": persons,
    }
    if spec.notice.show_amount and case.data.get("amount") is not None:
        content["amount"] = case.data["amount"]
    return PublicNotice.objects.create(
        case=case, region_code=case.region_code, title=spec.notice.title.format(type=spec.name),
        content=content, posted_on=day, start_date=add_calendar_days(day, 1),
        end_date=add_calendar_days(day, step.notice_days),
    )  # fmt: skip


def objection_file(*, notice: PublicNotice, content: str, name: str = "", phone: str = "", channel: str = "window",
                   on: dt.date | None = None) -> Objection:  # fmt: skip
    """Record an objection to a notice while it is showing; the case cannot leave the notice step
    until the objection is resolved by a fresh investigation or a deliberation."""
    day = on or today()
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": "请填写异议内容"})
    if len(content) > 2000:
        raise ValidationError({"content": "异议内容不超过 2000 字"})
    if notice.state != NoticeState.OPEN or not (notice.posted_on <= day <= notice.end_date):
        raise Refused("该公示不在公示期内，不能再提出异议")
    digits = "".join(ch for ch in phone if is_digits(ch))
    if phone and len(digits) != 11:
        raise ValidationError({"phone": "手机号码应为 11 位数字"})
    obj = Objection.objects.create(
        notice=notice, content=content, name=name.strip()[:50], channel=channel, filed_at=timezone.now(),
        phone_masked=f"{digits[:3]}****{digits[-4:]}" if digits else "",
    )  # fmt: skip
    audit_record(
        action="create", object_type="cases.objection", object_id=obj.pk, region_code=notice.region_code,
        summary=f"{notice.case.number} 公示收到异议",
    )  # fmt: skip
    return obj


def objections_resolve(*, case: Case, user, resolution: str) -> int:
    """Close the open objections of the case's notices with the resolution (the opinion of the
    re-investigation or deliberation that answered them)."""
    with transaction.atomic():
        open_ = Objection.objects.filter(notice__case=case, state=ObjectionState.OPEN)
        ids = list(open_.values_list("pk", flat=True))
        n = open_.update(
            state=ObjectionState.RESOLVED, resolution=resolution, resolved_at=timezone.now(),
            resolved_by=user if getattr(user, "pk", None) else None,
        )  # fmt: skip
        if n:
            audit_record(
                action="resolve", object_type="cases.objection", object_id=case.number, region_code=case.region_code,
                summary=f"{case.number} 公示异议已处理（{n} 条）", changes={"objections": ids},
            )  # fmt: skip
    return n


# ---------------------------------------------------------------- documents and notifications


_ISSUING: ContextVar[tuple[str, int | None] | None] = ContextVar("cases_issuing", default=None)


def issuing(case: Case) -> tuple[str, int | None]:
    """(document kind, status id) of the document being generated for ``case``; a builder called
    outside :func:`document_generate` belongs to the case's current status."""
    return _ISSUING.get() or ("", case.status_id)


def document_generate(*, case: Case, kind: str, status: CaseStatus | None = None, user=None):
    """Render one document of the case as PDF, keep it with the case, and return the row."""
    from minzheng.foundation.documents.render import render_pdf
    from minzheng.foundation.files.services import file_store_generated

    from .models import CaseDocument

    if kind not in hooks.DOCUMENTS:
        raise ValidationError(f"未知文书类型：{kind}")
    title, build = hooks.DOCUMENTS[kind]
    # the decision the document belongs to: the status that produced it, else the case's current one
    token = _ISSUING.set((kind, status.pk if status is not None else case.status_id))
    try:
        doc = build(case, status)
    finally:
        _ISSUING.reset(token)
    data = render_pdf(doc)
    stored = file_store_generated(user=user, data=data, name=f"{case.number}-{title}.pdf", region_code=case.region_code)
    row = CaseDocument.objects.create(case=case, kind=kind, title=title, number=doc.number, file=stored, status=status)
    audit_record(
        action="generate", object_type="cases.document", object_id=row.pk, region_code=case.region_code,
        summary=f"{case.number} 生成《{title}》",
    )  # fmt: skip
    return row


def message_values(*, case: Case, spec: Definition, step: StepDef, due: dt.date | None,
                   notice: PublicNotice | None) -> dict[str, str]:  # fmt: skip
    """What a message template may say (``NotifyDef.text``): ``{number}`` ``{type}``, ``{step}``
    the step the case is now at, ``{outcome}`` (closed cases), ``{due}`` the open step's deadline,
    ``{notice}`` the public-notice period (``12-08 至 12-14``, while the step is a 公示) — never the
    step's deadline in its place — and ``{bureau}``."""
    from django.conf import settings

    return {
        "number": case.number, "type": spec.name, "step": step.name,
        "outcome": OUTCOMES.get(case.outcome, "") if step.terminal else "",
        "due": f"{due:%Y-%m-%d}" if due else "",
        "notice": f"{notice.start_date:%m-%d} 至 {notice.end_date:%m-%d}" if notice is not None else "",
        "bureau": settings.MINZHENG_BUREAU_NAME,
    }  # fmt: skip


def message_render(text: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The message and the placeholders it used that have no value (a template naming ``{due}`` on
    a step without a deadline would read "请在  前办理"); an unknown placeholder is one of them."""
    import string

    empty = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None and not values.get(f)]
    return text.format_map(_Blank(values)), empty


class _Blank(dict):
    def __missing__(self, key):
        return ""


def message_samples(spec: Definition, *, number: str = "DB-330381-2026-000017", on: dt.date | None = None):
    """Every message of ``spec`` rendered as the engine would after its transition, with the values
    the target step gives (a deadline where the step has one, the outcome where it closes the case,
    the notice period where it is a 公示): ``(transition, notify, text, empty placeholders)``."""
    day = on or today()
    for t in spec.transitions:
        target = spec.step(t.to)
        case = Case(number=number, outcome=target.outcome)
        notice = None
        if target.notice_days:
            notice = PublicNotice(start_date=add_calendar_days(day, 1),
                                  end_date=add_calendar_days(day, target.notice_days))  # fmt: skip
        due = None
        if not target.terminal and (target.notice_days or target.legal_days or target.promised_days):
            due = add_calendar_days(day, (target.notice_days or 0) + (target.legal_days or target.promised_days or 3))
        values = message_values(case=case, spec=spec, step=target, due=due, notice=notice)
        for n in t.notify:
            text, empty = message_render(n.text, values)
            yield t, n, text, empty


def _notify(case_id: int, action: str) -> None:
    """After commit: send the messages the transition's definition asks for. A failed message never
    undoes the transition; it is recorded by the notify engine and retried there."""
    case = Case.objects.select_related("version", "applicant", "opened_by", "case_type").get(pk=case_id)
    spec = case.spec
    t = next((t for t in spec.transitions if t.action == action), None)
    if t is None:
        return
    task = case.tasks.filter(state=TaskState.OPEN).first()
    step = spec.step(case.step)
    notice = case.notices.filter(state=NoticeState.OPEN).order_by("-pk").first() if step.notice_days else None
    values = message_values(case=case, spec=spec, step=step, due=task.due_date if task else None, notice=notice)
    with transaction.atomic():  # one delivery job for all the messages of this transition
        _notify_each(case, t, task, values)


def _notify_each(case, t, task, values) -> None:
    from minzheng.foundation.notify.services import notify_many, notify_send

    for n in t.notify:
        text, empty = message_render(n.text, values)
        if empty:
            logger.warning("通知模板缺少取值 %s：%s %s", "、".join(empty), case.number, t.action)
        common = {"subject": f"{case.spec.name} {case.number}", "body": text, "related_type": "cases.case",
                  "related_id": case.number, "region_code": case.region_code}  # fmt: skip
        try:
            if n.to == "applicant" and case.applicant and case.applicant.phone:
                notify_send(channel=n.channel, phone=case.applicant.phone, **common)
            elif n.to == "opener" and case.opened_by_id:
                notify_send(channel="in_app", user=case.opened_by, **common)
            elif n.to == "next" and task is not None:
                notify_many(channel="in_app", recipients=[{"user": u} for u in _users_for(task)], **common)
        except Exception:  # a message must never break the case; the notify outbox shows failures
            logger.exception("通知发送失败：%s %s", case.number, t.action)


def _users_for(task: Task):
    from minzheng.foundation.accounts.models import User

    # a grant covers the office when its prefix is one of the office code's prefixes
    prefixes = {task.region_code[:n] for n in range(2, 13)}
    return User.objects.filter(grants__role_id=task.role, grants__prefix__in=prefixes, is_active=True).distinct()


# ---------------------------------------------------------------- materials


def material_add(*, user, case: Case, code: str, data, name: str, note: str = "", citizen_name: str = "",
                 person=None):  # fmt: skip
    """Upload one material of the case (type and size checked by the files foundation); ``person``:
    the household member whose material it is (a member's own signed 授权书), a current member.

    ``user=None``: a citizen uploading on the portal — the caller has checked that the citizen may
    act on this case (applicant, household member or registered 代办) and passes ``citizen_name``
    for the record; a staff user must hold ``cases.act`` over the case's region."""
    from minzheng.foundation.files.services import file_store

    from .models import Material

    spec = case.spec
    kind = next((m for m in spec.materials if m.code == code), None)
    if kind is None:
        raise ValidationError({"code": f"「{spec.name}」没有这种申请材料：{code}"})
    if case.closed:
        raise Refused("办件已办结，不能再上传材料")
    if user is None and not citizen_name:
        raise PermissionDenied("无权为该办件上传材料")
    if user is not None and not has_permission(user, "cases.act", case.region_code):
        raise PermissionDenied("无权为该办件上传材料")
    if person is not None and not (
        case.household_id and case.household.memberships.filter(person=person, valid_to__isnull=True).exists()
    ):
        raise ValidationError({"person": "所属成员须是该家庭的现有成员"})
    with transaction.atomic():
        stored = file_store(user=user, data=data, name=name, region_code=case.region_code)
        m = Material.objects.create(case=case, code=code, name=kind.name, file=stored, step=case.step,
                                    uploaded_by=user if getattr(user, "pk", None) else None, note=note[:200],
                                    person=person)  # fmt: skip
        audit_record(
            action="upload", object_type="cases.material", object_id=m.pk, region_code=case.region_code,
            summary=f"{case.number} 上传材料「{kind.name}」（{stored.name}）"
            + (f"，{person.name}的材料" if person is not None else "")
            + (f"，群众 {citizen_name} 网上提交" if citizen_name else ""),
        )  # fmt: skip
    return m
