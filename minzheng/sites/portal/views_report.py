"""一键报贫 on the portal: anyone — signed in or not — reports a person or family in difficulty,
for themselves or someone else, anonymously if they wish, with the place picked from the region
tree down to the village (works without JavaScript: each choice reloads the form with the next
level; ``report.js`` fills the next level in place), an optional address and an optional photo.

The report goes through :func:`minzheng.engines.monitoring.services.hardship_report` (it checks
the place, sniffs and limits the photo, raises the township's alert with its due date and audits
it). The reporter gets the reference number on a confirmation page and later reads the reply at
``/portal/report/<number>/`` with the number plus the last four digits of the phone they gave; the
number alone shows only the status, never the content (always so for an anonymous report).

Throttling: new reports per client IP are counted in the audit log (database-backed, so every
worker process sees the same count); reply look-ups per IP in the cache.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from minzheng.engines.monitoring.models import AlertState, HardshipReport, ReportChannel
from minzheng.engines.monitoring.services import LANDLINE, MOBILE, hardship_report
from minzheng.foundation.audit.context import Actor, _current
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.regions.models import Level
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import is_digits

from .regions import LEVEL_LABELS, region_children, region_chosen_from, region_picker
from .session import citizen_of

REPORTS_PER_HOUR = 5  # new reports per client IP (counted in the audit log)
LOOKUPS_PER_HOUR = 20  # wrong number/phone-tail answers per client IP (cache)
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
    reporter_phone = forms.CharField(label="您的联系电话（便于答复，凭后4位查询答复）", max_length=20, required=False)
    photo = forms.FileField(label="现场照片（可不传，限 JPG、PNG）", required=False)

    def clean(self):
        # checked here too (the service checks it again) so that every mistake shows at once
        d = super().clean()
        phone = re.sub(r"\s", "", d.get("reporter_phone") or "").removeprefix("+86")
        if phone and not d.get("anonymous") and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            self.add_error("reporter_phone", "联系电话须为11位手机号或带区号的固定电话")
        return d


class LookupForm(forms.Form):
    tail = forms.CharField(
        label="报告时所留电话的后4位", min_length=4, max_length=4,
        error_messages={"required": "请输入电话号码后4位", "min_length": "请输入电话号码后4位",
                        "max_length": "请输入电话号码后4位"},
    )  # fmt: skip


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
                    request.session[DONE_KEY] = r.number
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
    """The confirmation with the reference number (kept in the session by the POST that made it)."""
    number = request.session.get(DONE_KEY)
    r = HardshipReport.objects.select_related("alert").filter(number=number).first() if number else None
    if r is None:
        return redirect("portal:report")
    place = region_names([r.region_code]).get(r.region_code, "")
    return render(request, "portal/report/done.html", {"report": r, "place": place})


# ---------------------------------------------------------------- the reply, by number + phone tail


def _lookup_throttled(ip: str) -> bool:
    return cache.get(f"portal:report-lookup:{ip}", 0) >= LOOKUPS_PER_HOUR


def _lookup_failed(ip: str) -> None:
    key = f"portal:report-lookup:{ip}"
    cache.set(key, cache.get(key, 0) + 1, 3600)


def report_status(request, number):
    """The status of report ``number`` (anyone with the number); with the last four digits of the
    reporter's phone (POST) also what was reported and the reply. An anonymous report, or one
    without a phone, shows the status only."""
    _as_visitor(request)
    r = HardshipReport.objects.select_related("alert").filter(number=(number or "").strip().upper()).first()
    if r is None:
        return render(request, "portal/report/find.html", {"missing": number}, status=404)
    state = r.alert.state if r.alert else AlertState.OPEN
    can_unlock = not r.anonymous and len(r.reporter_phone or "") >= 4
    form = LookupForm()
    unlocked = False
    status = 200
    if request.method == "POST" and can_unlock:
        form = LookupForm(request.POST)
        ip = client_ip(request)
        if _lookup_throttled(ip):
            form.is_valid()
            form.add_error(None, "查询过于频繁，请一小时后再试")
            status = 429
        elif form.is_valid():
            digits = "".join(ch for ch in r.reporter_phone if is_digits(ch))
            if hmac.compare_digest(digits[-4:].encode(), form.cleaned_data["tail"].strip().encode()):
                unlocked = True
            else:
                _lookup_failed(ip)
                form.add_error("tail", "电话号码后4位不对，请核对后再试")
                status = 422
        else:
            status = 422
    context = {
        "report": r, "state_text": STATUS_TEXT.get(state, "处理中"), "closed": state == AlertState.CLOSED,
        "replied": bool(r.reply), "can_unlock": can_unlock, "unlocked": unlocked, "form": form,
        "place": region_names([r.region_code]).get(r.region_code, "") if unlocked else "",
    }  # fmt: skip
    return render(request, "portal/report/status.html", context, status=status)


def report_find(request):
    """The form to look a report up by its number (redirects to its page)."""
    number = (request.GET.get("number") or "").strip().upper()
    if not number:
        return render(request, "portal/report/find.html", {})
    if "/" in number:  # no report number has one (and no URL could be made of it)
        return render(request, "portal/report/find.html", {"missing": number}, status=404)
    return redirect(reverse("portal:report_status", args=[number]))
