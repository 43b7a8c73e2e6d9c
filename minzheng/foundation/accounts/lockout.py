"""Account lockout (django-axes: 5 failed logins lock the username for 30 minutes) and what a
locked or disabled account may still do: nothing — its API tokens are refused too."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

LOCKED = "登录失败次数过多，账号已锁定30分钟。如需立即解锁，请联系系统管理员。"
LOCKED_API = "账号因登录失败次数过多已锁定，其接口令牌暂停使用。如需立即解锁，请联系系统管理员。"
DISABLED_API = "账号已停用，其接口令牌不再有效。"
LOCKED_SESSION = "账号因登录失败次数过多已锁定，您已退出登录。请30分钟后再登录，或联系系统管理员解锁。"
DISABLED_SESSION = "账号已停用，您已退出登录。如有疑问，请联系系统管理员。"


def lockout_response(request, credentials=None, *args, **kwargs):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKED}, status=429)
    return render(request, "workbench/login.html", {"locked": LOCKED}, status=429)


def account_is_locked(request, user) -> bool:
    """True while axes holds the user's username locked (the lockout counts by username only)."""
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def account_refusal(request, user, *, session: bool = False) -> str:
    """Why the account may not act now ("" when it may): disabled, or locked out after failed logins.
    The reason for an API token, or with ``session=True`` for a workbench session being ended."""
    if not user.is_active:
        return DISABLED_SESSION if session else DISABLED_API
    if account_is_locked(request, user):
        return LOCKED_SESSION if session else LOCKED_API
    return ""
