"""一键报贫 on the portal: anyone — signed in or not — reports a person or family in difficulty,
for themselves or someone else, anonymously if they wish, with the place picked from the region
tree down to the village (works without JavaScript: each choice reloads the form with the next
level; ``report.js`` fills the next level in place), an optional address and an optional photo.

The report goes through :func:`minzheng.engines.monitoring.services.hardship_report` (it checks
the place, sniffs and limits the photo, raises the township's alert with its due date and audits
it). The reporter gets the reference number and a random 查询码 on the confirmation page
(:mod:`minzheng.engines.monitoring.report_codes`) and later reads the status at
``/portal/report/find/`` with both — with what was reported and the reply, unless the report was
anonymous. Without the code nothing is shown, not even whether the number exists: a wrong code, a
report without a code and an unknown number get the same page (issue 14 item 2).

Throttling: new reports per client IP, and failed look-ups per client IP and per reference number,
are counted in the audit log (database-backed, so every worker process sees the same count and
it survives restarts), as the progress look-up does (:mod:`.views_track`).
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from minzheng.engines.monitoring.models import AlertState, HardshipReport, ReportChannel
from minzheng.engines.monitoring.report_codes import LENGTH, code_normalise
from minzheng.engines.monitoring.selectors import report_by_code
from minzheng.engines.monitoring.services import LANDLINE, MOBILE, hardship_report
from minzheng.foundation.audit.context import Actor, _current
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.regions.models import Level
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import is_digits

from .regions import LEVEL_LABELS, region_children, region_chosen_from, region_picker
from .session import citizen_of

REPORTS_PER_HOUR = 5  # new reports per client IP (counted in the audit log)
LOOKUP_FAILURES_PER_IP_HOUR = 20  # failed look-ups per client IP (audit log)
LOOKUP_FAILURES_PER_REPORT_HOUR = 10  # failed look-ups per reference number, from any address (audit log)
LOOKUP_TYPE = "portal.report_lookup"
NOT_FOUND = "未查询到匹配的困难报告。请核对受理编号和查询码；如查询码遗失，请联系所在乡镇（街道）重新生成。"
THROTTLED = "查询过于频繁，请一小时后再试，或到所在乡镇（街道）社会救助窗口咨询。"
DONE_KEY = "portal_report_done"
STATUS_TEXT = {
    AlertState.OPEN: "已登记，等待乡镇（街道）核实",
    AlertState.HANDLING: "乡镇（街道）正在核实处理",
    AlertState.CLOSED: "已办结",
}


class ReportForm(forms.Form):
    for_self = forms.TypedChoiceField(
        label="为谁报告", choices=[("0", "为他人报告"), ("1", "为本人报告")], coerce=lambda v: v == "1",
        initial="0", widget=forms.RadioSelect,
    )  # fmt: skip
    subject_name = forms.CharField(label="困难对象姓名（可不填）", max_length=50, required=False)
    description = forms.CharField(
        label="困难情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "请描述困难情况", "max_length": "困难情况不能超过2000字"},
    )  # fmt: skip
    address = forms.CharField(label="详细地址（可不填）", max_length=200, required=False)
    anonymous = forms.BooleanField(label="匿名报告（不留姓名和电话，只能查询办理状态，看不到答复内容）", required=False)
    reporter_name = forms.CharField(label="您的姓名（可不填）", max_length=50, required=False)
    reporter_phone = forms.CharField(
        label="您的联系电话（便于核实，手机号可收到答复短信）", max_length=20, required=False
    )
    photo = forms.FileField(label="现场照片（可不传，限 JPG、PNG）", required=False)

    def clean(self):
        # checked here too (the service checks it again) so that every mistake shows at once
        d = super().clean()
        phone = re.sub(r"\s", "", d.get("reporter_phone") or "").removeprefix("+86")
        if phone and not d.get("anonymous") and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            self.add_error("reporter_phone", "联系电话须为11位手机号或带区号的固定电话")
        return d


class LookupForm(forms.Form):
    number = forms.CharField(
        label="受理编号", max_length=30, error_messages={"required": "请输入受理编号", "max_length": "受理编号不对"}
    )
    code = forms.CharField(
        label="查询码", max_length=40,
        error_messages={"required": "请输入查询码", "max_length": f"查询码是{LENGTH}位字母和数字"},
    )  # fmt: skip

    def clean_number(self):
        return _typed_number(self.cleaned_data["number"])

    def clean_code(self):
        code = code_normalise(self.cleaned_data["code"])
        if not code:
            raise ValidationError(f"查询码是{LENGTH}位字母和数字，请照提交报告时显示的查询码输入")
        return code


def _as_visitor(request) -> None:
    """Audit records made during this request name the citizen, or an unnamed visitor, channel
    portal."""
    if citizen_of(request) is None:
        _current.set(Actor(None, "群众（未登录）", client_ip(request), "portal"))


# ---------------------------------------------------------------- the region picker


@require_GET
def regions(request):
    """The regions under ``parent`` as JSON for ``report.js`` (the page works without it)."""
    parent = (request.GET.get("parent") or "").strip()
    if not (is_digits(parent) and len(parent) == 12):
        return JsonResponse({"error": "区划代码应为12位数字"}, status=400)
    options = region_children(parent)
    level = options[0][2] if options else ""
    return JsonResponse({"level": level, "label": LEVEL_LABELS.get(level, ""),
                         "options": [{"code": c, "name": n} for c, n, _ in options]})  # fmt: skip


# ---------------------------------------------------------------- the report form


def _throttled(ip: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    recent = AuditEvent.objects.filter(
        object_type="monitoring.hardshipreport", action="create", channel="portal", ip=ip, at__gte=since
    )
    return recent.count() >= REPORTS_PER_HOUR


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, messages in getattr(exc, "message_dict", {None: exc.messages}).items():
        if field == "region_code":
            form.add_error(None, messages)
        else:
            form.add_error(field if field in form.fields else None, messages)


def report(request):
    """一键报贫: the form (GET, or POST with ``pick`` to list the next level of the place), the
    report (POST), then the confirmation page with the reference number."""
    _as_visitor(request)
    citizen = citizen_of(request)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        chosen = {level: request.POST.get(level, "") for level in LEVEL_LABELS}
        rows, deepest = region_picker(chosen)
        if "pick" not in request.POST:
            ip = client_ip(request)
            if _throttled(ip):
                form.is_valid()
                form.add_error(None, "提交过于频繁，请一小时后再试，或拨打 12345 热线、到村（社区）当面反映")
                status = 429
            elif not form.is_valid():
                status = 422
            elif not deepest:
                form.add_error(None, "请选择困难对象所在的村（社区）或乡镇（街道）")
                status = 422
            else:
                d = form.cleaned_data
                photo = d.pop("photo")
                try:
                    r = hardship_report(
                        channel=ReportChannel.PORTAL, description=d["description"], region_code=deepest,
                        address=d["address"], subject_name=d["subject_name"], for_self=d["for_self"],
                        anonymous=d["anonymous"], reporter_name=d["reporter_name"],
                        reporter_phone=d["reporter_phone"], photo=photo, photo_name=photo.name if photo else "",
                    )  # fmt: skip
                except ValidationError as exc:
                    _apply_errors(form, exc)
                    status = 422
                else:
                    # shown on the confirmation page only (the database keeps its hash); the
                    # session ends with the browser or after 30 idle minutes
                    request.session[DONE_KEY] = {"number": r.number, "code": r.access_code}
                    return redirect("portal:report_done")
    else:
        initial = {}
        if citizen is not None:
            initial = {"reporter_name": citizen.name, "reporter_phone": citizen.phone}
        form = ReportForm(initial=initial)
        start = (request.GET.get("region") or "").strip()
        if not start and citizen is not None and citizen.person_id:
            start = citizen.person.region_code
        chosen = region_chosen_from(start) if is_digits(start) and len(start) == 12 else {}
        chosen.update({level: request.GET[level] for level in LEVEL_LABELS if request.GET.get(level)})
        rows, deepest = region_picker(chosen)
    context = {"form": form, "rows": rows, "deepest": deepest, "citizen": citizen,
               "can_pick_more": bool(rows) and bool(rows[-1]["selected"]) and rows[-1]["level"] != Level.VILLAGE}  # fmt: skip
    return render(request, "portal/report/form.html", context, status=status)


def report_done(request):
    """The confirmation with the reference number and the 查询码 (kept in the session by the POST
    that made the report)."""
    done = request.session.get(DONE_KEY)
    number = done.get("number") if isinstance(done, dict) else None
    r = HardshipReport.objects.select_related("alert").filter(number=number).first() if number else None
    if r is None:
        return redirect("portal:report")
    place = region_names([r.region_code]).get(r.region_code, "")
    return render(request, "portal/report/done.html", {"report": r, "place": place, "code": done.get("code", "")})


# ---------------------------------------------------------------- the status and reply, by number + 查询码


def _lookup_throttled(ip: str, number: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    failed = AuditEvent.objects.filter(object_type=LOOKUP_TYPE, action="lookup_failed", at__gte=since)
    return (
        failed.filter(ip=ip).count() >= LOOKUP_FAILURES_PER_IP_HOUR
        or failed.filter(object_id=number).count() >= LOOKUP_FAILURES_PER_REPORT_HOUR
    )


def _typed_number(value: str) -> str:
    return (value or "").strip().upper()[:30]


def _lookup(request, number: str = ""):
    """The look-up form (GET; ``number`` filled in when the link carries it) and its answer (POST):
    the report's status — with what was reported and the reply, unless it was anonymous — when the
    number and the 查询码 match; one and the same answer for a wrong code, a report without a code
    and a number that does not exist. Every answer to a POST is audited (``portal.report_lookup``);
    failures are limited per client address and per number."""
    _as_visitor(request)
    form = LookupForm(initial={"number": _typed_number(number)})
    status, message = 200, ""
    if request.method == "POST":
        form = LookupForm(request.POST)
        ip = client_ip(request)
        typed = _typed_number(request.POST.get("number", ""))
        if _lookup_throttled(ip, typed):
            status, message = 429, THROTTLED
            audit_record(action="lookup_refused", object_type=LOOKUP_TYPE, object_id=typed,
                         summary="困难报告查询（已限流）")  # fmt: skip
        elif form.is_valid():
            r = report_by_code(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
            audit_record(action="lookup" if r else "lookup_failed", object_type=LOOKUP_TYPE, object_id=typed,
                         region_code=r.region_code if r else "",
                         summary="困难报告查询：" + ("匹配" if r else "未匹配"))  # fmt: skip
            if r is not None:
                return _status_page(request, r)
            message = NOT_FOUND
            form = LookupForm(initial={"number": typed})  # the code typed is never shown again
        else:
            status = 422
    return render(request, "portal/report/find.html", {"form": form, "message": message}, status=status)


def _status_page(request, r: HardshipReport):
    state = r.alert.state if r.alert else AlertState.OPEN
    context = {
        "report": r, "state_text": STATUS_TEXT.get(state, "处理中"), "replied": bool(r.reply),
        "detail": not r.anonymous, "place": region_names([r.region_code]).get(r.region_code, ""),
    }  # fmt: skip
    return render(request, "portal/report/status.html", context)


def report_find(request):
    """查询困难报告: the form with the reference number and the 查询码, and its answer."""
    return _lookup(request, request.GET.get("number", ""))


def report_status(request, number):
    """The link on the confirmation page (and in older messages): the same form, the number filled
    in. Whether the number exists is not told."""
    return _lookup(request, number)
