"""Workbench pages of the case engine (办件): the inbox (待办), a case with its action panel,
timeline, materials, documents and public notice, opening a case at the window, case search, the
township supervision list (超期预警) and the notice board (公示).

Thin views, as in :mod:`.views`: every read goes through the engine's scoped selectors (a case of
another township is a 404), every write through one engine service. A refusal (``Refused``) comes
back as 409 with the engine's Chinese explanation on the page and nothing changed; bad input as
422 with the messages on the form's fields; a missing grant as 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from minzheng.engines.cases import hooks, selectors, services
from minzheng.engines.cases.builtin import materials_missing
from minzheng.engines.cases.definition import LEVEL_NAMES, OUTCOMES
from minzheng.engines.cases.models import (
    Case,
    CaseDocument,
    CaseType,
    CaseTypeVersion,
    Material,
    NoticeState,
    ObjectionState,
    Task,
    TaskState,
)
from minzheng.engines.cases.signatures import paper_signatures_due
from minzheng.foundation.accounts.models import Role
from minzheng.foundation.accounts.scoping import ALL, has_permission, user_prefixes
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.files.models import StoredFile
from minzheng.foundation.files.services import file_response, file_store
from minzheng.foundation.money import as_decimal, is_money_label, yuan
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_names, region_prefix
from minzheng.foundation.validation import Refused, is_digits

from ..common.errors import apply_errors
from ..common.households import household_pick
from ..common.paging import paged, query_params
from ..common.regions import township_choices
from ..common.search import hides_id_numbers
from .forms import (
    ActionForm,
    CaseNewForm,
    MaterialForm,
    ObjectionForm,
    ReasonForm,
    ResumeForm,
    region_prefix_clean,
)

INBOX_VIEWS = {"": "全部", "mine": "我认领的", "near": "临期", "overdue": "超期"}
CASE_STATES = {"": "全部", "open": "在办", "closed": "已办结"}
# what the timeline shows of an action's data: the action forms' fields and what effects added
DATA_LABELS = {"due_date": "新的办结期限"}  # with the lines' (hooks.FIELD_LABELS)


# ---------------------------------------------------------------- helpers


def _case_types() -> dict[str, str]:
    return dict(CaseType.objects.filter(published__isnull=False).order_by("sort", "code").values_list("code", "name"))


def _open_task(case: Case) -> Task | None:
    return case.tasks.filter(state=TaskState.OPEN).select_related("claimed_by").order_by("-pk").first()


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _detail_url(case: Case, anchor: str = "") -> str:
    return reverse("workbench:cases:detail", args=[case.number]) + (f"#{anchor}" if anchor else "")


def _messages_of(exc: ValidationError) -> list[str]:
    return [m for m in exc.messages if m]


# ---------------------------------------------------------------- 待办


@login_required
def inbox(request):
    """The user's open tasks, soonest deadline first (callable from ``views.home`` as the home page
    of caseworkers). Two queries on tasks: the count and the page."""
    user = request.user
    view = request.GET.get("view", "")
    view = view if view in INBOX_VIEWS else ""
    types = _case_types()
    case_type = request.GET.get("type", "")
    case_type = case_type if case_type in types else ""
    qs = selectors.inbox(
        user, mine=view == "mine", flag=view if view in ("near", "overdue") else "", case_type=case_type
    ).only(
        # the inbox never shows the applicant's encrypted columns: do not fetch (and decrypt) them
        "step_name", "due_date", "not_before", "region_code", "claimed_by", "case",
        "case__number", "case__case_type", "case__applicant", "case__suspended_since",
        "case__case_type__name", "case__applicant__name", "claimed_by__username", "claimed_by__display_name",
    )  # fmt: skip
    page = paged(request, qs)
    flags = selectors.Flags.today()
    rows = []
    for t in selectors.tasks_with_notices(page):
        noticing = bool(t.not_before and flags.today_ < t.not_before)
        rows.append({"task": t, "flag": "" if noticing else flags.of(t.due_date), "noticing": noticing})
    context = {
        "page": page,
        "rows": rows,
        "views": INBOX_VIEWS,
        "view": view,
        "types": types,
        "case_type": case_type,
        "params": query_params(request, "view", "type"),
        "warning": selectors.calendar_warning(),
        "today": flags.today_,
        "here": request.get_full_path(),
    }
    return render(request, "workbench/cases/inbox.html", context)


# ---------------------------------------------------------------- 办件


def _members(case: Case) -> list:
    """The household's current members (for 所属成员 of a material)."""
    if not case.household_id:
        return []
    rows = case.household.memberships.filter(valid_to__isnull=True).select_related("person").order_by("pk")
    return [m.person for m in rows]


def _materials_view(case: Case, spec):
    have: dict[str, list] = {}
    for m in case.materials.select_related("file", "uploaded_by").order_by("uploaded_at", "pk"):
        have.setdefault(m.code, []).append(m)
    due_now = {m.code for m in materials_missing(case)} if not case.closed else set()
    rows = []
    for m in spec.materials:
        files = have.get(m.code, [])
        rows.append(
            {
                "def": m,
                "files": files,
                "present": bool(files),
                "missing": m.required and not files,
                "due_now": m.code in due_now,
                "step_name": spec.step(m.step).name if m.step else spec.steps[0].name,
            }
        )
    return rows


def _display(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "无"
    return str(value)


def _data_labels() -> dict[str, str]:
    """Labels of what an action's data may hold: the fixed ones, then every registered form's
    field titles (a field name several forms share keeps its general label)."""
    from .forms import field_label

    out = {}
    for model in hooks.FORMS.values():
        for name, info in model.model_fields.items():
            out.setdefault(name, field_label(name, info))
    return {**out, **hooks.FIELD_LABELS, **DATA_LABELS}


def _data_items(data: dict) -> list[tuple[str, str, bool]]:
    """The data an action carried, for the timeline: (label, value, long) in the form's order."""
    from .forms import value_labels

    labels = _data_labels()
    items = []
    for key, value in (data or {}).items():
        if value is None or value == "" or key not in labels:
            continue
        names = value_labels(key)  # a line's, e.g. the classification
        value = names.get(value, value) if isinstance(value, str) else value
        label = labels[key]
        render = hooks.VALUE_TEXTS.get(key)  # a line's summary of a structured value, e.g. the facts
        if render is not None and isinstance(value, dict):
            text = render(value)
        elif is_money_label(label) and as_decimal(value) is not None:
            text = yuan(value)  # 工资性收入（元/年） 6,000.00
        else:
            text = _display(value)
        items.append((label, text, len(text) > 40))
    return items


def _detail(request, case: Case, *, forms: dict | None = None, alert: str = "", status: int = 200):
    """The case page. ``forms`` replaces unbound forms by bound ones that failed (keys
    ``act:<action>``, ``suspend``, ``resume``, ``extend``, ``material``, ``objection``); ``alert``
    is shown at the top (the refusal or the reason of a 403/422). What the user may do and the
    business line's panels come from ``selectors.case_page``, as the API's case endpoint does."""
    user = request.user
    forms = forms or {}
    spec = case.spec
    step = spec.step(case.step)
    flags = selectors.Flags.today()
    page = selectors.case_page(user, case, today=flags.today_)
    task = page.task
    names = region_names([case.region_code, case.region_code[:9].ljust(12, "0")])
    step_names = {s.code: s.name for s in spec.steps}
    noticing = task is not None and task.not_before is not None and flags.today_ < task.not_before

    actions = []
    if page.actions:
        previous = case.data.get("forms", {})
        for t in page.actions:
            form = forms.get(f"act:{t.action}")
            if form is None:
                model = hooks.FORMS.get(t.form) if t.form else None
                form = ActionForm(transition=t, model=model, initial=dict(previous.get(t.action, {})), case=case)
            actions.append(form)
        # one form unfolded: the one that failed, else the step's first primary action (none while
        # a public notice runs: nothing can be decided before it ends)
        failed = next((f for f in actions if f.is_bound), None)
        primary = next((f for f in actions if f.transition.style == "primary"), actions[0] if actions else None)
        for f in actions:
            f.expanded = f is (failed or (None if noticing else primary))

    timeline = list(selectors.case_timeline(case))
    roles = dict(Role.objects.values_list("code", "name"))
    for s in timeline:
        s.role_name = roles.get(s.actor_role, s.actor_role)
        s.from_name = step_names.get(s.from_step, s.from_step)
        s.to_name = step_names.get(s.to_step, s.to_step)
        s.data_items = _data_items(s.data)

    notices = list(case.notices.prefetch_related("objections").order_by("-pk"))
    open_notice = next(
        (n for n in notices if n.state == NoticeState.OPEN and n.posted_on <= flags.today_ <= n.end_date), None
    )
    documents = list(case.documents.select_related("file").order_by("created_at", "pk"))
    context = {
        "case": case,
        "page": page,
        "spec": spec,
        "step": step,
        "task": task,
        "actions": actions,
        "outcome": OUTCOMES.get(case.outcome, case.outcome),
        "due_flag": "" if case.closed else flags.of(case.due_date),
        "task_flag": "" if task is None or noticing else flags.of(task.due_date),
        "noticing": noticing,
        "level_name": LEVEL_NAMES.get(services.step_level(case, step), "") if not step.terminal else "",
        "region_name": names.get(case.region_code, case.region_code),
        "township_name": names.get(case.region_code[:9].ljust(12, "0"), ""),
        "timeline": timeline,
        "materials": _materials_view(case, spec),
        "material_form": forms.get("material")
        or (MaterialForm(spec=spec, members=_members(case)) if page.materials else None),
        "paper_signatures": paper_signatures_due(case) if not case.closed else [],
        "documents": documents,
        "notices": notices,
        "open_notice": open_notice,
        "objection_form": forms.get("objection") or (ObjectionForm() if open_notice and page.window else None),
        "suspend_form": forms.get("suspend") or ReasonForm(label="挂起原因", prefix="suspend"),
        "resume_form": forms.get("resume") or ResumeForm(prefix="resume"),
        "extend_form": forms.get("extend") or ReasonForm(label="延期原因", prefix="extend"),
        "alert": alert,
        "today": flags.today_,
        "objection_open": ObjectionState.OPEN,
    }
    return render(request, "workbench/cases/detail.html", context, status=status)


def _failed(request, case, exc, *, key: str = "", form=None, field_for=None):
    """Re-render the case with the error: Refused → 409, PermissionDenied → 403, ValidationError →
    422 with the messages on ``form``'s fields."""
    if isinstance(exc, Refused):
        text = "；".join(_messages_of(exc))
        if form is not None:
            form.add_error(None, text)
        return _detail(request, case, forms={key: form} if form else None, alert=text, status=409)
    if isinstance(exc, PermissionDenied):
        text = str(exc) or "您没有此项权限"
        return _detail(request, case, forms={key: form} if form else None, alert=text, status=403)
    lines = []
    if form is not None and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = field_for(name) if field_for else (name if name in form.fields else None)
            label = f"{form.fields[target].label}：" if target else ""
            for e in errors:
                for m in e.messages:
                    form.add_error(target, m)
                    lines.append(label + m)
    else:
        target = field_for("") if form is not None and field_for else None
        for m in _messages_of(exc):
            if form is not None:
                form.add_error(target, m)
            lines.append(m)
    text = "提交的内容有误，请按提示更正：" + "；".join(lines)
    return _detail(request, case, forms={key: form} if form else None, alert=text, status=422)


def _invalid(request, case, key: str, form):
    """Every error of the form, each on its input and all of them listed at the top."""
    lines = [
        (f"{form.fields[name].label}：" if name in form.fields else "") + str(m).rstrip("。")
        for name, errors in form.errors.items()
        for m in errors
    ]
    return _detail(
        request, case, forms={key: form}, alert="提交的内容有误，请按提示更正：" + "；".join(lines), status=422
    )


@login_required
def case_detail(request, number):
    return _detail(request, selectors.case_get(user=request.user, number=number))


@login_required
@require_POST
def case_act(request, number):
    """Take one transition of the case (the action panel)."""
    user = request.user
    case = selectors.case_get(user=user, number=number)
    action = request.POST.get("action", "")
    t = case.spec.transition(case.step, action)
    if t is None:  # not allowed from the current step (or stale page): the engine explains why
        try:
            services.case_act(user=user, case=case, action=action, opinion=request.POST.get(f"{action}-opinion", ""))
        except (ValidationError, PermissionDenied) as exc:
            return _failed(request, case, exc)
        return redirect(_detail_url(case))  # pragma: no cover — the engine refuses every such action
    model = hooks.FORMS.get(t.form) if t.form else None
    form = ActionForm(request.POST, request.FILES, transition=t, model=model, case=case)
    key = f"act:{t.action}"
    if not form.is_valid():
        return _invalid(request, case, key, form)
    try:
        with transaction.atomic():  # attachments are kept only if the transition is taken
            files = []
            for f in form.cleaned_data["attachments"]:
                try:
                    files.append(file_store(user=user, data=f, name=f.name, region_code=case.region_code))
                except ValidationError as exc:
                    raise ValidationError({"attachments": [f"{f.name}：{m}" for m in exc.messages]}) from exc
            case = services.case_act(
                user=user, case=case, action=t.action, opinion=form.cleaned_data["opinion"], data=form.payload(),
                attachments=files,
            )  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc, key=key, form=form, field_for=form.field_for)
    target = case.spec.step(case.step)
    text = f"已办理「{t.name}」，办件转入「{target.name}」"
    if case.closed:
        text = f"已办理「{t.name}」，办件已办结：{OUTCOMES.get(case.outcome, case.outcome)}"
    for line in getattr(case, "messages", ()):  # what the effects did, e.g. 已纳入保障：…
        text += f"；{line}"
    messages.success(request, text)
    return redirect(_detail_url(case))


@login_required
@require_POST
def case_claim(request, number):
    case = selectors.case_get(user=request.user, number=number)
    task = _open_task(case)
    try:
        if task is None:
            raise Refused("该办件没有待办，无需认领")
        services.task_claim(user=request.user, task=task)
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc)
    messages.success(request, f"已认领 {case.number}「{task.step_name}」")
    return redirect(_next_url(request, _detail_url(case)))


@login_required
@require_POST
def case_release(request, number):
    case = selectors.case_get(user=request.user, number=number)
    task = _open_task(case)
    try:
        if task is None:
            raise Refused("该办件没有待办")
        services.task_release(user=request.user, task=task)
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc)
    messages.success(request, f"已将 {case.number}「{task.step_name}」退回待办池")
    return redirect(_next_url(request, _detail_url(case)))


@login_required
@require_POST
def case_suspend(request, number):
    case = selectors.case_get(user=request.user, number=number)
    form = ReasonForm(request.POST, label="挂起原因", prefix="suspend")
    if not form.is_valid():
        return _invalid(request, case, "suspend", form)
    try:
        services.case_suspend(user=request.user, case=case, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc, key="suspend", form=form)
    messages.success(request, "办件已挂起，期限自明日起停止计算")
    return redirect(_detail_url(case))


@login_required
@require_POST
def case_resume(request, number):
    case = selectors.case_get(user=request.user, number=number)
    form = ResumeForm(request.POST, prefix="resume")
    if not form.is_valid():
        return _invalid(request, case, "resume", form)
    try:
        case = services.case_resume(user=request.user, case=case, opinion=form.cleaned_data["opinion"])
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc, key="resume", form=form)
    due = f"，办结期限 {case.due_date:%Y-%m-%d}" if case.due_date else ""
    messages.success(request, f"已恢复办理{due}")
    return redirect(_detail_url(case))


@login_required
@require_POST
def case_extend(request, number):
    case = selectors.case_get(user=request.user, number=number)
    form = ReasonForm(request.POST, label="延期原因", prefix="extend")
    if not form.is_valid():
        return _invalid(request, case, "extend", form)
    try:
        case = services.case_extend(user=request.user, case=case, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc, key="extend", form=form)
    messages.success(request, f"已延期，办结期限改为 {case.due_date:%Y-%m-%d}")
    return redirect(_detail_url(case))


@login_required
@require_POST
def case_material(request, number):
    """Upload one material (申请材料); the files foundation checks its type and size."""
    case = selectors.case_get(user=request.user, number=number)
    members = _members(case)
    form = MaterialForm(request.POST, request.FILES, spec=case.spec, members=members)
    if not form.is_valid():
        return _invalid(request, case, "material", form)
    upload = form.cleaned_data["file"]
    try:
        m = services.material_add(
            user=request.user, case=case, code=form.cleaned_data["code"], data=upload, name=upload.name,
            note=form.cleaned_data["note"], person=next((p for p in members if p.pk == form.cleaned_data["person"]), None),
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        on_file = lambda name: name if name in form.fields else "file"  # noqa: E731 — file errors come without a key
        return _failed(request, case, exc, key="material", form=form, field_for=on_file)
    messages.success(request, f"已上传「{m.name}」")
    return redirect(_detail_url(case, "materials"))


@login_required
@require_POST
def case_document(request, number, kind):
    """Print (generate) one document of the current step and keep it with the case."""
    user = request.user
    case = selectors.case_get(user=user, number=number)
    task = _open_task(case)
    try:
        if task is None or not services.acting_roles(user, task):
            raise PermissionDenied("只有当前环节的经办人可以打印文书")
        if kind not in case.spec.step(case.step).documents or kind not in hooks.DOCUMENTS:
            raise Refused(f"办件当前在「{case.spec.step(case.step).name}」环节，不能打印该文书")
        doc = services.document_generate(case=case, kind=kind, user=user)
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc)
    messages.success(request, f"已生成《{doc.title}》，请在文书列表中下载打印")
    return redirect(_detail_url(case, "documents"))


def _download(case: Case, stored: StoredFile, *, object_type: str, object_id, what: str):
    audit_record(
        action="read", object_type=object_type, object_id=object_id, region_code=case.region_code,
        summary=f"{case.number} 下载{what}",
    )  # fmt: skip
    try:
        return file_response(stored)
    except FileNotFoundError:
        return HttpResponse("文件已丢失，请联系系统管理员", status=410, content_type="text/plain; charset=utf-8")


@login_required
def document_download(request, number, pk):
    case = selectors.case_get(user=request.user, number=number)
    doc = get_object_or_404(CaseDocument.objects.select_related("file"), pk=pk, case=case)
    return _download(case, doc.file, object_type="cases.document", object_id=doc.pk, what=f"《{doc.title}》")


@login_required
def case_file(request, number, pk):
    """A material or an attachment of the timeline, only through a case it belongs to."""
    case = selectors.case_get(user=request.user, number=number)
    material = Material.objects.select_related("file").filter(case=case, file_id=pk).first()
    if material is not None:
        return _download(case, material.file, object_type="cases.material", object_id=material.pk,
                         what=f"材料「{material.name}」")  # fmt: skip
    stored = StoredFile.objects.filter(pk=pk, pk__in=case.history.values("attachments")).first()
    if stored is None:
        raise Http404("找不到该文件")
    return _download(case, stored, object_type="files.storedfile", object_id=stored.pk, what=f"附件 {stored.name}")


@login_required
@require_POST
def case_objection(request, number):
    """Record an objection to the case's notice received at the window (or by phone)."""
    case = selectors.case_get(user=request.user, number=number)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, "objection", form)
    try:
        if not has_permission(request.user, "cases.act", case.region_code):
            raise PermissionDenied("无权为该办件登记异议")
        notice = case.notices.filter(state=NoticeState.OPEN).order_by("-pk").first()
        if notice is None:
            raise Refused("该办件没有正在公示的公示，不能登记异议")
        services.objection_file(notice=notice, channel="window", **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, case, exc, key="objection", form=form)
    messages.success(request, "已登记异议；异议处理前，办件不能离开公示环节")
    return redirect(_detail_url(case, "notice"))


# ---------------------------------------------------------------- 新建申请


@hides_id_numbers
def case_new(request):
    """Window registration of an application: find the household, pick the case type and the
    applicant among its members, then ``case_open``."""
    user = request.user
    if not has_permission(user, "cases.open"):
        raise PermissionDenied("您没有受理申请的权限")
    household, q, results = household_pick(request, user)
    form, status = None, 200
    if household is not None:
        initial = {"case_type": request.GET.get("type", "")}
        form = CaseNewForm(request.POST or None, household=household, initial=initial)
        if request.method == "POST":
            if form.is_valid():
                d = form.cleaned_data
                try:
                    case = services.case_open(
                        user=user, case_type=d["case_type"].code, region_code=household.region_code,
                        household=household, applicant=form.members[d["applicant"]], channel=d["channel"],
                        opinion=d["opinion"],
                    )  # fmt: skip
                except Refused as exc:
                    form.add_error(None, "；".join(_messages_of(exc)))
                    status = 409
                except ValidationError as exc:
                    apply_errors(form, exc)
                    status = 422
                except PermissionDenied as exc:
                    form.add_error(None, str(exc) or "您没有此项权限")
                    status = 403
                else:
                    messages.success(request, f"已登记申请 {case.number}（{case.case_type.name}），请核对材料后受理")
                    return redirect(_detail_url(case))
            else:
                status = 422
    elif request.method == "POST":
        raise Http404("请先选择家庭")
    context = {
        "household": household,
        "names": region_names([household.region_code]) if household else {},
        "q": q,
        "results": results,
        "form": form,
    }
    return render(request, "workbench/cases/new.html", context, status=status)


# ---------------------------------------------------------------- 办件查询


@login_required
def case_list(request):
    user = request.user
    if not has_permission(user, "cases.view"):
        raise PermissionDenied("您没有查看办件的权限")
    types = _case_types()
    townships = township_choices(user, "cases.view")
    q = request.GET.get("q", "").strip()[:50]
    case_type = request.GET.get("type", "")
    case_type = case_type if case_type in types else ""
    state = request.GET.get("state", "")
    state = state if state in CASE_STATES else ""
    region = region_prefix_clean(request.GET.get("region", ""))
    qs = selectors.case_search(
        user, q=q, case_type=case_type, state=state, region=region_prefix(region) if region else ""
    ).only(
        "number", "case_type", "version", "applicant", "region_code", "step", "outcome", "opened_at", "due_date",
        "closed_at", "suspended_since", "case_type__name", "applicant__name",
    )  # fmt: skip
    page = paged(request, qs)
    cases = list(page)
    versions = {v.pk: v for v in CaseTypeVersion.objects.filter(pk__in={c.version_id for c in cases})}
    names = region_names(c.region_code for c in cases)
    flags = selectors.Flags.today()
    rows = []
    for c in cases:
        spec = versions[c.version_id].spec
        rows.append(
            {
                "case": c,
                "step_name": spec.step(c.step).name,
                "outcome": OUTCOMES.get(c.outcome, ""),
                "flag": "" if c.closed_at else flags.of(c.due_date),
                "region_name": names.get(c.region_code, c.region_code),
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "types": types,
        "states": CASE_STATES,
        "townships": townships,
        "q": q,
        "case_type": case_type,
        "state": state,
        "region": region,
        "params": query_params(request, "q", "type", "state", "region"),
        "can_open": has_permission(user, "cases.open"),
    }
    return render(request, "workbench/cases/list.html", context)


# ---------------------------------------------------------------- 督办


@login_required
def supervision(request):
    """Open, near and overdue tasks per township office; ``?office=<9 digits>`` lists the overdue
    (or, with ``flag=near``, the near) tasks of one."""
    user = request.user
    if not has_permission(user, "cases.supervise"):
        raise PermissionDenied("您没有督办权限")
    rows, flags = selectors.supervision(user)
    names = region_names(r["office"].ljust(12, "0") for r in rows)
    for r in rows:
        r["name"] = names.get(r["office"].ljust(12, "0"), r["office"])
    totals = {k: sum(r[k] for r in rows) for k in ("open", "near", "overdue")}
    office = request.GET.get("office", "")
    office = office if is_digits(office) and len(office) == 9 else ""
    flag = "near" if request.GET.get("flag") == "near" else "overdue"
    tasks, office_name = None, ""
    if office:
        prefixes = user_prefixes(user, "cases.supervise")
        qs = Task.objects.filter(state=TaskState.OPEN).filter(prefix_q("region_code", [office]))
        if prefixes is not ALL:
            qs = qs.filter(prefix_q("region_code", prefixes))
        if flag == "near":
            qs = qs.filter(due_date__gte=flags.today_, due_date__lte=flags.warn_until)
        else:
            qs = qs.filter(due_date__lt=flags.today_)
        tasks = list(
            qs.select_related("case", "case__case_type", "case__applicant", "claimed_by")
            .only(
                "step_name", "due_date", "created_at", "region_code", "claimed_by", "case", "case__number",
                "case__case_type", "case__applicant", "case__case_type__name", "case__applicant__name",
                "claimed_by__username", "claimed_by__display_name",
            )
            .order_by("due_date", "pk")[:500]
        )  # fmt: skip
        for t in tasks:
            t.days_over = (flags.today_ - t.due_date).days if t.due_date else 0
        office_name = region_names([office.ljust(12, "0")]).get(office.ljust(12, "0"), office)
    context = {
        "rows": rows,
        "totals": totals,
        "office": office,
        "office_name": office_name,
        "flag": flag,
        "tasks": tasks,
        "today": flags.today_,
        "warn_until": flags.warn_until,
    }
    return render(request, "workbench/cases/supervision.html", context)


# ---------------------------------------------------------------- 公示


@login_required
def notices(request):
    """Notices showing today in the user's regions, as the public sees them (names masked)."""
    user = request.user
    prefixes = user_prefixes(user, "cases.view")
    if prefixes is not ALL and not prefixes:
        raise PermissionDenied("您没有查看办件的权限")
    townships = township_choices(user, "cases.view")
    region = region_prefix_clean(request.GET.get("region", ""))
    if region:
        wanted = region_prefix(region)
        inside = prefixes is ALL or any(wanted.startswith(p) for p in prefixes)
        # outside the user's regions: an empty board, never a hint at what shows there
        qs = selectors.notices_showing(region_prefix=wanted) if inside else None
    elif prefixes is ALL:
        qs = selectors.notices_showing(region_prefix="")
    else:
        qs = None
        for p in prefixes:
            part = selectors.notices_showing(region_prefix=p)
            qs = part if qs is None else qs | part
    page = paged(request, qs.select_related("case") if qs is not None else [])
    names = region_names(n.region_code for n in page)
    rows = [{"notice": n, "region_name": names.get(n.region_code, n.region_code)} for n in page]
    context = {
        "page": page,
        "rows": rows,
        "townships": townships,
        "region": region,
        "params": query_params(request, "region"),
    }
    return render(request, "workbench/cases/notices.html", context)
