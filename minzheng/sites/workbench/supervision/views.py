"""Workbench pages of the supervision engine: regulated entities with filters, an entity's page
(attributes, status history, filings and licences, inspections, hazards), the inspection form
usable on a phone (item by item, photos, signatures), the printable 检查记录, the hazard ledger
with its Excel export, and a hazard's page with the rectification and re-inspection forms.

Generic: names no business line; what a kind is comes from the engine's registry (``kinds.KINDS``).
Thin views: reads through the engine's scoped selectors (another township's object is a 404 before
any permission is checked), writes through one service each; bad input 422, a refusal 403.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.supervision import selectors, services
from minzheng.engines.supervision.kinds import KINDS
from minzheng.engines.supervision.models import (
    HazardLevel,
    HazardState,
    InspectionState,
    Outcome,
    Purpose,
    StatusChange,
    SupervisionStatus,
    TemplateItem,
)
from minzheng.engines.supervision.records import inspection_pdf
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.regions.selectors import region_names

from ..common.errors import apply_errors
from ..common.paging import EXPORT_LIMIT, XLSX, paged, query_params
from ..common.permissions import require
from ..common.regions import township_choices
from .forms import AttributesForm, StatusForm

VIEW = "supervision.view"
HAZARD_STATES = {"unclosed": "未销号", **dict(HazardState.choices), "all": "全部"}


def _kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return kind.label if kind else code


# ---------------------------------------------------------------- 监管对象


@login_required
def entity_list(request):
    user = request.user
    require(user, VIEW)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    status = request.GET.get("status", "")
    status = status if status in SupervisionStatus.values else ""
    townships = township_choices(user, VIEW)
    region = request.GET.get("region", "")
    region = region if region in dict(townships) else ""
    q = (request.GET.get("q") or "").strip()[:50]
    qs = selectors.supervised_for(user, kind=kind, status=status, region=region[:9] if region else "", q=q)
    page = paged(request, qs)
    names = region_names({s.entity.region_code for s in page})
    rows = [{"s": s, "kind": _kind_label(s.kind), "place": names.get(s.entity.region_code, "")} for s in page]
    context = {
        "page": page, "rows": rows, "kinds": {c: k.label for c, k in KINDS.items()}, "kind": kind,
        "statuses": dict(SupervisionStatus.choices), "status": status, "townships": townships, "region": region,
        "q": q, "params": query_params(request, "kind", "status", "region", "q"),
    }  # fmt: skip
    return render(request, "workbench/supervision/entities.html", context)


class StartForm(forms.Form):
    purpose = forms.ChoiceField(label="检查类型", choices=Purpose.choices)


@login_required
def entity_detail(request, pk, start_form=None, status_form=None, status=200):
    user = request.user
    s = selectors.supervised_get(user, pk)
    region = s.entity.region_code
    today = timezone.localdate()
    declared = {a.code: a for a in KINDS[s.kind].attributes} if s.kind in KINDS else {}
    context = {
        "s": s, "entity": s.entity, "kind": _kind_label(s.kind), "place": region_names([region]).get(region, region),
        "attributes": [(a, a.display(v)) for a, v, _row in selectors.attributes_current(s)],
        "history": [
            (r, declared[r.code].label, declared[r.code].display(r.value)) if r.code in declared else (r, r.code, r.value)
            for r in selectors.attribute_history(s).exclude(superseded_at__isnull=True)
        ],
        "statuses": StatusChange.objects.filter(supervised=s).select_related("actor").order_by("at", "pk"),
        "permits": s.permits.order_by("issued_on", "pk"),
        "inspections": selectors.inspections_for(user, supervised=s)[:50],
        "hazards": selectors.hazard_ledger(user, supervised=s, state="unclosed")[:100],
        "today": today, "can_inspect": has_permission(user, "supervision.inspect", region)
        and s.status != SupervisionStatus.CLOSED,
        "start_form": start_form or StartForm(),
        "can_manage": has_permission(user, "supervision.manage", region) and s.status != SupervisionStatus.CLOSED,
        "status_form": status_form or StatusForm(),
    }  # fmt: skip
    return render(request, "workbench/supervision/entity.html", context, status=status)


@login_required
@require_POST
def inspection_new(request, pk):
    s = selectors.supervised_get(request.user, pk)
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            inspection = services.inspection_start(
                user=request.user, supervised=s, purpose=form.cleaned_data["purpose"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("workbench:supervision:inspection", pk=inspection.pk)
    return entity_detail(request, pk, start_form=form, status=422)


@login_required
def entity_attributes(request, pk):
    """The kind's declared attributes as a form; a change keeps the values before as history."""
    s = selectors.supervised_get(request.user, pk)
    if s.kind not in KINDS:
        raise PermissionDenied("该监管对象的类别已不再声明，属性不能修改")
    current = {a.code: v for a, v, _row in selectors.attributes_current(s)}
    form = AttributesForm(request.POST or None, kind=KINDS[s.kind], current=current)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                changes = services.attributes_set(
                    user=request.user, supervised=s, values=form.values(), reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已变更 {len(changes)} 项属性" if changes else "没有变更")
                return redirect("workbench:supervision:entity", pk=s.pk)
    elif not has_permission(request.user, "supervision.manage", s.entity.region_code):
        raise PermissionDenied("您没有变更监管对象的权限")
    context = {"s": s, "entity": s.entity, "kind": _kind_label(s.kind), "form": form}
    return render(request, "workbench/supervision/attributes.html", context, status=status)


@login_required
@require_POST
def entity_status(request, pk):
    s = selectors.supervised_get(request.user, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.supervised_status_set(
                user=request.user, supervised=s, status=d["status"], reason=d["reason"], effective_on=d["effective_on"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"监管状态已变为「{SupervisionStatus(d['status']).label}」")
            return redirect("workbench:supervision:entity", pk=s.pk)
    return entity_detail(request, pk, status_form=form, status=422)


# ---------------------------------------------------------------- 检查


class CompleteForm(forms.Form):
    conclusion = forms.CharField(label="检查结论", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    inspector_signature = forms.FileField(label="检查人员签名", help_text="签名图片（JPG 或 PNG），可用手机拍摄")
    representative_name = forms.CharField(label="被检查单位签字人", required=False, max_length=50)
    representative_signature = forms.FileField(label="被检查单位签名", required=False, help_text="签名图片")
    representative_refused = forms.CharField(
        label="拒绝签字的情况", required=False, max_length=200, help_text="被检查单位拒绝签字时填写"
    )


def _items(inspection):
    results = {r.item_id: r for r in inspection.results.prefetch_related("photos")}
    sections: list[dict] = []
    for item in TemplateItem.objects.filter(section__template=inspection.template).select_related("section"):
        if not sections or sections[-1]["section"].pk != item.section_id:
            sections.append({"section": item.section, "items": []})
        sections[-1]["items"].append({"item": item, "result": results.get(item.pk)})
    return sections, len(results)


def _inspection_page(request, inspection, *, errors=None, complete_form=None, status=200):
    sections, recorded = _items(inspection)
    total = sum(len(s["items"]) for s in sections)
    may_record = inspection.state == InspectionState.DRAFT and has_permission(
        request.user, "supervision.inspect", inspection.region_code
    )
    context = {
        "inspection": inspection, "s": inspection.supervised, "entity": inspection.supervised.entity,
        "kind": _kind_label(inspection.supervised.kind), "sections": sections, "recorded": recorded, "total": total,
        "outcomes": Outcome.choices, "errors": errors or {}, "may_record": may_record,
        "complete_form": complete_form or CompleteForm(), "hazards": inspection.hazards.order_by("pk"),
    }  # fmt: skip
    return render(request, "workbench/supervision/inspection.html", context, status=status)


@login_required
def inspection_form(request, pk):
    """GET: the inspection item by item; POST: save the results given (each item's outcome, note and
    photos) — items left unanswered stay as they were."""
    inspection = selectors.inspection_get(request.user, pk)
    if request.method != "POST":
        return _inspection_page(request, inspection)
    errors: dict[int, str] = {}
    saved = 0
    items = TemplateItem.objects.filter(section__template=inspection.template)
    try:
        with transaction.atomic():
            for item in items:
                outcome = request.POST.get(f"outcome_{item.pk}", "")
                if not outcome:
                    continue
                photos = []
                for upload in request.FILES.getlist(f"photo_{item.pk}")[: services.PHOTOS_MAX]:
                    photos.append(
                        services.photo_store(
                            user=request.user, data=upload, name=upload.name, region_code=inspection.region_code
                        )
                    )
                try:
                    services.inspection_result_set(
                        user=request.user, inspection=inspection, item=item, outcome=outcome,
                        note=request.POST.get(f"note_{item.pk}", ""), photos=photos,
                    )  # fmt: skip
                    saved += 1
                except ValidationError as exc:
                    errors[item.pk] = "；".join(exc.messages)
            if errors:
                raise _Rollback
    except _Rollback:
        return _inspection_page(request, selectors.inspection_get(request.user, pk), errors=errors, status=422)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return _inspection_page(request, selectors.inspection_get(request.user, pk), status=422)
    messages.success(request, f"已保存 {saved} 项检查结果")
    return redirect("workbench:supervision:inspection", pk=inspection.pk)


class _Rollback(Exception):
    pass


@login_required
@require_POST
def inspection_complete(request, pk):
    inspection = selectors.inspection_get(request.user, pk)
    form = CompleteForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                region = inspection.region_code
                sig = services.photo_store(user=request.user, data=d["inspector_signature"],
                                           name=d["inspector_signature"].name, region_code=region)  # fmt: skip
                rep = None
                if d["representative_signature"]:
                    rep = services.photo_store(user=request.user, data=d["representative_signature"],
                                               name=d["representative_signature"].name, region_code=region)  # fmt: skip
                inspection = services.inspection_complete(
                    user=request.user, inspection=inspection, conclusion=d["conclusion"],
                    representative_name=d["representative_name"], inspector_signature=sig,
                    representative_signature=rep, representative_refused=d["representative_refused"],
                )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            n = inspection.hazards.count()
            messages.success(request, "检查已完成" + (f"，发现隐患 {n} 项" if n else "，未发现隐患"))
            return redirect("workbench:supervision:inspection", pk=inspection.pk)
    inspection = selectors.inspection_get(request.user, pk)
    return _inspection_page(request, inspection, complete_form=form, status=422)


@login_required
def inspection_record(request, pk):
    inspection = selectors.inspection_get(request.user, pk)
    response = HttpResponse(inspection_pdf(inspection), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="inspection-{inspection.pk}.pdf"'
    return response


# ---------------------------------------------------------------- 隐患台账


@login_required
def hazard_list(request):
    user = request.user
    require(user, VIEW)
    state = request.GET.get("state", "unclosed")
    state = state if state in HAZARD_STATES else "unclosed"
    level = request.GET.get("level", "")
    level = level if level in HazardLevel.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    overdue = request.GET.get("overdue") == "1"
    townships = township_choices(user, VIEW)
    region = request.GET.get("region", "")
    region = region if region in dict(townships) else ""
    qs = selectors.hazard_ledger(
        user, region=region[:9] if region else "", kind=kind, state="" if state == "all" else state, level=level,
        overdue=True if overdue else None,
    )  # fmt: skip
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(selectors.hazard_ledger_xlsx(qs[:EXPORT_LIMIT]), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="hazards.xlsx"'
        return response
    page = paged(request, qs)
    today = timezone.localdate()
    names = region_names({h.region_code for h in page})
    rows = [{"h": h, "kind": _kind_label(h.supervised.kind), "place": names.get(h.region_code, ""),
             "late": h.state != HazardState.CLOSED and h.deadline < today} for h in page]  # fmt: skip
    unclosed = selectors.hazard_ledger(user, state="unclosed")
    counts = {
        "open": unclosed.count(),
        "overdue": unclosed.filter(deadline__lt=today).count(),
        "major": unclosed.filter(level=HazardLevel.MAJOR).count(),
    }
    params = query_params(request, "state", "level", "kind", "overdue", "region")
    context = {
        "page": page, "rows": rows, "states": HAZARD_STATES, "state": state, "levels": dict(HazardLevel.choices),
        "level": level, "kinds": {c: k.label for c, k in KINDS.items()}, "kind": kind, "overdue": overdue,
        "townships": townships, "region": region, "params": params, "counts": counts,
    }  # fmt: skip
    return render(request, "workbench/supervision/hazards.html", context)


class RectifyForm(forms.Form):
    text = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    submitted_by_name = forms.CharField(label="单位提交人", required=False, max_length=50)
    photos = forms.FileField(label="整改照片", required=False, help_text="JPG 或 PNG")


class ReinspectForm(forms.Form):
    passed = forms.TypedChoiceField(
        label="复查结论",
        choices=[("1", "整改到位，销号"), ("0", "整改不到位，退回整改")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="复查意见", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
    photos = forms.FileField(label="复查照片", required=False, help_text="JPG 或 PNG")


def _hazard_page(request, hazard, *, rectify_form=None, reinspect_form=None, status=200):
    user = request.user
    context = {
        "h": hazard, "entity": hazard.supervised.entity, "kind": _kind_label(hazard.supervised.kind),
        "events": hazard.events.select_related("actor").order_by("at", "pk"),
        "rectifications": hazard.rectifications.prefetch_related("photos").order_by("submitted_at", "pk"),
        "reinspections": hazard.reinspections.select_related("inspector").order_by("inspected_on", "pk"),
        "late": hazard.state != HazardState.CLOSED and hazard.deadline < timezone.localdate(),
        "can_rectify": hazard.state in (HazardState.OPEN, HazardState.RETURNED)
        and has_permission(user, "supervision.rectify", hazard.region_code),
        "can_reinspect": hazard.state == HazardState.SUBMITTED
        and has_permission(user, "supervision.inspect", hazard.region_code),
        "rectify_form": rectify_form or RectifyForm(), "reinspect_form": reinspect_form or ReinspectForm(),
    }  # fmt: skip
    return render(request, "workbench/supervision/hazard.html", context, status=status)


@login_required
def hazard_detail(request, pk):
    return _hazard_page(request, selectors.hazard_get(request.user, pk))


def _photos(request, region_code: str) -> list:
    return [
        services.photo_store(user=request.user, data=f, name=f.name, region_code=region_code)
        for f in request.FILES.getlist("photos")[: services.PHOTOS_MAX]
    ]


@login_required
@require_POST
def hazard_rectify(request, pk):
    hazard = selectors.hazard_get(request.user, pk)
    form = RectifyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.rectification_submit(
                    user=request.user, hazard=hazard, text=form.cleaned_data["text"],
                    photos=_photos(request, hazard.region_code),
                    submitted_by_name=form.cleaned_data["submitted_by_name"],
                )  # fmt: skip
        except PermissionDenied:
            raise
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已登记整改情况，等待复查")
            return redirect("workbench:supervision:hazard", pk=hazard.pk)
    return _hazard_page(request, selectors.hazard_get(request.user, pk), rectify_form=form, status=422)


@login_required
@require_POST
def hazard_reinspect(request, pk):
    hazard = selectors.hazard_get(request.user, pk)
    form = ReinspectForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.reinspection_record(
                    user=request.user, hazard=hazard, passed=form.cleaned_data["passed"],
                    note=form.cleaned_data["note"], photos=_photos(request, hazard.region_code),
                )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "复查合格，隐患已销号" if form.cleaned_data["passed"] else "已退回整改")
            return redirect("workbench:supervision:hazard", pk=hazard.pk)
    return _hazard_page(request, selectors.hazard_get(request.user, pk), reinspect_form=form, status=422)
