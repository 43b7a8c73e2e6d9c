"""事项指南 and 我要申请: the service guide generated from the published case-type definitions, and
the step-by-step application (draft on the server → self-check → uploads → 授权书 → submit).
Views parse input, call one service of :mod:`.apply`, render."""

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
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.regions.models import Region
from minzheng.foundation.registry.models import HukouType, Relation
from minzheng.foundation.validation import Refused

from . import apply as svc
from .forms_apply import MemberForm, SignForm, StartForm, UploadForm
from .services import Throttled
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


def _where(request) -> str:
    citizen = citizen_of(request)
    region = citizen.person.region_code if citizen and citizen.person else ""
    if region:
        township = Region.objects.filter(code=region[:9].ljust(12, "0")).first()
        if township:
            return f"{township.name}{'办事处' if township.name.endswith('街道') else '人民政府'}社会救助窗口（便民服务中心）"
    return "户籍所在地或经常居住地的乡镇人民政府（街道办事处）社会救助窗口，或向村（居）民委员会求助代为提交"


def guide(request):
    roles = dict(Role.objects.values_list("code", "name"))
    items = [guide_of(ct, roles) for ct in CaseType.objects.select_related("published").filter(published__isnull=False)]
    return page(request, "portal/guide/index.html", {"items": items})


def guide_item(request, code):
    ct = CaseType.objects.select_related("published").filter(code=code, published__isnull=False).first()
    if ct is None:
        raise Http404("事项不存在")
    roles = dict(Role.objects.values_list("code", "name"))
    return page(request, "portal/guide/item.html", {"item": guide_of(ct, roles), "where": _where(request)})


# ---------------------------------------------------------------- 我要申请


def _bound_or_pointer(request):
    citizen = citizen_of(request)
    if not svc.is_bound(citizen):
        return page(request, "portal/apply/bind_first.html",
                    {"bind_url": _url("portal:account", "/portal/account/")}, status=403)  # fmt: skip
    return None


@citizen_required
def apply(request):
    if (pointer := _bound_or_pointer(request)) is not None:
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
                return redirect("portal:apply_step", pk=draft.pk, step="household")
        status = status if status != 200 else 422
    names = dict(CaseType.objects.values_list("code", "name"))
    drafts = [(d, names.get(d.case_type, d.case_type)) for d in svc.drafts_of(citizen)]
    return page(request, "portal/apply/start.html", {"form": form, "drafts": drafts,
                                                     "consents": svc.sign_requests_for(citizen)}, status=status)  # fmt: skip


def _draft_context(draft, step):
    data = svc.draft_data(draft)
    ct = CaseType.objects.get(code=draft.case_type)
    index = svc.STEP_CODES.index(step)
    return {
        "draft": draft, "data": data, "item_name": ct.name, "step": step, "steps": svc.STEPS,
        "step_index": index, "step_name": svc.STEPS[index][1],
        "next_step": svc.STEP_CODES[index + 1] if index + 1 < len(svc.STEPS) else "",
        "prev_step": svc.STEP_CODES[index - 1] if index else "",
        "members": svc.member_rows(data), "relations": dict(Relation.choices),
    }  # fmt: skip


@citizen_required
def apply_draft(request, pk):
    """继续填写: back to the step the draft was left at."""
    draft = svc.draft_get(citizen=citizen_of(request), pk=pk)
    return redirect("portal:apply_step", pk=draft.pk, step=draft.step or "household")


@citizen_required
def apply_step(request, pk, step):
    if (pointer := _bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    if step not in svc.STEP_CODES:
        raise Http404("步骤不存在")
    errors, status, extra = {}, 200, {}
    if request.method == "POST":
        try:
            if step == "household":
                action = request.POST.get("action", "next")
                if action == "add":
                    form = MemberForm(request.POST)
                    if not form.is_valid():
                        raise ValidationError({k: v for k, v in form.errors.items()})
                    svc.draft_member_add(draft=draft, **form.cleaned_data)
                    return redirect(reverse("portal:apply_step", args=[pk, step]) + "#members")
                if action.startswith("remove:"):
                    svc.draft_member_remove(draft=draft, index=int(action.split(":", 1)[1]))
                    return redirect(reverse("portal:apply_step", args=[pk, step]) + "#members")
                if action == "township":
                    data = svc.draft_data(draft)
                    data["township"] = request.POST.get("township", "")[:12]
                    data["hukou_type"] = request.POST.get("hukou_type", "")
                    data["address"] = request.POST.get("address", "")[:200]
                    svc._draft_write(draft, data)
                    return redirect(reverse("portal:apply_step", args=[pk, step]) + "#where")
                svc.draft_household_save(draft=draft, region_code=request.POST.get("village", ""),
                                         hukou_type=request.POST.get("hukou_type", ""),
                                         address=request.POST.get("address", ""))  # fmt: skip
            elif step == "income":
                svc.draft_incomes_save(draft=draft, post=request.POST)
            elif step == "property":
                svc.draft_property_save(draft=draft, post=request.POST)
            elif step in ("check", "materials", "sign"):
                nxt = svc.STEP_CODES[svc.STEP_CODES.index(step) + 1]
                draft.step = nxt
                draft.save(update_fields=["step", "updated_at"])
            return redirect("portal:apply_step", pk=pk, step=draft.step)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            status = 422
            extra["posted"] = request.POST
    ctx = _draft_context(draft, step)
    data = ctx["data"]
    if step == "household":
        extra["member_form"] = MemberForm(request.POST if request.POST.get("action") == "add" else None)
        if request.POST.get("action") == "add":
            extra["member_form"].is_valid()
            for field, msgs in errors.items():
                if field in extra["member_form"].fields:
                    extra["member_form"].errors[field] = msgs
        if not data.get("household_id"):
            county = settings_county(data)
            extra["townships"] = Region.objects.filter(level="township", code__startswith=county).order_by("code")
            township = data.get("township") or (data.get("region_code") or "")[:9].ljust(12, "0")
            extra["township"] = township
            extra["villages"] = Region.objects.filter(parent_id=township, level="village").order_by("code")
            extra["hukou_types"] = HukouType.choices
        else:
            extra["village_name"] = Region.objects.filter(code=data.get("region_code")).values_list(
                "name", flat=True).first()  # fmt: skip
    elif step == "income":
        incomes = data.get("incomes") or {}
        extra["income_rows"] = [
            (m, [(k, label, (incomes.get(str(m["index"])) or {}).get(k, "")) for k, label in svc.income_kinds(data)])
            for m in ctx["members"]
        ]
    elif step == "property":
        exp, prop = data.get("expenses") or {}, data.get("property") or {}
        extra["expense_rows"] = [(k, label, exp.get(k, "")) for k, label in svc.EXPENSE_KINDS]
        extra["property_rows"] = [(k, label, prop.get(k, "")) for k, label, _ in svc.PROPERTY_FIELDS]
    elif step == "check":
        extra["estimate"] = svc.draft_estimate(draft)
    elif step == "materials":
        materials = svc.materials_of(draft)
        extra["materials"] = materials
        extra["upload_form"] = kwargs_upload_form(request, materials, errors)
        have = {f["code"] for f in draft.files or []}
        extra["material_rows"] = [
            {"m": m, "have": m.code in have, "generated": m.code in svc.GENERATED} for m in materials
        ]
    elif step == "sign":
        extra["sign_rows"] = svc.sign_rows(citizen=citizen, draft=draft, data=data)
        extra["sign_form"] = SignForm()
    elif step == "confirm":
        extra["unsigned"] = svc.unsigned(data)
        extra["proxied"] = svc.proxied(data)
        extra["estimate"] = svc.draft_estimate(draft)
    return page(request, f"portal/apply/{step}.html", {**ctx, **extra, "errors": errors}, status=status)


def settings_county(data) -> str:
    """The county whose townships the region picker lists: the citizen's own, else the bureau's."""
    code = data.get("region_code") or data.get("township") or settings.MINZHENG_PORTAL_REGION or ""
    return code[:6] if code else ""


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
        return redirect(reverse("portal:apply_step", args=[pk, "materials"]) + "#files")
    ctx = _draft_context(draft, "materials")
    have = {f["code"] for f in draft.files or []}
    form = UploadForm(materials=materials)
    for field, msgs in errors.items():
        form.errors[field if field in form.fields else "__all__"] = msgs
    return page(request, "portal/apply/materials.html", {
        **ctx, "upload_form": form, "errors": errors, "materials": materials,
        "material_rows": [{"m": m, "have": m.code in have, "generated": m.code in svc.GENERATED} for m in materials],
    }, status=422)  # fmt: skip


@require_POST
@citizen_required
def apply_file_remove(request, pk, index):
    draft = svc.draft_get(citizen=citizen_of(request), pk=pk)
    svc.draft_file_remove(draft=draft, index=index)
    return redirect(reverse("portal:apply_step", args=[pk, "materials"]) + "#files")


def _sign_page(request, draft, index, errors, notice=""):
    citizen = citizen_of(request)
    ctx = _draft_context(draft, "sign")
    rows = svc.sign_rows(citizen=citizen, draft=draft, data=ctx["data"])
    return page(request, "portal/apply/sign.html", {**ctx, "sign_rows": rows, "sign_form": SignForm(),
                                                    "errors": errors, "error_index": index, "notice": notice},
                status=422 if errors else 200)  # fmt: skip


def _errors_of(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _signed(pk, index):
    return redirect(reverse("portal:apply_step", args=[pk, "sign"]) + f"#m{index}")


@require_POST
@citizen_required
def apply_sign(request, pk, index):
    """The signed-in citizen signs their own 授权书 (or a minor's, as guardian)."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        return _sign_page(request, draft, index, {k: list(v) for k, v in form.errors.items()})
    try:
        svc.draft_sign(citizen=citizen, draft=draft, index=index, **form.cleaned_data)
    except ValidationError as exc:
        return _sign_page(request, draft, index, _errors_of(exc))
    return _signed(pk, index)


@require_POST
@citizen_required
def apply_sign_code(request, pk, index):
    """Send the member a code to the phone the registry holds for them (shown masked)."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        masked = svc.draft_sign_code_send(citizen=citizen, draft=draft, index=index, ip=client_ip(request))
    except ValidationError as exc:
        response = _sign_page(request, draft, index, _errors_of(exc))
        if isinstance(exc, Throttled):
            response.status_code = 429
        return response
    return _sign_page(request, draft, index, {}, notice=f"验证码已发送到 {masked}，请向本人问取验证码后填写。")


@require_POST
@citizen_required
def apply_sign_confirm(request, pk, index):
    """The code the member received: their 授权书 is recorded as signed by themself."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        svc.draft_sign_code_confirm(citizen=citizen, draft=draft, index=index, code=request.POST.get("code", ""),
                                    agree=request.POST.get("agree") == "on")  # fmt: skip
    except ValidationError as exc:
        return _sign_page(request, draft, index, _errors_of(exc))
    return _signed(pk, index)


@require_POST
@citizen_required
def apply_sign_ask(request, pk, index):
    """Ask the member to confirm in their own portal account."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        svc.draft_sign_ask(citizen=citizen, draft=draft, index=index)
    except ValidationError as exc:
        return _sign_page(request, draft, index, _errors_of(exc))
    return _signed(pk, index)


@citizen_required
def consents(request):
    """待我确认的授权: requests from family members to confirm a 授权书 in this account."""
    if (pointer := _bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    if request.method == "POST":
        try:
            pk = int(request.POST.get("request", ""))
        except ValueError:
            raise Http404("没有待您确认的授权") from None
        agree = request.POST.get("answer") == "agree"
        if agree and request.POST.get("agree") != "on":
            return page(request, "portal/apply/consents.html", {
                "rows": svc.sign_requests_for(citizen), "errors": {"agree": ["请勾选“本人已阅读上述授权内容，同意授权核对”"]},
                "error_pk": pk}, status=422)  # fmt: skip
        svc.sign_request_answer(citizen=citizen, pk=pk, agree=agree)
        return page(request, "portal/apply/consents.html", {
            "rows": svc.sign_requests_for(citizen),
            "notice": "已同意授权，授权书已签署。" if agree else "已答复不同意授权，申请人将看到您的答复。"})  # fmt: skip
    return page(request, "portal/apply/consents.html", {"rows": svc.sign_requests_for(citizen)})


@require_POST
@citizen_required
def apply_sign_proxy(request, pk, index):
    """代为签署: recorded as such; the member's own paper 授权书 is due at 受理."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        svc.draft_sign_proxy(citizen=citizen, draft=draft, index=index, agree=request.POST.get("proxy") == "on")
    except ValidationError as exc:
        return _sign_page(request, draft, index, _errors_of(exc))
    return _signed(pk, index)


@require_POST
@citizen_required
def apply_submit(request, pk):
    if (pointer := _bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        case = svc.draft_submit(citizen=citizen, draft=draft)
    except (ValidationError, PermissionDenied) as exc:
        ctx = _draft_context(draft, "confirm")
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return page(request, "portal/apply/confirm.html", {
            **ctx, "refusal": messages, "unsigned": svc.unsigned(ctx["data"]), "estimate": svc.draft_estimate(draft),
            "proxied": svc.proxied(ctx["data"]),
        }, status=409 if isinstance(exc, Refused | PermissionDenied) else 422)  # fmt: skip
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
    paper = case.data.get("paper_signatures") or []
    return page(request, "portal/apply/done.html", {"case": case, "township": township or "", "paper": paper})
