"""Bearer-token authentication of the API.

Two kinds of token (ADR 0008): a staff token without scopes acts with its user's grants and is
accepted by :class:`BearerToken`; a partner token with scopes (``sources:death``,
``hardship:report``) is accepted only by a :class:`ScopedToken` endpoint requiring one of them and
refused (401) everywhere else, so a partner can push its own data and read nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from minzheng.foundation.accounts.lockout import account_refusal
from minzheng.foundation.accounts.services import token_find, token_mark_used
from minzheng.foundation.audit.context import _current, actor_for_user
from minzheng.foundation.audit.middleware import client_ip


class TokenRefused(AuthenticationError):
    """401 for a real, unexpired token whose account may not act: disabled, or locked out after
    failed logins (django-axes) — locking an account stops its tokens as well as its logins."""

    def __init__(self, detail: str):
        super().__init__(401, detail)
        self.detail = detail


def _accepted(request, plain: str, accept) -> object | None:
    """The token if it exists, is unexpired and ``accept`` takes it; TokenRefused if its account is
    disabled or locked; None otherwise (the generic 401)."""
    found = token_find(plain)
    if found is None or not accept(found):
        return None
    refusal = account_refusal(request, found.user)
    if refusal:
        raise TokenRefused(refusal)
    token_mark_used(found)
    return found


def _act_as(request, token) -> None:
    request.user = token.user
    request.api_token = token
    request.token_scopes = list(token.scopes or [])
    # audit records made by this API call carry the token's user
    _current.set(actor_for_user(token.user, ip=client_ip(request), channel="api"))


class BearerToken(HttpBearer):
    """A staff token: its user's own permissions. Tokens with scopes are refused."""

    def authenticate(self, request, token):
        found = _accepted(request, token, lambda t: not t.scopes)
        if found is None:
            return None
        _act_as(request, found)
        return found.user


class ScopedToken(HttpBearer):
    """A partner token holding ``scope`` itself or a scope under it (``ScopedToken("sources")``
    accepts ``sources:death``; ``ScopedToken("hardship:report")`` accepts exactly that). The
    handler checks the exact scope it needs with :func:`require_scope`; the user's grants play no
    part (a partner user has none)."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def covers(self, scopes) -> bool:
        return any(s == self.scope or s.startswith(self.scope + ":") for s in scopes or [])

    def authenticate(self, request, token):
        found = _accepted(request, token, lambda t: self.covers(t.scopes))
        if found is None:
            return None
        _act_as(request, found)
        return found.user


def token_scopes(request) -> list[str] | None:
    """The scopes of the calling token; None for a staff (unscoped) token or a session."""
    scopes = getattr(request, "token_scopes", None)
    return scopes or None


def require_scope(request, scope: str, message: str = "") -> None:
    """403 unless the calling token holds exactly ``scope``."""
    if scope not in (token_scopes(request) or []):
        raise PermissionDenied(message or f"令牌无权访问此接口（需要范围 {scope}）")
