"""Workbench pages of the supervision engine's programmes: 双随机 draw plans (the plan form, the
recorded pools, risk classes and pairs, verification by re-running, publication of the result and
of the findings, avoidances), gradings (self-assessment, panel scoring per section within the
sheet's maxima, notice, decision, return, withdrawal; grades expiring soon), lists (entries per
list, adding and removing an entity), and annual reports (staff entry along the template's typed
fields, review, late reports).

Thin views like ``views.py``: reads through the engine's scoped selectors (another township's
object is a 404 before any permission is checked), writes through one engine service each; bad
input 422, a refusal 403 (the services check the engine's declared permissions).
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.supervision import draws, gradings, listings, reports, selectors
from minzheng.engines.supervision.kinds import KINDS
from minzheng.engines.supervision.models import (
    Avoidance,
    GradingSheet,
    GradingState,
    Purpose,
    ReportState,
    ReportTemplate,
)
from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.regions.selectors import region_names

from ..common.errors import apply_errors
from ..common.paging import paged, query_params
from ..common.permissions import require
from ..common.regions import township_choices
from .forms import _field

VIEW = "supervision.view"
DATE = forms.DateInput(attrs={"type": "date"})


def _kinds() -> list[tuple[str, str]]:
    return [(c, k.label) for c, k in KINDS.items()]


def _fail(form, exc: ValidationError) -> None:
    apply_errors(form, exc)


# ---------------------------------------------------------------- 双随机抽查计划


def draw_regions(user) -> list[tuple[str, str]]:
    """The regions the user may organise a draw in: their granted regions holding
    ``supervision.draw`` and the townships under them."""
    granted = [g.region_id for g in user.grants.select_related("role") if "supervision.draw" in g.role.permissions]
    names = region_names(granted)
    out = [(code, names.get(code, code)) for code in sorted(set(granted))]
    seen = {c for c, _ in out}
    return out + [(c, n) for c, n in township_choices(user, "supervision.draw") if c not in seen]


class DrawPlanForm(forms.Form):
    name = forms.CharField(label="计划名称", required=False, max_length=200, help_text="不填则按类别和日期生成")
    kind = forms.ChoiceField(label="监管对象类别")
    purpose = forms.ChoiceField(label="检查类型", choices=Purpose.choices, initial=Purpose.RANDOM)
    region_code = forms.ChoiceField(label="抽查区划")
    how = forms.ChoiceField(label="抽取方式", choices=[("count", "按数量"), ("share", "按比例")], initial="share",
                            widget=forms.RadioSelect)  # fmt: skip
    entities = forms.IntegerField(label="抽取数量（户）", required=False, min_value=1, max_value=100000)
    share = forms.DecimalField(label="抽取比例（%）", required=False, min_value=0, max_value=100, decimal_places=2,
                               help_text="例如 5 表示 5%")  # fmt: skip
    inspectors_per_entity = forms.IntegerField(label="每户检查人员数", min_value=1, max_value=10, initial=2)
    exclude_township = forms.BooleanField(label="回避本乡镇（街道）的检查人员", required=False, initial=True)
    seed = forms.CharField(label="随机种子", max_length=100, help_text="已自动生成；记录在案，任何人可用它复核抽取结果")

    def __init__(self, *args, user, **kw):
        super().__init__(*args, **kw)
        self.fields["kind"].choices = _kinds()
        self.fields["region_code"].choices = draw_regions(user)
        self.fields["seed"].initial = secrets.token_hex(8)

    def clean(self):
        d = super().clean()
        how = d.get("how")
        if how == "count" and not d.get("entities"):
            self.add_error("entities", "请填写抽取数量")
        if how == "share":
            share = d.get("share")
            if share is None:
                self.add_error("share", "请填写抽取比例")
            elif share <= 0:
                self.add_error("share", "抽取比例须大于 0")
        return d


@login_required
def draw_list(request):
    user = request.user
    require(user, VIEW)
    page = paged(request, draws.draws_for(user).order_by("-drawn_on", "-pk"))
    names = region_names({p.region_code for p in page})
    rows = [{"p": p, "place": names.get(p.region_code, p.region_code),
             "kind": KINDS[p.kind].label if p.kind in KINDS else p.kind} for p in page]  # fmt: skip
    context = {"page": page, "rows": rows, "params": "", "can_draw": has_permission(user, "supervision.draw")}
    return render(request, "workbench/supervision/draws.html", context)


@login_required
def draw_new(request):
    user = request.user
    require(user, "supervision.draw")
    form = DrawPlanForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            by_count = d["how"] == "count"
            try:
                plan = draws.draw_run(
                    user=user, kind=d["kind"], region_code=d["region_code"], purpose=d["purpose"], name=d["name"],
                    entities=d["entities"] if by_count else None,
                    share=None if by_count else (d["share"] / 100).quantize(Decimal("0.0001")),
                    inspectors_per_entity=d["inspectors_per_entity"], seed=d["seed"],
                    exclude_township=d["exclude_township"],
                )  # fmt: skip
            except ValidationError as exc:
                _fail(form, exc)
            else:
                messages.success(request, f"已抽取 {plan.number}：{plan.pairs.count()} 户")
                return redirect("workbench:supervision:draw", pk=plan.pk)
    return render(request, "workbench/supervision/draw_new.html", {"form": form}, status=status)


class FindingsForm(forms.Form):
    summary = forms.CharField(label="检查结果摘要", required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}), help_text="不填则按检查情况自动生成")  # fmt: skip


def _draw_page(request, plan, *, findings_form=None, verified=None, status=200):
    user = request.user
    pairs = plan.pairs.select_related("supervised__entity", "inspection").order_by("order")
    classes = {}
    for _uscc, cls, *_ in plan.entity_pool:
        classes[cls] = classes.get(cls, 0) + 1
    context = {
        "plan": plan, "pairs": pairs, "place": region_names([plan.region_code]).get(plan.region_code, ""),
        "kind": KINDS[plan.kind].label if plan.kind in KINDS else plan.kind, "classes": classes,
        "findings": draws.draw_findings(plan), "verified": verified,
        "can_draw": has_permission(user, "supervision.draw", plan.region_code),
        "findings_form": findings_form or FindingsForm(),
    }  # fmt: skip
    return render(request, "workbench/supervision/draw.html", context, status=status)


@login_required
def draw_detail(request, pk):
    plan = selectors.draw_plan_get(request.user, pk)
    return _draw_page(request, plan)


@login_required
def draw_verify(request, pk):
    """Re-run the draw from the recorded seed, pools, exclusions and weights (a read)."""
    plan = selectors.draw_plan_get(request.user, pk)
    return _draw_page(request, plan, verified=draws.draw_verify(plan))


@login_required
@require_POST
def draw_publish(request, pk):
    plan = selectors.draw_plan_get(request.user, pk)
    try:
        draws.draw_publish(user=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return _draw_page(request, plan, status=422)
    messages.success(request, "抽取结果已公开")
    return redirect("workbench:supervision:draw", pk=plan.pk)


@login_required
@require_POST
def draw_findings_publish(request, pk):
    plan = selectors.draw_plan_get(request.user, pk)
    form = FindingsForm(request.POST)
    if form.is_valid():
        try:
            draws.draw_findings_publish(user=request.user, plan=plan, summary=form.cleaned_data["summary"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "检查结果已公开")
            return redirect("workbench:supervision:draw", pk=plan.pk)
    return _draw_page(request, plan, findings_form=form, status=422)


class AvoidanceForm(forms.Form):
    inspector = forms.CharField(label="检查人员用户名", max_length=150)
    reason = forms.CharField(label="回避原因", max_length=300)
    declared_on = forms.DateField(label="申报日期", required=False, widget=DATE)

    def clean_inspector(self):
        user = User.objects.filter(username=self.cleaned_data["inspector"].strip(), is_active=True).first()
        if user is None:
            raise ValidationError("没有这个用户")
        return user


class EndForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=1000)
    ended_on = forms.DateField(label="日期", required=False, widget=DATE)


# ---------------------------------------------------------------- 监管对象页上的办理（回避、评定、名录、年报）


@login_required
@require_POST
def avoidance_declare(request, pk):
    from .views import entity_detail

    s = selectors.supervised_get(request.user, pk)
    form = AvoidanceForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            draws.avoidance_declare(user=request.user, inspector=d["inspector"], supervised=s, reason=d["reason"],
                                    declared_on=d["declared_on"])  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "已登记检查回避")
            return redirect("workbench:supervision:entity", pk=s.pk)
    return entity_detail(request, pk, forms_given={"avoidance_form": form}, status=422)


@login_required
@require_POST
def avoidance_end(request, pk):
    from .views import entity_detail

    a = selectors.avoidance_get(request.user, pk)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            draws.avoidance_end(user=request.user, avoidance=a, reason=form.cleaned_data["reason"],
                                ended_on=form.cleaned_data["ended_on"])  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "已解除检查回避")
            return redirect("workbench:supervision:entity", pk=a.supervised_id)
    messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return entity_detail(request, a.supervised_id, status=422)


def _sheets(kind: str):
    return GradingSheet.objects.filter(kind=kind, published=True).order_by("code", "-version")


class ScoresForm(forms.Form):
    """One field per section of the sheet, bounded by the section's maximum."""

    def __init__(self, *args, sheet: GradingSheet, **kw):
        super().__init__(*args, **kw)
        self.sections = list(sheet.sections.order_by("order"))
        for i, section in enumerate(self.sections):
            self.fields[f"s{i}"] = forms.DecimalField(
                label=f"{section.name}（满分 {section.maximum.normalize():f}）", min_value=0, max_value=section.maximum,
                decimal_places=2, error_messages={"max_value": f"{section.name}得分不能超过满分 {section.maximum.normalize():f}"},
            )  # fmt: skip

    def scores(self) -> dict:
        return {s.name: self.cleaned_data[f"s{i}"] for i, s in enumerate(self.sections)}


class SelfAssessForm(forms.Form):
    sheet = forms.ModelChoiceField(label="评分表", queryset=GradingSheet.objects.none(), empty_label=None)
    assessed_on = forms.DateField(label="自评日期", required=False, widget=DATE)

    def __init__(self, *args, kind: str, **kw):
        super().__init__(*args, **kw)
        self.fields["sheet"].queryset = _sheets(kind)


@login_required
@require_POST
def grading_start(request, pk):
    """Staff enter the entity's self-assessment (自评) along the chosen sheet."""
    from .views import entity_detail

    s = selectors.supervised_get(request.user, pk)
    form = SelfAssessForm(request.POST, kind=s.kind)
    scores = None
    if form.is_valid():
        scores = ScoresForm(request.POST, sheet=form.cleaned_data["sheet"], prefix="self")
        if scores.is_valid():
            try:
                grading = gradings.grading_self_assess(user=request.user, supervised=s,
                                                       sheet=form.cleaned_data["sheet"], scores=scores.scores(),
                                                       assessed_on=form.cleaned_data["assessed_on"])  # fmt: skip
            except ValidationError as exc:
                _fail(form, exc)
            else:
                messages.success(request, f"已录入自评：{grading.self_total} 分")
                return redirect("workbench:supervision:grading", pk=grading.pk)
        else:
            for field, errs in scores.errors.items():
                for e in errs:
                    form.add_error(None, f"{scores.fields[field].label if field in scores.fields else ''}：{e}")
    return entity_detail(request, pk, forms_given={"grading_form": form}, status=422)


class PanelScoreForm(forms.Form):
    member_name = forms.CharField(label="评审人员姓名", max_length=50)


class NoticeForm(forms.Form):
    start = forms.DateField(label="公示开始日期", widget=DATE)
    end = forms.DateField(label="公示结束日期", widget=DATE)
    reference = forms.CharField(label="公示办件编号", required=False, max_length=60)


class DecideForm(forms.Form):
    decided_on = forms.DateField(label="评定日期", required=False, widget=DATE, help_text="不填为今天")
    decision_number = forms.CharField(label="评定文号", required=False, max_length=100)
    valid_from = forms.DateField(label="有效期起", required=False, widget=DATE, help_text="不填为评定日期")
    valid_until = forms.DateField(label="有效期至", required=False, widget=DATE, help_text="不填按本地区规定的有效期")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


def _grading_page(request, grading, *, given=None, status=200):
    user = request.user
    sheet = grading.sheet
    sections = list(sheet.sections.order_by("order"))
    panel = list(grading.panel_scores.order_by("at", "pk"))
    rows = [{"name": s.name, "maximum": s.maximum, "self": grading.self_scores.get(s.name),
             "members": [p.scores.get(s.name) for p in panel], "mean": grading.scores.get(s.name)} for s in sections]  # fmt: skip
    may = has_permission(user, "supervision.grade", grading.region_code)
    forms_ = {"score_form": PanelScoreForm(), "scores_form": ScoresForm(sheet=sheet, prefix="panel"),
              "notice_form": NoticeForm(), "decide_form": DecideForm(), "return_form": ReasonForm(prefix="ret"),
              "withdraw_form": ReasonForm(prefix="wd"), **(given or {})}  # fmt: skip
    st = grading.state
    context = {
        "g": grading, "s": grading.supervised, "entity": grading.supervised.entity, "sheet": sheet, "rows": rows,
        "panel": panel, "grades": sheet.grades.order_by("-rank"), "events": grading.events.select_related("actor"),
        "may_score": may and st in (GradingState.SELF_ASSESSED, GradingState.PANEL),
        "may_close": may and st == GradingState.PANEL and panel,
        "may_notice": may and st == GradingState.SCORED, "may_decide": may and st == GradingState.NOTICE,
        "may_return": may and st in (GradingState.SCORED, GradingState.NOTICE),
        "may_withdraw": may and st not in (GradingState.DECIDED, GradingState.WITHDRAWN), **forms_,
    }  # fmt: skip
    return render(request, "workbench/supervision/grading.html", context, status=status)


@login_required
def grading_detail(request, pk):
    return _grading_page(request, selectors.grading_get(request.user, pk))


def _grading_step(request, pk, form, key: str, call, done: str):
    """Validate ``form``, call the service, back to the panel page (422 with the errors on the form)."""
    grading = selectors.grading_get(request.user, pk)
    if form.is_valid():
        try:
            call(grading, form)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, done)
            return redirect("workbench:supervision:grading", pk=grading.pk)
    return _grading_page(request, selectors.grading_get(request.user, pk), given={key: form}, status=422)


@login_required
@require_POST
def grading_score(request, pk):
    grading = selectors.grading_get(request.user, pk)
    form = PanelScoreForm(request.POST)
    scores = ScoresForm(request.POST, sheet=grading.sheet, prefix="panel")
    if form.is_valid() and scores.is_valid():
        try:
            gradings.grading_panel_score(user=request.user, grading=grading, member_name=form.cleaned_data["member_name"],
                                         scores=scores.scores())  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"已录入 {form.cleaned_data['member_name']} 的评分")
            return redirect("workbench:supervision:grading", pk=grading.pk)
    return _grading_page(request, grading, given={"score_form": form, "scores_form": scores}, status=422)


@login_required
@require_POST
def grading_close(request, pk):
    return _grading_step(request, pk, forms.Form(request.POST), "close_form",
                         lambda g, f: gradings.grading_panel_close(user=request.user, grading=g), "评审打分已结束")  # fmt: skip


@login_required
@require_POST
def grading_notice(request, pk):
    def call(g, f):
        d = f.cleaned_data
        gradings.grading_notice_open(user=request.user, grading=g, start=d["start"], end=d["end"],
                                     reference=d["reference"])  # fmt: skip

    return _grading_step(request, pk, NoticeForm(request.POST), "notice_form", call, "已开始公示")


@login_required
@require_POST
def grading_decide(request, pk):
    def call(g, f):
        gradings.grading_decide(user=request.user, grading=g, **f.cleaned_data)

    return _grading_step(request, pk, DecideForm(request.POST), "decide_form", call, "已评定等级")


@login_required
@require_POST
def grading_return(request, pk):
    def call(g, f):
        gradings.grading_return(user=request.user, grading=g, reason=f.cleaned_data["reason"])

    return _grading_step(request, pk, ReasonForm(request.POST, prefix="ret"), "return_form", call, "已退回重新评审")


@login_required
@require_POST
def grading_withdraw(request, pk):
    def call(g, f):
        gradings.grading_withdraw(user=request.user, grading=g, reason=f.cleaned_data["reason"])

    return _grading_step(request, pk, ReasonForm(request.POST, prefix="wd"), "withdraw_form", call, "等级评定已终止")


@login_required
def grades_expiring(request):
    user = request.user
    require(user, VIEW)
    try:
        days = int(request.GET.get("days") or 90)
    except ValueError:
        days = 90
    days = max(0, min(days, 3650))
    page = paged(request, gradings.grades_expiring(user, within_days=days))
    today = timezone.localdate()
    rows = [{"g": g, "left": (g.valid_until - today).days} for g in page]
    context = {"page": page, "rows": rows, "days": days, "params": query_params(request, "days")}
    return render(request, "workbench/supervision/grades_expiring.html", context)


# ---------------------------------------------------------------- 名录


class ListingAddForm(forms.Form):
    list_reason = forms.ChoiceField(label="名录及列入事由")
    decision_number = forms.CharField(label="决定文号", required=False, max_length=100)
    decision_text = forms.CharField(label="决定内容", required=False, max_length=4000,
                                    widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    listed_at = forms.DateField(label="列入日期", required=False, widget=DATE, help_text="不填为今天")

    def __init__(self, *args, kind: str, **kw):
        super().__init__(*args, **kw)
        self.fields["list_reason"].choices = [
            (f"{d.code}:{code}", f"{d.label}：{label}")
            for d in listings.LISTS.values()
            if not d.kinds or kind in d.kinds
            for code, label in d.reasons
        ]


@login_required
@require_POST
def listing_add(request, pk):
    from .views import entity_detail

    s = selectors.supervised_get(request.user, pk)
    form = ListingAddForm(request.POST, kind=s.kind)
    if form.is_valid():
        d = form.cleaned_data
        list_code, reason = d["list_reason"].split(":", 1)
        try:
            listings.listing_add(user=request.user, supervised=s, list_code=list_code, reason_code=reason,
                                 decision_number=d["decision_number"], decision_text=d["decision_text"],
                                 listed_at=d["listed_at"])  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"已列入{listings.list_get(list_code).label}")
            return redirect("workbench:supervision:entity", pk=s.pk)
    return entity_detail(request, pk, forms_given={"listing_form": form}, status=422)


@login_required
@require_POST
def listing_remove(request, pk):
    from .views import entity_detail

    entry = selectors.listing_get(request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            listings.listing_remove(user=request.user, listing=entry, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "已移出名录")
            return redirect("workbench:supervision:entity", pk=entry.supervised_id)
    messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return entity_detail(request, entry.supervised_id, status=422)


@login_required
def listing_list(request):
    user = request.user
    require(user, VIEW)
    lists = {d.code: d.label for d in listings.LISTS.values()}
    code = request.GET.get("list", "")
    code = code if code in lists else ""
    current = request.GET.get("removed") != "1"
    qs = listings.listings_for(user, list_code=code, current=current).order_by("-listed_at", "-pk")
    page = paged(request, qs)
    rows = [{"l": entry, "list": lists.get(entry.list_code, entry.list_code),
             "reason": listings.LISTS[entry.list_code].reason_label(entry.reason_code)
             if entry.list_code in listings.LISTS else entry.reason_code} for entry in page]  # fmt: skip
    context = {"page": page, "rows": rows, "lists": lists, "list": code, "current": current,
               "params": query_params(request, "list", "removed")}  # fmt: skip
    return render(request, "workbench/supervision/listings.html", context)


# ---------------------------------------------------------------- 年度报告


def _report_form(template: ReportTemplate, data=None, initial=None) -> forms.Form:
    form = forms.Form(data, initial=initial or {})
    for a in reports.template_kind(template).attributes:
        form.fields[a.code] = _field(a)
        form.fields[a.code].required = a.required
    return form


class ReportStartForm(forms.Form):
    template = forms.ModelChoiceField(label="报告模板", queryset=ReportTemplate.objects.none(), empty_label=None)
    year = forms.IntegerField(label="报告年度", min_value=2000, max_value=2100)

    def __init__(self, *args, kind: str, **kw):
        super().__init__(*args, **kw)
        self.fields["template"].queryset = ReportTemplate.objects.filter(kind=kind).order_by("code")
        self.fields["year"].initial = timezone.localdate().year - 1


@login_required
def report_new(request, pk):
    """Staff enter an entity's annual report: first the template and year (GET), then the
    template's typed fields; saving submits it (代录)."""
    user = request.user
    s = selectors.supervised_get(user, pk)
    start = ReportStartForm(request.GET or None, kind=s.kind)
    context = {"s": s, "entity": s.entity, "start": start}
    if not start.is_bound or not start.is_valid():
        return render(request, "workbench/supervision/report_new.html", context)
    template, year = start.cleaned_data["template"], start.cleaned_data["year"]
    existing = reports.reports_for(user, template=template, year=year).filter(supervised=s).first()
    form = _report_form(template, request.POST or None, initial=existing.values if existing else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            try:
                report = reports.report_save(user=user, template=template, supervised=s, year=year, values=values)
                report = reports.report_submit(user=user, report=report)
            except ValidationError as exc:
                _fail(form, exc)
            else:
                messages.success(request, f"已代录并报送 {year} 年度报告" + ("（逾期）" if report.late else ""))
                return redirect("workbench:supervision:report", pk=report.pk)
    context.update({"template": template, "year": year, "form": form, "existing": existing})
    return render(request, "workbench/supervision/report_new.html", context, status=status)


class ReviewForm(forms.Form):
    accept = forms.TypedChoiceField(label="审核结论", choices=[("1", "审核通过"), ("0", "退回修改")],
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect)  # fmt: skip
    reason = forms.CharField(
        label="退回原因", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _report_page(request, report, *, review_form=None, status=200):
    kind = reports.template_kind(report.template)
    values = [(a.label, a.display(report.values[a.code]) if a.code in report.values else "—") for a in kind.attributes]
    context = {
        "r": report, "s": report.supervised, "entity": report.supervised.entity, "values": values,
        "may_review": report.state == ReportState.SUBMITTED
        and has_permission(request.user, "supervision.report", report.region_code),
        "review_form": review_form or ReviewForm(),
    }  # fmt: skip
    return render(request, "workbench/supervision/report.html", context, status=status)


@login_required
def report_detail(request, pk):
    return _report_page(request, selectors.report_get(request.user, pk))


@login_required
@require_POST
def report_review(request, pk):
    report = selectors.report_get(request.user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            reports.report_review(user=request.user, report=report, accept=form.cleaned_data["accept"],
                                  reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "年度报告审核通过" if form.cleaned_data["accept"] else "已退回修改")
            return redirect("workbench:supervision:report", pk=report.pk)
    return _report_page(request, report, review_form=form, status=422)


@login_required
def report_list(request):
    """Annual reports (filter by state, late), and the entities whose report of a template and year
    is missing after its due day."""
    user = request.user
    require(user, VIEW)
    states = dict(ReportState.choices)
    state = request.GET.get("state", "")
    state = state if state in states else ""
    late = request.GET.get("late") == "1"
    templates = list(ReportTemplate.objects.order_by("code"))
    year = timezone.localdate().year - 1
    try:
        year = int(request.GET.get("year") or year)
    except ValueError:
        pass
    qs = reports.reports_for(user, state=state, late=True if late else None).order_by("-year", "due_on", "pk")
    page = paged(request, qs)
    missing = []
    for t in templates:
        if t.first_year <= year <= timezone.localdate().year:
            missing += [(t, s) for s in reports.reports_missing(user, template=t, year=year)[:200]]
    context = {"page": page, "states": states, "state": state, "late": late, "year": year, "missing": missing,
               "params": query_params(request, "state", "late", "year")}  # fmt: skip
    return render(request, "workbench/supervision/reports.html", context)


# ---------------------------------------------------------------- the entity page's extra parts


def entity_extras(user, s, given: dict | None = None) -> dict:
    """What the entity page shows beyond the engine's first pages: grades, reports, listings,
    avoidances, the forms to act on them, and one timeline of everything."""
    region = s.entity.region_code
    history = list(gradings.grade_history(s).select_related("sheet"))
    running = list(s.gradings.exclude(state__in=[GradingState.DECIDED, GradingState.WITHDRAWN]).order_by("-pk"))
    annual = list(s.annual_reports.select_related("template").order_by("-year", "-pk"))
    entries = list(s.listings.order_by("-listed_at", "-pk"))
    for entry in entries:
        found = listings.LISTS.get(entry.list_code)
        entry.list_label = found.label if found else entry.list_code
        entry.reason_label = found.reason_label(entry.reason_code) if found else entry.reason_code
    avoid = list(Avoidance.objects.filter(supervised=s).select_related("inspector").order_by("-declared_on", "-pk"))
    sheets = _sheets(s.kind)
    first = sheets.first()
    out = {
        "grades": history, "grade_now": gradings.grade_current(s), "gradings_running": running, "reports": annual,
        "listings": entries, "avoidances": avoid,
        "list_labels": {d.code: d.label for d in listings.LISTS.values()},
        "can_grade": has_permission(user, "supervision.grade", region) and first is not None,
        "can_list": has_permission(user, "supervision.list", region),
        "can_report": has_permission(user, "supervision.report", region),
        "can_draw": has_permission(user, "supervision.draw", region),
        "grading_form": SelfAssessForm(kind=s.kind), "self_scores_form": ScoresForm(sheet=first, prefix="self")
        if first else None,
        "listing_form": ListingAddForm(kind=s.kind), "avoidance_form": AvoidanceForm(),
        "end_form": EndForm(), "remove_form": ReasonForm(),
        **(given or {}),
    }  # fmt: skip
    return out


def _u(name: str, pk: int) -> str:
    return reverse(f"workbench:supervision:{name}", args=[pk])


def timeline(s, *, inspections, hazards, extras, statuses, history) -> list[dict]:
    """Everything that happened to the entity, newest first: status changes, attribute changes,
    inspections, hazards found and closed, grades, annual reports, list entries and removals."""
    ev: list[dict] = []

    def add(day, what, text, url=""):
        if day is None:
            return
        if isinstance(day, dt.datetime):
            day = timezone.localtime(day).date()
        ev.append({"on": day, "what": what, "text": text, "url": url})

    for c in statuses:
        add(c.effective_on, "状态", f"{c.get_status_to_display()}" + (f"（{c.reason[:40]}）" if c.reason else ""))
    for r, label_, value in history:
        add(r.superseded_at, "属性", f"{label_}：原为 {value}")
    for i in inspections:
        add(i.inspected_on, "检查", f"{i.get_purpose_display()}（{i.get_state_display()}）",
            _u("inspection", i.pk))  # fmt: skip
    for h in hazards:
        add(h.found_on, "隐患", f"{h.get_level_display()}：{h.description[:40]}", _u("hazard", h.pk))
        add(h.closed_on, "销号", f"隐患销号：{h.description[:40]}", _u("hazard", h.pk))
    for g in extras["grades"]:
        add(g.decided_on, "等级", f"评定 {g.grade or '未达等级'}（有效期至 {g.valid_until}）", _u("grading", g.pk))
    for g in extras["gradings_running"]:
        add(
            g.self_assessed_on,
            "等级",
            f"等级评定自评 {g.self_total} 分（{g.get_state_display()}）",
            _u("grading", g.pk),
        )
    for r in extras["reports"]:
        add(r.submitted_at or r.created_at, "年报", f"{r.year} 年度报告（{r.get_state_display()}）"
            + ("，逾期" if r.late else ""), _u("report", r.pk))  # fmt: skip
    labels = extras["list_labels"]
    for entry in extras["listings"]:
        add(entry.listed_at, "名录", f"列入{labels.get(entry.list_code, entry.list_code)}")
        add(entry.removed_at, "名录", f"移出{labels.get(entry.list_code, entry.list_code)}")
    ev.sort(key=lambda e: e["on"], reverse=True)
    return ev
