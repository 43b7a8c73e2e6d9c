"""Security of the citizen portal (paths under ``/portal/`` only; the workbench keeps its own).

- A strict Content-Security-Policy (``settings.MINZHENG_PORTAL_CSP``): only this site's own
  scripts, styles and images (plus ``data:`` images), forms posting to this site, never framed —
  so portal templates carry no inline script or style.
- ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin``, a ``Permissions-Policy`` that allows
  the camera (photographing materials) for this site and nothing else.
- A staff login does not count here: ``request.user`` is anonymous on portal pages and the audit
  actor is the visitor (channel ``portal``) until ``session.citizen_of`` names the citizen. The
  other way round, a citizen session holds no staff user, so the workbench asks for a login.
- Pages seen by a signed-in citizen are not stored by the browser or a proxy (shared phones).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from minzheng.foundation.audit.context import Actor, _current
from minzheng.foundation.audit.middleware import client_ip

from .session import INSTITUTION_KEY, SESSION_KEY

PREFIX = "/portal/"
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


async def _anonymous():
    return AnonymousUser()


class PortalSecurityMiddleware:
    """Placed after ``RequestContextMiddleware`` (it replaces the actor that one bound)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = getattr(settings, "MINZHENG_PORTAL_CSP", "") or DEFAULT_CSP

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        request.user = AnonymousUser()
        request.auser = _anonymous
        token = _current.set(Actor(None, "anonymous", client_ip(request), "portal"))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        session = getattr(request, "session", None)
        if (
            session is not None
            and (SESSION_KEY in session or INSTITUTION_KEY in session)
            and "Cache-Control" not in response.headers
        ):
            response.headers["Cache-Control"] = "private, no-store"
        return response
