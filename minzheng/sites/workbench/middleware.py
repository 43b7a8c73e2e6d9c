"""Security headers of the staff workbench (every page outside ``/portal/``, ``/api/``, ``/admin/``).

The Content-Security-Policy (``settings.MINZHENG_WORKBENCH_CSP``) is as strict as the portal's:
only this site's own scripts, styles and images (plus ``data:`` images), forms posting to this
site, never framed, no ``<base>``. So workbench templates carry no inline ``<script>``, ``<style>``,
``style=`` or ``on…=`` handler, and htmx runs without eval (``hx-on`` is replaced by
``workbench.js``; see the ``htmx-config`` meta in ``base.html``).

Left out: ``/portal/`` (its own middleware), ``/api/`` (JSON, and the OpenAPI page loads its
viewer from a CDN) and ``/admin/`` (Django's admin, for superusers only).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model, logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from minzheng.foundation.accounts.lockout import account_refusal
from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.audit.middleware import client_ip
from minzheng.foundation.audit.services import audit_record

DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
OUTSIDE = ("/portal/", "/api/", "/admin/")


class WorkbenchSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = getattr(settings, "MINZHENG_WORKBENCH_CSP", "") or DEFAULT_CSP

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(OUTSIDE):
            return response
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class WorkbenchAccountMiddleware:
    """A signed-in session whose account was locked (django-axes) or disabled since it signed in is
    ended at its next request, as the account's API tokens are refused (``sites.api.auth``): logged
    out, audited, and sent to the sign-in page with the reason in Chinese. A disabled account's
    session is already anonymous to Django (``ModelBackend`` ignores inactive users), so the user is
    looked up from the session itself. ``/portal/`` (citizens' own sessions) and ``/api/`` (tokens)
    are left to their own checks."""

    OUTSIDE = ("/portal/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith((*self.OUTSIDE, settings.STATIC_URL)):
            user = self._session_user(request)
            refusal = account_refusal(request, user, session=True) if user is not None else ""
            if refusal:
                return self._end(request, user, refusal)
        return self.get_response(request)

    @staticmethod
    def _session_user(request):
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return request.user
        pk = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if pk is None or not request.session.get(BACKEND_SESSION_KEY):
            return None
        return get_user_model()._default_manager.filter(pk=pk).first()

    @staticmethod
    def _end(request, user, refusal: str):
        with acting_as(Actor(user.pk, user.get_username(), client_ip(request), "web")):
            audit_record(action="logout", object_type="accounts.user", object_id=user.pk,
                         summary=f"{user.get_username()} 的登录会话已终止：{refusal[:60]}")  # fmt: skip
        logout(request)
        messages.error(request, refusal)
        login = reverse("workbench:login")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login
            return response
        return redirect(login)
