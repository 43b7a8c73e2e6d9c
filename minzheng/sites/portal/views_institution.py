"""The institution site of the portal (机构端, ADR 0020): an entity's own staff sign in with the
account the bureau opened for them (login name + password, then an SMS code to the account's phone),
and see their own entity only — its hazards with the rectification form (text and photos), its
annual reports (fill and submit), an API token, and the pages a line registers
(``institution.INSTITUTION_PAGES``). Every object named in a URL is looked up through the account's
entity (``institutions.scoped``): another entity's is a 404. A citizen's session is not an
institution session, nor the other way round. Generic: names no business line."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from minzheng.engines.supervision import institutions, reports, services
from minzheng.engines.supervision.kinds import KINDS, attributes_clean
from minzheng.engines.supervision.models import Channel, Hazard, HazardState, ReportState, ReportTemplate
from minzheng.foundation.audit.middleware import client_ip

from . import services as portal_services
from .institution import INSTITUTION_PAGES, pages_for
from .session import institution_login, institution_of, institution_required
from .views_account import _errors_into, safe_next
from .views_account import _status as _citizen_status

LOGIN_ACCOUNT = "portal_inst_pending"  # the account whose password passed, between the two steps
LOGIN_NEXT = "portal_inst_next"


class PasswordForm(forms.Form):
    username = forms.CharField(label="登录名", max_length=40, error_messages={"required": "请输入登录名"})
    password = forms.CharField(label="密码", max_length=128, widget=forms.PasswordInput,
                               error_messages={"required": "请输入密码"})  # fmt: skip


class CodeForm(forms.Form):
    code = forms.CharField(label="短信验证码", max_length=10, error_messages={"required": "请输入短信验证码"})


class RectifyForm(forms.Form):
    text = forms.CharField(label="整改情况", max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": "请填写整改情况"})  # fmt: skip


def _status(exc: ValidationError) -> int:
    return 429 if isinstance(exc, institutions.Throttled) else _citizen_status(exc)


def _home() -> str:
    return reverse("portal:inst_home")


def _next(request, value) -> str:
    value = safe_next(request, value, _home())
    return value if value.startswith("/portal/institution/") else _home()


def login(request):
    """Step 1: login name and password; when they are right, a code goes to the account's phone."""
    next_url = _next(request, request.POST.get("next") or request.GET.get("next"))
    if institution_of(request) is not None:
        return redirect(next_url)
    form, status = PasswordForm(request.POST or None), 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            account = institutions.password_check(**form.cleaned_data, ip=ip)
            portal_services.institution_code_request(account=account, ip=ip)
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
        else:
            request.session[LOGIN_ACCOUNT] = account.pk
            request.session[LOGIN_NEXT] = next_url
            return redirect("portal:inst_login_code")
    elif request.method == "POST":
        status = 422
    return render(request, "portal/institution/login.html", {"form": form, "next": next_url}, status=status)


def login_code(request):
    """Step 2: the SMS code (or send another)."""
    account = institutions.account_get(request.session.get(LOGIN_ACCOUNT) or 0)
    if account is None:
        return redirect("portal:inst_login")
    form, status, resent = CodeForm(request.POST or None), 200, False
    ip = client_ip(request)
    if request.method == "POST" and request.POST.get("action") == "resend":
        form = CodeForm()
        try:
            portal_services.institution_code_request(account=account, ip=ip)
            resent = True
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
    elif request.method == "POST" and form.is_valid():
        try:
            portal_services.institution_code_verify(account=account, code=form.cleaned_data["code"])
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
        else:
            next_url = _next(request, request.session.get(LOGIN_NEXT))
            institution_login(request, account)
            institutions.signed_in(account=account, ip=ip)
            return redirect(next_url)
    elif request.method == "POST":
        status = 422
    context = {"form": form, "phone_masked": account.phone_masked, "resent": resent}
    return render(request, "portal/institution/login_code.html", context, status=status)


def logout(request):
    account = institution_of(request)
    if request.method != "POST":
        if account is None:
            return redirect("portal:home")
        return render(request, "portal/institution/logout.html", {"account": account})
    if account is not None:
        institutions.signed_out(account=account, ip=client_ip(request))
    request.session.flush()
    return redirect(reverse("portal:home") + "?bye=1")


def _context(account, **extra) -> dict:
    s = account.supervised
    kind = KINDS.get(s.kind)
    return {"account": account, "s": s, "entity": s.entity, "kind_label": kind.label if kind else s.kind,
            "pages": pages_for(s.kind), **extra}  # fmt: skip


@institution_required
def home(request):
    account = institution_of(request)
    s = account.supervised
    year = timezone.localdate().year
    hazards = institutions.scoped(Hazard.objects.all(), account).order_by("state", "deadline", "pk")
    context = _context(
        account,
        hazards=hazards.exclude(state=HazardState.CLOSED),
        closed=hazards.filter(state=HazardState.CLOSED).order_by("-closed_on", "-pk")[:20],
        templates=[
            (t, [y for y in (year - 1, year) if y >= t.first_year])
            for t in ReportTemplate.objects.filter(kind=s.kind).order_by("code")
        ],
        reports=institutions.scoped(s.annual_reports.all(), account).select_related("template")[:20],
    )
    return render(request, "portal/institution/home.html", context)


def _hazard(account, pk) -> Hazard:
    return get_object_or_404(institutions.scoped(Hazard.objects.select_related("supervised__entity"), account), pk=pk)


@institution_required
def hazard(request, pk, form=None, status=200):
    account = institution_of(request)
    h = _hazard(account, pk)
    context = _context(
        account, h=h, form=form or RectifyForm(), rectifications=h.rectifications.prefetch_related("photos"),
        can_submit=h.state in (HazardState.OPEN, HazardState.RETURNED),
    )  # fmt: skip
    return render(request, "portal/institution/hazard.html", context, status=status)


@require_POST
@institution_required
def hazard_rectify(request, pk):
    account = institution_of(request)
    h = _hazard(account, pk)
    form = RectifyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                photos = [
                    services.photo_store(user=None, data=f, name=f.name, region_code=h.region_code)
                    for f in request.FILES.getlist("photos")[: services.PHOTOS_MAX]
                ]
                services.rectification_submit(user=None, hazard=h, text=form.cleaned_data["text"], photos=photos,
                                              channel=Channel.INSTITUTION, submitted_by_name=account.name)  # fmt: skip
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            return redirect(reverse("portal:inst_hazard", args=[h.pk]) + "?sent=1")
    return hazard(request, pk, form=form, status=422)


def _template(account, code: str) -> ReportTemplate:
    return get_object_or_404(ReportTemplate, code=code, kind=account.supervised.kind)


@institution_required
def report(request, code, year):
    """Fill in (save) and submit the annual report of ``year`` along the kind's template."""
    account = institution_of(request)
    s = account.supervised
    template = _template(account, code)
    if not (template.first_year <= year <= timezone.localdate().year):
        raise Http404("没有该年度的报告")
    existing = institutions.scoped(s.annual_reports.all(), account).filter(template=template, year=year).first()
    kind = reports.template_kind(template)
    values = dict(existing.values) if existing else {}
    errors, status = {}, 200
    if request.method == "POST":
        raw = {a.code: request.POST.get(a.code, "").strip() for a in kind.attributes}
        values = {**values, **raw}
        given = {c: v for c, v in raw.items() if v != ""}
        try:
            attributes_clean(kind, given)
            with transaction.atomic():
                saved = reports.report_save(user=None, template=template, supervised=s, year=year, values=given,
                                            channel=Channel.INSTITUTION, filed_by_name=account.name)  # fmt: skip
                if request.POST.get("action") == "submit":
                    reports.report_submit(user=None, report=saved, channel=Channel.INSTITUTION,
                                          filed_by_name=account.name)  # fmt: skip
        except ValidationError as exc:
            errors = getattr(exc, "message_dict", {"__all__": exc.messages})
            status = 422
        else:
            done = "submitted" if request.POST.get("action") == "submit" else "saved"
            return redirect(reverse("portal:inst_report", args=[code, year]) + f"?{done}=1")
    editable = existing is None or existing.state in (ReportState.DRAFT, ReportState.RETURNED)
    fields = [{"a": a, "value": values.get(a.code, ""), "errors": errors.get(a.code, [])} for a in kind.attributes]
    other = [m for f, ms in errors.items() if f not in {a.code for a in kind.attributes} for m in ms]
    context = _context(account, template=template, year=year, report=existing, fields=fields, editable=editable,
                       other_errors=other)  # fmt: skip
    return render(request, "portal/institution/report.html", context, status=status)


@institution_required
def token(request):
    """接口令牌: generate a token for the institution's own system (shown once)."""
    account = institution_of(request)
    plain = ""
    if request.method == "POST":
        plain = institutions.token_issue(account=account, ip=client_ip(request))
    return render(request, "portal/institution/token.html", _context(account, plain=plain))


@institution_required
def page(request, code, subpath=""):
    """A page a line registered for the account's kind (``institution.INSTITUTION_PAGES``)."""
    account = institution_of(request)
    entry = INSTITUTION_PAGES.get(code)
    if entry is None or not entry.serves(account.supervised.kind):
        raise Http404("页面不存在")
    return entry.view(request, account, account.supervised, subpath)
