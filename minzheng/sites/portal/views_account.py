"""Portal pages of the citizen's account: home, sign-in with a one-time SMS code, sign-out,
real-name binding (实名认证), 我的消息, and the large-text switch. Thin: parse, call a service in
``services.py``, render. Every form posts (CSRF) and works without JavaScript."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.validation import is_digits

from . import services
from .context import LARGE_TEXT_COOKIE, large_text_on
from .models import ActingAs
from .session import citizen_login, citizen_logout, citizen_of, citizen_required

LOGIN_PHONE = "portal_login_phone"  # the phone a code was sent to, between the two sign-in steps
LOGIN_NEXT = "portal_login_next"
LARGE_TEXT_AGE = 365 * 24 * 3600


def safe_next(request, value: str | None, default: str = "") -> str:
    """``value`` when it is a path of this portal, else ``default`` (the home page): a sign-in
    link must never send the citizen to another site."""
    value = (value or "").strip()
    if (
        value.startswith("/portal/")
        and not value.startswith(("/portal/login/", "/portal/logout/"))
        and "\\" not in value
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return default or reverse("portal:home")


def _errors_into(form: forms.Form, exc: ValidationError) -> None:
    """Show a refusal of the service on ``form``. A form not submitted (the resend button posts no
    code) has no cleaned data to hold errors: it gets an empty one, so the refusal is shown above an
    empty form instead of failing the page."""
    if not form.is_bound:
        form.cleaned_data, form._errors = {}, ErrorDict()
    for field, messages in getattr(exc, "message_dict", {None: exc.messages}).items():
        form.add_error(field if field in form.fields else None, messages)


def _status(exc: ValidationError) -> int:
    if isinstance(exc, services.Throttled):
        return 429
    return 409 if isinstance(exc, services.Refused) else 422


class PhoneForm(forms.Form):
    phone = forms.CharField(label="手机号码", max_length=20, error_messages={"required": "请输入手机号码"})


class CodeForm(forms.Form):
    code = forms.CharField(label="短信验证码", max_length=10, error_messages={"required": "请输入短信验证码"})


class BindForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请输入姓名"})
    id_number = forms.CharField(label="身份证号码", max_length=20, error_messages={"required": "请输入身份证号码"})


def home(request):
    return render(request, "portal/home.html", {})


def login(request):
    """Step 1: the phone number; a code is sent and the citizen goes on to step 2. The answer is
    the same for a phone that has an account and one that has not."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if citizen_of(request) is not None:
        return redirect(next_url)
    form, status = PhoneForm(request.POST or None), 200
    if request.method == "POST" and form.is_valid():
        try:
            services.login_code_request(phone=form.cleaned_data["phone"], ip=client_ip(request))
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
        else:
            request.session[LOGIN_PHONE] = services.phone_normalise(form.cleaned_data["phone"])
            request.session[LOGIN_NEXT] = next_url
            return redirect("portal:login_code")
    elif request.method == "POST":
        status = 422
    return render(request, "portal/account/login.html", {"form": form, "next": next_url}, status=status)


def login_code(request):
    """Step 2: the code from the SMS (or send another one)."""
    phone = request.session.get(LOGIN_PHONE)
    if not phone:
        return redirect("portal:login")
    next_url = safe_next(request, request.session.get(LOGIN_NEXT))
    form, status, resent = CodeForm(request.POST or None), 200, False
    if request.method == "POST" and request.POST.get("action") == "resend":
        form = CodeForm()
        try:
            services.login_code_request(phone=phone, ip=client_ip(request))
            resent = True
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
    elif request.method == "POST" and form.is_valid():
        try:
            citizen = services.login_code_verify(phone=phone, code=form.cleaned_data["code"], ip=client_ip(request))
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
        else:
            request.session.pop(LOGIN_PHONE, None)
            request.session.pop(LOGIN_NEXT, None)
            citizen_login(request, citizen)
            response = redirect(next_url)
            if LARGE_TEXT_COOKIE not in request.COOKIES and citizen.large_text:
                _set_large_cookie(response, True)
            return response
    elif request.method == "POST":
        status = 422
    context = {"form": form, "phone_masked": services.mask_phone(phone), "resent": resent}
    return render(request, "portal/account/login_code.html", context, status=status)


def logout(request):
    """GET shows the button (no JavaScript needed); POST signs out."""
    citizen = citizen_of(request)
    if request.method != "POST":
        if citizen is None:
            return redirect("portal:home")
        return render(request, "portal/account/logout.html", {})
    if citizen is not None:
        services.citizen_logout_record(citizen=citizen, ip=client_ip(request))
    citizen_logout(request)
    return redirect(reverse("portal:home") + "?bye=1")


@citizen_required
def account(request):
    """我的账户: phone, real-name binding (masked ID only), whom the citizen may apply for."""
    citizen = citizen_of(request)
    form, status = BindForm(request.POST or None), 200
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_bind(citizen=citizen, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
            status = _status(exc)
        else:
            return redirect(reverse("portal:account") + "?bound=1")
    elif request.method == "POST":
        status = 422
    options = services.acting_options(citizen) if citizen.verified_at else []
    context = {
        "form": form,
        "family": [o for o in options if o.acting_as == ActingAs.FAMILY],
        "village_count": sum(1 for o in options if o.acting_as == ActingAs.ASSISTANT),
    }
    return render(request, "portal/account/account.html", context, status=status)


@citizen_required
def messages(request):
    """我的消息: the texts sent to the citizen's phone about their cases."""
    citizen = citizen_of(request)
    page = services.citizen_messages_page(citizen, request.GET.get("page"))
    return render(request, "portal/account/messages.html", {"page": page})


@require_POST
@citizen_required
def messages_read(request):
    """Mark one message (``id``) or all of the citizen's messages read."""
    citizen = citizen_of(request)
    raw = request.POST.get("id", "")
    ids = [int(raw)] if is_digits(raw) else None
    services.citizen_messages_read(citizen=citizen, message_ids=ids)
    return redirect(safe_next(request, request.POST.get("next"), reverse("portal:messages")))


def _set_large_cookie(response, on: bool) -> None:
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if on else "0",
        max_age=LARGE_TEXT_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


@require_POST
def large_text(request):
    """Switch large-text mode (a form, no JavaScript): a cookie for this browser, and the
    preference of the signed-in citizen for their other devices."""
    citizen = citizen_of(request)
    raw = request.POST.get("on")
    on = raw == "1" if raw in ("0", "1") else not large_text_on(request, citizen)
    if citizen is not None:
        services.citizen_set_large_text(citizen=citizen, on=on)
    response = redirect(safe_next(request, request.POST.get("next")))
    _set_large_cookie(response, on)
    return response
