"""事项指南 and 我要申请: the service guide generated from the published case-type definitions, and
the step-by-step application of any item: the steps are the item's application plugin's
(:mod:`.applications`); these views start the draft, route each step to the plugin, handle the
portal's own upload step, submit and show the result. Views parse input, call one service of
:mod:`.apply` or the plugin, render."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from minzheng.engines.cases.definition import LEVEL_NAMES, OUTCOMES
from minzheng.engines.cases.models import Case, CaseType
from minzheng.foundation.accounts.models import Role
from minzheng.foundation.regions.models import Region
from minzheng.foundation.validation import Refused

from . import apply as svc
from .applications import APPLICATIONS, MATERIALS
from .forms_apply import StartForm, UploadForm
from .session import citizen_of, citizen_required

DAY_TYPES = {"working": "个工作日", "calendar": "日（自然日）"}


def page(request, template, context=None, status=200):
    """Render with what every portal page needs (bureau name, large-text mode)."""
    citizen = citizen_of(request)
    ctx = {"bureau_name": settings.MINZHENG_BUREAU_NAME, "large_text": bool(citizen and citizen.large_text),
           "citizen": citizen, **(context or {})}  # fmt: skip
    return render(request, template, ctx, status=status)


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # the account pages are another module's; until they exist
        return fallback


# ---------------------------------------------------------------- 事项指南


def _days(n, day_type) -> str:
    return f"{n} {DAY_TYPES[day_type]}" if n else ""


def guide_of(ct: CaseType, roles: dict[str, str]) -> dict:
    """What the guide says about one item, read from its published definition only."""
    spec = ct.published.spec
    steps = []
    for s in spec.steps:
        if s.terminal:
            continue
        limits = []
        if s.notice_days:
            limits.append(f"公示 {s.notice_days} 日（自然日，自公示次日起算）")
        if s.legal_days:
            limits.append(f"法定时限 {_days(s.legal_days, s.day_type)}")
        if s.promised_days and not s.notice_days:
            limits.append(f"承诺时限 {_days(s.promised_days, s.day_type)}")
        if limits and s.basis:
            limits[-1] += f"（{s.basis}）"
        who = f"{LEVEL_NAMES[s.level]}{roles.get(s.role, '')}"
        if s.delegable:
            who += "（委托乡镇审核确认的地区由乡镇办理）"
        steps.append({"name": s.name, "who": who, "limits": "；".join(limits) or "—"})
    total = []
    if spec.legal_days:
        total.append(f"自受理之日起 {_days(spec.legal_days, spec.day_type)}内办结")
    if spec.delegated_days:
        total.append(f"委托乡镇审核确认的 {_days(spec.delegated_days, spec.day_type)}")
    if spec.extended_days:
        total.append(f"情况特殊的可延长至 {_days(spec.extended_days, spec.day_type)}")
    if total and spec.basis:
        total[-1] += f"（{spec.basis}）"
    outcomes = [OUTCOMES[s.outcome] for s in spec.steps if s.terminal]
    return {
        "code": ct.code, "name": spec.name, "category": spec.category, "online": spec.online,
        "conditions": spec.conditions, "version": ct.published.version,
        "materials": [{"name": m.name, "required": m.required, "note": m.note} for m in spec.materials],
        "steps": steps, "total": "；".join(total) or "按各环节时限办理", "outcomes": outcomes,
        "apply": any(c.code == ct.code for c in svc.online_types()),
    }  # fmt: skip


def _where(request, category: str) -> str:
    citizen = citizen_of(request)
    region = citizen.person.region_code if citizen and citizen.person else ""
    window = f"{category}窗口" if category else "办事窗口"  # e.g. 社会救助窗口, from the item's category
    if region:
        township = Region.objects.filter(code=region[:9].ljust(12, "0")).first()
        if township:
            return (
                f"{township.name}{'办事处' if township.name.endswith('街道') else '人民政府'}{window}（便民服务中心）"
            )
    return f"户籍所在地或经常居住地的乡镇人民政府（街道办事处）{window}，或向村（居）民委员会求助代为提交"


def guide(request):
    roles = dict(Role.objects.values_list("code", "name"))
    items = [guide_of(ct, roles) for ct in CaseType.objects.select_related("published").filter(published__isnull=False)]
    return page(request, "portal/guide/index.html", {"items": items})


def guide_item(request, code):
    ct = CaseType.objects.select_related("published").filter(code=code, published__isnull=False).first()
    if ct is None:
        raise Http404("事项不存在")
    roles = dict(Role.objects.values_list("code", "name"))
    return page(request, "portal/guide/item.html", {"item": guide_of(ct, roles), "where": _where(request, ct.category)})


# ---------------------------------------------------------------- 我要申请


def bound_or_pointer(request):
    citizen = citizen_of(request)
    if not svc.is_bound(citizen):
        return page(request, "portal/apply/bind_first.html",
                    {"bind_url": _url("portal:account", "/portal/account/")}, status=403)  # fmt: skip
    return None


@citizen_required
def apply(request):
    if (pointer := bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    items, choices = svc.online_types(), svc.acting_choices(citizen)
    form = StartForm(request.POST or None, items=items, choices=choices, initial={"case_type": request.GET.get("item")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                draft = svc.draft_start(citizen=citizen, case_type=form.cleaned_data["case_type"],
                                        choice=form.cleaned_data["choice"])  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc.messages)
                status = 409 if isinstance(exc, Refused) else 422
            else:
                return redirect("portal:apply_step", pk=draft.pk, step=draft.step)
        status = status if status != 200 else 422
    names = dict(CaseType.objects.values_list("code", "name"))
    drafts = [(d, names.get(d.case_type, d.case_type)) for d in svc.drafts_of(citizen)]
    notices = [n for plugin in APPLICATIONS.values() for n in plugin.notices(citizen)]
    return page(request, "portal/apply/start.html", {"form": form, "drafts": drafts, "notices": notices},
                status=status)  # fmt: skip


def draft_context(draft, step, plugin) -> dict:
    """What every step page shows: the item, the step bar, the neighbouring steps."""
    data = svc.draft_data(draft)
    ct = svc.draft_case_type(draft)
    steps = plugin.steps
    index = [s.code for s in steps].index(step)
    return {
        "draft": draft, "data": data, "item_name": ct.name, "step": step,
        "steps": [(s.code, s.name) for s in steps], "step_index": index, "step_name": steps[index].name,
        "next_step": steps[index + 1].code if index + 1 < len(steps) else "",
        "next_step_name": steps[index + 1].name if index + 1 < len(steps) else "",
        "prev_step": steps[index - 1].code if index else "",
    }  # fmt: skip


def step_page(request, draft, step, *, errors=None, extra=None, status=None, upload_errors=None):
    """Render a step of the draft's plugin: the portal's context, the upload step's own, the
    plugin's, then ``extra``; 422 when there are errors unless ``status`` says otherwise."""
    citizen = citizen_of(request)
    plugin = svc.plugin_of(svc.draft_case_type(draft))
    errors = errors or {}
    ctx = draft_context(draft, step, plugin)
    if step == MATERIALS.code:
        ctx.update(_materials_context(request, draft, plugin, errors, upload_errors))
    ctx.update(plugin.context(request, citizen=citizen, draft=draft, data=ctx["data"], step=step, errors=errors))
    ctx.update(extra or {})
    template = plugin.step(step).template or "portal/apply/form_step.html"
    if status is None:
        status = 422 if errors or upload_errors else 200
    return page(request, template, {**ctx, "errors": errors}, status=status)


@citizen_required
def apply_draft(request, pk):
    """继续填写: back to the step the draft was left at."""
    draft = svc.draft_get(citizen=citizen_of(request), pk=pk)
    plugin = svc.plugin_of(svc.draft_case_type(draft))
    return redirect("portal:apply_step", pk=draft.pk, step=draft.step or plugin.steps[0].code)


@citizen_required
def apply_step(request, pk, step):
    if (pointer := bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    plugin = svc.plugin_of(svc.draft_case_type(draft))
    if plugin.step(step) is None:
        raise Http404("步骤不存在")
    errors, extra = {}, {}
    if request.method == "POST":
        try:
            response = None if step == MATERIALS.code else plugin.post(request, citizen=citizen, draft=draft, step=step)
            if response is not None:
                return response
            svc.draft_advance(draft=draft, plugin=plugin, step=step)
            return redirect("portal:apply_step", pk=pk, step=draft.step)
        except ValidationError as exc:
            errors = errors_of(exc)
            extra["posted"] = request.POST
    return step_page(request, draft, step, errors=errors, extra=extra)


def _materials_context(request, draft, plugin, errors, upload_errors=None) -> dict:
    materials = svc.materials_of(draft)
    have = {f["code"] for f in draft.files or []}
    if upload_errors is not None:
        form = UploadForm(materials=materials)
        for field, msgs in upload_errors.items():
            form.errors[field if field in form.fields else "__all__"] = msgs
    else:
        form = kwargs_upload_form(request, materials, errors)
    return {
        "materials": materials, "upload_form": form,
        "material_rows": [{"m": m, "have": m.code in have, "generated": m.code in plugin.generated} for m in materials],
    }  # fmt: skip


def kwargs_upload_form(request, materials, errors):
    form = UploadForm(materials=materials)
    if errors and request.POST.get("action") == "upload":
        form = UploadForm(request.POST, request.FILES, materials=materials)
        form.is_valid()
        for field, msgs in errors.items():
            form.errors[field if field in form.fields else "__all__"] = msgs
    return form


@require_POST
@citizen_required
def apply_upload(request, pk):
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    materials = svc.materials_of(draft)
    form = UploadForm(request.POST, request.FILES, materials=materials)
    errors = {}
    if form.is_valid():
        try:
            svc.draft_file_add(draft=draft, code=form.cleaned_data["code"], upload=form.cleaned_data["file"])
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
    else:
        errors = {k: list(v) for k, v in form.errors.items()}
    if not errors:
        return redirect(reverse("portal:apply_step", args=[pk, MATERIALS.code]) + "#files")
    return step_page(request, draft, MATERIALS.code, errors=errors, upload_errors=errors, status=422)


@require_POST
@citizen_required
def apply_file_remove(request, pk, index):
    draft = svc.draft_get(citizen=citizen_of(request), pk=pk)
    svc.draft_file_remove(draft=draft, index=index)
    return redirect(reverse("portal:apply_step", args=[pk, MATERIALS.code]) + "#files")


def errors_of(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@require_POST
@citizen_required
def apply_submit(request, pk):
    if (pointer := bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        case = svc.draft_submit(citizen=citizen, draft=draft)
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        last = svc.plugin_of(svc.draft_case_type(draft)).steps[-1].code
        return step_page(request, draft, last, extra={"refusal": messages},
                         status=409 if isinstance(exc, Refused | PermissionDenied) else 422)  # fmt: skip
    return redirect("portal:apply_done", number=case.number)


@require_POST
@citizen_required
def apply_discard(request, pk):
    draft = svc.draft_get(citizen=citizen_of(request), pk=pk)
    svc.draft_discard(draft=draft)
    return redirect("portal:apply")


@citizen_required
def apply_done(request, number):
    citizen = citizen_of(request)
    case = Case.objects.select_related("case_type").filter(number=number, portal_submission__citizen=citizen).first()
    if case is None:
        raise Http404("办件不存在")
    township = Region.objects.filter(code=case.region_code[:9].ljust(12, "0")).values_list("name", flat=True).first()
    plugin = svc.APPLICATIONS.get(case.spec.application)
    extra = {"done_template": plugin.done_template, **plugin.done_context(case)} if plugin else {}
    return page(request, "portal/apply/done.html", {"case": case, "township": township or "", **extra})
