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
