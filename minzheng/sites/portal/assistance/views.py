"""The 授权书 pages of the means questionnaire: signing on the sign step (本人, an SMS code to the
member's registry phone, a request to the member's own account, 代为签署) and 待我确认的授权 (a
member answering a request in their own account). URL paths are under ``/portal/apply/`` in the
``portal`` namespace, included by the portal through the plugin's ``urlpatterns``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from minzheng.foundation.audit.middleware import client_ip

from .. import apply as svc
from ..services import Throttled
from ..session import citizen_of, citizen_required
from ..views_apply import bound_or_pointer, errors_of, page, step_page
from . import means
from .forms import SignForm


def _sign_page(request, draft, index, errors, notice=""):
    return step_page(request, draft, "sign", errors=errors, extra={"error_index": index, "notice": notice})


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
        means.draft_sign(citizen=citizen, draft=draft, index=index, **form.cleaned_data)
    except ValidationError as exc:
        return _sign_page(request, draft, index, errors_of(exc))
    return _signed(pk, index)


@require_POST
@citizen_required
def apply_sign_code(request, pk, index):
    """Send the member a code to the phone the registry holds for them (shown masked)."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        masked = means.draft_sign_code_send(citizen=citizen, draft=draft, index=index, ip=client_ip(request))
    except ValidationError as exc:
        response = _sign_page(request, draft, index, errors_of(exc))
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
        means.draft_sign_code_confirm(citizen=citizen, draft=draft, index=index, code=request.POST.get("code", ""),
                                      agree=request.POST.get("agree") == "on")  # fmt: skip
    except ValidationError as exc:
        return _sign_page(request, draft, index, errors_of(exc))
    return _signed(pk, index)


@require_POST
@citizen_required
def apply_sign_ask(request, pk, index):
    """Ask the member to confirm in their own portal account."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        means.draft_sign_ask(citizen=citizen, draft=draft, index=index)
    except ValidationError as exc:
        return _sign_page(request, draft, index, errors_of(exc))
    return _signed(pk, index)


@require_POST
@citizen_required
def apply_sign_proxy(request, pk, index):
    """代为签署: recorded as such; the member's own paper 授权书 is due at 受理."""
    citizen = citizen_of(request)
    draft = svc.draft_get(citizen=citizen, pk=pk)
    try:
        means.draft_sign_proxy(citizen=citizen, draft=draft, index=index, agree=request.POST.get("proxy") == "on")
    except ValidationError as exc:
        return _sign_page(request, draft, index, errors_of(exc))
    return _signed(pk, index)


@citizen_required
def consents(request):
    """待我确认的授权: requests from family members to confirm a 授权书 in this account."""
    if (pointer := bound_or_pointer(request)) is not None:
        return pointer
    citizen = citizen_of(request)
    template = "portal/assistance/consents.html"
    if request.method == "POST":
        try:
            pk = int(request.POST.get("request", ""))
        except ValueError:
            raise Http404("没有待您确认的授权") from None
        agree = request.POST.get("answer") == "agree"
        if agree and request.POST.get("agree") != "on":
            return page(request, template, {
                "rows": means.sign_requests_for(citizen), "errors": {"agree": ["请勾选“本人已阅读上述授权内容，同意授权核对”"]},
                "error_pk": pk}, status=422)  # fmt: skip
        means.sign_request_answer(citizen=citizen, pk=pk, agree=agree)
        return page(request, template, {
            "rows": means.sign_requests_for(citizen),
            "notice": "已同意授权，授权书已签署。" if agree else "已答复不同意授权，申请人将看到您的答复。"})  # fmt: skip
    return page(request, template, {"rows": means.sign_requests_for(citizen)})


urlpatterns = (
    path("apply/<int:pk>/sign/<int:index>/", apply_sign, name="apply_sign"),
    path("apply/<int:pk>/sign/<int:index>/code/", apply_sign_code, name="apply_sign_code"),
    path("apply/<int:pk>/sign/<int:index>/confirm/", apply_sign_confirm, name="apply_sign_confirm"),
    path("apply/<int:pk>/sign/<int:index>/proxy/", apply_sign_proxy, name="apply_sign_proxy"),
    path("apply/<int:pk>/sign/<int:index>/ask/", apply_sign_ask, name="apply_sign_ask"),
    path("apply/consents/", consents, name="consents"),
)
