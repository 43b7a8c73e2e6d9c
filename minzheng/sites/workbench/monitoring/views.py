"""Workbench pages of monitoring (监测预警): the alert list of the user's townships, an alert with
its evidence in Chinese and the four-way handling form, 主动发现 per township, hardship reports
(一键报贫) with the entry form and the reply, the rules with the thresholds in force (switching and
severity for ``monitoring.configure``, 立即运行 as a job). An alert's household links to the pages a
line registered for households (``registry/household_links.py``, e.g. the assistance line's 救助链).

Thin views: reads through the engine's scoped selectors (another township's alert is a 404),
writes through one service each; a refusal is 409 with its Chinese reason, bad input 422.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.monitoring import selectors, services
from minzheng.engines.monitoring.jobs import run_enqueue
from minzheng.engines.monitoring.models import (
    AlertHandling,
    AlertState,
    Handling,
    MonitoringRule,
    ReportChannel,
    Severity,
)
from minzheng.foundation.accounts.scoping import ALL, has_permission, user_prefixes
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import Refused

from ..common.errors import apply_errors
from ..common.paging import paged, query_params
from ..common.permissions import require
from ..common.regions import township_choices
from ..registry.household_links import household_links

STATES = {
    selectors.PENDING: "未办结",
    AlertState.OPEN: "待处置",
    AlertState.HANDLING: "处置中",
    AlertState.CLOSED: "已办结",
    "all": "全部",
}
STAFF_CHANNELS = [
    (ReportChannel.HOTLINE, "12345热线"),
    (ReportChannel.WORKBENCH, "工作人员登记"),
    (ReportChannel.GRID, "网格员"),
]


def _village_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    prefixes = user_prefixes(user, "monitoring.handle")
    qs = Region.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE])
    if prefixes is not ALL:
        qs = qs.filter(prefix_q("code", prefixes)) if prefixes else qs.none()
    groups: dict[str, list] = {}
    names = {}
    for code, name, level in qs.order_by("code").values_list("code", "name", "level")[:3000]:
        if level == Level.TOWNSHIP:
            names[code] = name
            groups.setdefault(code, []).append((code, f"{name}（乡镇/街道）"))
        else:
            groups.setdefault(code[:9].ljust(12, "0"), []).append((code, name))
    return [(names.get(t, t), rows) for t, rows in groups.items()]


# ---------------------------------------------------------------- forms


class HandleForm(forms.Form):
    way = forms.ChoiceField(label="处置方式", choices=Handling.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="处置情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    department = forms.CharField(
        label="转办部门", required=False, max_length=60, help_text="转办推送时填写，如 市人社局"
    )
    answer = forms.CharField(label="部门反馈", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    closes = forms.BooleanField(label="处置完毕，办结该预警", required=False)


class AnswerForm(forms.Form):
    answer = forms.CharField(label="部门反馈", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    closes = forms.BooleanField(label="办结该预警", required=False)


class ReportForm(forms.Form):
    channel = forms.ChoiceField(label="来源", choices=STAFF_CHANNELS, initial=ReportChannel.HOTLINE)
    region_code = forms.ChoiceField(label="所在村（社区）")
    address = forms.CharField(label="详细地址", required=False, max_length=200)
    subject_name = forms.CharField(label="困难对象姓名", required=False, max_length=50)
    description = forms.CharField(label="困难情况", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    for_self = forms.BooleanField(label="报告人为本人报告", required=False)
    anonymous = forms.BooleanField(label="匿名（不登记报告人）", required=False)
    reporter_name = forms.CharField(label="报告人姓名", required=False, max_length=50)
    reporter_phone = forms.CharField(
        label="报告人电话", required=False, max_length=20, help_text="手机号将收到答复短信"
    )
    photo = forms.FileField(label="现场照片", required=False, help_text="JPG 或 PNG")

    def __init__(self, *args, villages=(), **kw):
        super().__init__(*args, **kw)
        self.fields["region_code"].choices = [("", "请选择")] + [(g, rows) for g, rows in villages]


class ReplyForm(forms.Form):
    reply = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


# ---------------------------------------------------------------- 预警


def _rule_choices() -> dict[str, str]:
    return dict(MonitoringRule.objects.order_by("sort", "code").values_list("code", "name"))


@login_required
def alert_list(request):
    user = request.user
    require(user, "monitoring.view")
    rules = _rule_choices()
    rule = request.GET.get("rule", "")
    rule = rule if rule in rules else ""
    state = request.GET.get("state", selectors.PENDING)
    state = state if state in STATES else selectors.PENDING
    severity = request.GET.get("severity", "")
    severity = severity if severity in Severity.values else ""
    overdue = request.GET.get("overdue") == "1"
    townships = township_choices(user, "monitoring.view")
    region = request.GET.get("region", "")
    region = region if region in dict(townships) else ""
    qs = selectors.alert_search(
        user=user, rule=rule, state="" if state == "all" else state, severity=severity, overdue=overdue,
        region=region[:9] if region else "",
    )  # fmt: skip
    page = paged(request, qs)
    today = timezone.localdate()
    names = region_names({a.office_code for a in page} | {a.region_code for a in page})
    rows = [{"alert": a, "flag": selectors.alert_flag(a, today), "office": names.get(a.office_code, a.office_code),
             "place": names.get(a.region_code, "")} for a in page]  # fmt: skip
    open_qs = selectors.alert_search(user=user, state=selectors.PENDING)
    counts = {
        "open": open_qs.count(),
        "overdue": open_qs.filter(due__lt=today).count(),
        "high": open_qs.filter(severity=Severity.HIGH).count(),
    }
    context = {
        "page": page, "rows": rows, "rules": rules, "rule": rule, "states": STATES, "state": state,
        "severities": dict(Severity.choices), "severity": severity, "overdue": overdue, "townships": townships,
        "region": region, "params": query_params(request, "rule", "state", "severity", "overdue", "region"),
        "counts": counts, "can_run": has_permission(user, "monitoring.run"),
    }  # fmt: skip
    return render(request, "workbench/monitoring/alerts.html", context)


def _detail_context(request, alert, **extra) -> dict:
    user = request.user
    handlings = list(alert.handlings.select_related("handled_by"))
    can_handle = alert.state != AlertState.CLOSED and has_permission(user, "monitoring.handle", alert.region_code)
    names = region_names([alert.region_code, alert.office_code])
    report = getattr(alert, "hardship_report", None) if alert.rule_id == services.HARDSHIP_RULE else None
    form = extra.pop("form", None) or HandleForm(initial={"way": alert.rule.handling})
    return {
        "alert": alert, "evidence": selectors.evidence_items(alert), "handlings": handlings, "can_handle": can_handle,
        "form": form, "answer_form": extra.pop("answer_form", None) or AnswerForm(),
        "flag": selectors.alert_flag(alert), "place": names.get(alert.region_code, alert.region_code),
        "office": names.get(alert.office_code, alert.office_code), "report": report,
        "pending_referrals": [h for h in handlings if h.way == Handling.REFER and not h.answer],
        # the lines' pages of the alert's household (the assistance line's 救助链 …), as registered
        "line_links": household_links(user, alert.household) if alert.household_id else [], **extra,
    }  # fmt: skip


@login_required
def alert_detail(request, number):
    alert = selectors.alert_get(user=request.user, number=number)
    return render(request, "workbench/monitoring/alert.html", _detail_context(request, alert))


@login_required
@require_POST
def alert_handle(request, number):
    alert = selectors.alert_get(user=request.user, number=number)
    form = HandleForm(request.POST)
    status = 422
    if form.is_valid():
        d = form.cleaned_data
        try:
            h = services.alert_handle(
                user=request.user, alert=alert, way=d["way"], note=d["note"], department=d["department"],
                answer=d["answer"], closes=d["closes"],
            )  # fmt: skip
        except Refused as exc:
            form.add_error(None, "；".join(exc.messages))
            status = 409
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            text = f"已记录处置：{Handling(h.way).label}"
            if h.case_number:
                text += f"，已发起复核办件 {h.case_number}"
            messages.success(request, text)
            return redirect("workbench:monitoring:alert", number=alert.number)
    alert.refresh_from_db()
    return render(request, "workbench/monitoring/alert.html", _detail_context(request, alert, form=form), status=status)


@login_required
@require_POST
def referral_answer(request, number, pk):
    alert = selectors.alert_get(user=request.user, number=number)
    handling = get_object_or_404(AlertHandling, pk=pk, alert=alert)
    form = AnswerForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.alert_referral_answer(
                user=request.user, handling=handling, answer=form.cleaned_data["answer"],
                closes=form.cleaned_data["closes"],
            )  # fmt: skip
        except Refused as exc:
            form.add_error(None, "；".join(exc.messages))
            status = 409
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记{handling.department}的反馈")
            return redirect("workbench:monitoring:alert", number=alert.number)
    return render(
        request, "workbench/monitoring/alert.html", _detail_context(request, alert, answer_form=form), status=status
    )


# ---------------------------------------------------------------- 主动发现


@login_required
def discovery(request):
    user = request.user
    require(user, "monitoring.view")
    townships = township_choices(user, "monitoring.view")
    region = request.GET.get("region", "")
    region = region if region in dict(townships) else ""
    by_township = selectors.discovery_by_township(user=user)
    names = region_names([r["office_code"] for r in by_township])
    summary = [{**r, "name": names.get(r["office_code"], r["office_code"])} for r in by_township]
    qs = selectors.alert_search(user=user, state=selectors.PENDING, discovery=True, region=region[:9] if region else "")
    page = paged(request, qs.order_by("office_code", "due", "pk"))
    place = region_names({a.region_code for a in page})
    rows = [{"alert": a, "flag": selectors.alert_flag(a), "place": place.get(a.region_code, "")} for a in page]
    context = {"summary": summary, "page": page, "rows": rows, "region": region, "townships": townships,
               "params": query_params(request, "region")}  # fmt: skip
    return render(request, "workbench/monitoring/discovery.html", context)


# ---------------------------------------------------------------- 困难报告


@login_required
def report_list(request):
    user = request.user
    require(user, "monitoring.view")
    qs = selectors.reports_for(user).order_by("-created_at", "-pk")
    replied = request.GET.get("replied", "")
    if replied == "0":
        qs = qs.filter(replied_at__isnull=True)
    elif replied == "1":
        qs = qs.filter(replied_at__isnull=False)
    page = paged(request, qs)
    names = region_names({r.region_code for r in page})
    rows = [{"report": r, "place": names.get(r.region_code, r.region_code)} for r in page]
    context = {"page": page, "rows": rows, "replied": replied, "params": query_params(request, "replied"),
               "can_enter": has_permission(user, "monitoring.handle")}  # fmt: skip
    return render(request, "workbench/monitoring/reports.html", context)


@login_required
def report_new(request):
    user = request.user
    require(user, "monitoring.handle")
    villages = _village_choices(user)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, villages=villages)
        if form.is_valid():
            d = form.cleaned_data
            photo = d.pop("photo")
            try:
                report = services.hardship_report(user=user, photo=photo, photo_name=photo.name if photo else "", **d)
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 422
            else:
                messages.success(request, f"已登记困难报告，受理编号 {report.number}，查询码 {report.access_code}"
                                          "（请告知报告人，凭受理编号和查询码可在网上查询；查询码不再显示），已推送乡镇（街道）核实")  # fmt: skip
                return redirect("workbench:monitoring:report", number=report.number)
        else:
            status = 422
    else:
        form = ReportForm(villages=villages)
    return render(request, "workbench/monitoring/report_new.html", {"form": form}, status=status)


@login_required
def report_detail(request, number):
    user = request.user
    report = selectors.report_get(user=user, number=number)
    form = ReplyForm(initial={"reply": report.reply})
    status = 200
    if request.method == "POST" and "new_code" in request.POST:
        code = services.hardship_report_code_reset(user=user, report=report)
        messages.success(request, f"已为困难报告 {report.number} 生成新的查询码 {code}，原查询码作废。"
                                  "请告知报告人（查询码不再显示）。")  # fmt: skip
        return redirect("workbench:monitoring:report", number=report.number)
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.hardship_reply(user=user, report=report, reply=form.cleaned_data["reply"])
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 422
            else:
                messages.success(request, "已保存答复" + ("并短信告知报告人" if report.reporter_phone_masked else ""))
                return redirect("workbench:monitoring:report", number=report.number)
        else:
            status = 422
    context = {
        "report": report, "form": form, "place": region_names([report.region_code]).get(report.region_code, ""),
        "can_reply": has_permission(user, "monitoring.handle", report.region_code),
    }  # fmt: skip
    return render(request, "workbench/monitoring/report.html", context, status=status)


# ---------------------------------------------------------------- 监测规则


@login_required
def rules(request):
    user = request.user
    require(user, "monitoring.view")
    prefixes = user_prefixes(user, "monitoring.view")
    region = prefixes[0] if prefixes is not ALL and prefixes else ""
    context = {
        "rows": selectors.rules_with_thresholds(user=user, region_code=region),
        "region_name": region_names([region.ljust(12, "0")]).get(region.ljust(12, "0"), "全国") if region else "全国",
        "can_configure": has_permission(user, "monitoring.configure"),
        "can_run": has_permission(user, "monitoring.run"),
        "severities": Severity.choices,
    }
    return render(request, "workbench/monitoring/rules.html", context)


@login_required
@require_POST
def rule_edit(request, code):
    require(request.user, "monitoring.configure")
    rule = get_object_or_404(MonitoringRule, code=code)
    severity = request.POST.get("severity") or None
    enabled = {"1": True, "0": False}.get(request.POST.get("enabled", ""))
    try:
        services.rule_set(user=request.user, rule=rule, enabled=enabled, severity=severity)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已保存规则「{rule.name}」")
    return redirect(reverse("workbench:monitoring:rules") + f"#rule-{rule.code}")


@login_required
@require_POST
def run_now(request):
    user = request.user
    require(user, "monitoring.run")
    prefixes = user_prefixes(user, "monitoring.run")
    region = "" if prefixes is ALL else (prefixes[0] if len(prefixes) == 1 else "")
    if prefixes is not ALL and len(prefixes) != 1:
        messages.error(request, "您被授权多个区划，请用命令行 minzheng monitor run --region 指定区划运行")
        return redirect("workbench:monitoring:rules")
    rule = request.POST.get("rule", "")
    job = run_enqueue(user=user, region=region, rules=[rule] if rule else [])
    return redirect("workbench:system:job_detail", pk=job.pk)
