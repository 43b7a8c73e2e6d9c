"""Creating staff users and granting roles for regions."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.crypto.sm import sm3_hex
from minzheng.foundation.regions.selectors import region_get

from .models import ApiToken, Grant, Role, User


class AccountError(Exception):
    pass


def role_resolve(value: str) -> Role:
    role = Role.objects.filter(code=value).first() or Role.objects.filter(name=value).first()
    if role is None:
        names = "、".join(f"{r.code}({r.name})" for r in Role.objects.all())
        raise AccountError(f"未知角色 {value}；可用角色：{names}")
    return role


def user_create(
    *,
    username: str,
    password: str,
    grants: list[tuple[str, str]],
    display_name: str = "",
    check_password: bool = True,
) -> User:
    """Create a user with (role, region code) grants. Region: 12-digit code or its 6-digit GB/T 2260 form."""
    if User.objects.filter(username=username).exists():
        raise AccountError(f"用户名 {username} 已存在")
    if not grants:
        raise AccountError("至少需要一个角色与区划授权")
    resolved = []
    for role_value, region_value in grants:
        role = role_resolve(role_value)
        region = region_get(region_value)
        if region is None:
            raise AccountError(f"找不到区划 {region_value}")
        resolved.append((role, region))
    user = User(username=username, display_name=display_name)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise AccountError("；".join(exc.messages)) from None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        for role, region in resolved:
            Grant.objects.get_or_create(user=user, role=role, region=region, defaults={"prefix": region.prefix})
        audit_record(
            action="create",
            object_type="accounts.user",
            object_id=user.pk,
            region_code=resolved[0][1].code,
            summary=f"新建工作人员 {username}",
            changes={"grants": [[r.code, g.code] for r, g in resolved]},
        )
    return user


def password_change(*, user: User, new_password: str) -> int:
    """Set a new password (already checked against AUTH_PASSWORD_VALIDATORS by the form) and end
    the user's other ways in: every live API token is revoked now, and every other session ends at
    its next request (Django checks a session against the password hash; the caller keeps its own
    with ``update_session_auth_hash``). Audited, without the password. Returns the tokens revoked."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoked = tokens_revoke_all(user=user)
        first = user.grants.order_by("prefix").first()
        audit_record(
            action="update",
            object_type="accounts.user",
            object_id=user.pk,
            region_code=first.region_id if first else "",
            summary=f"{user.username} 修改登录密码"
            + (f"，其 {revoked} 个接口令牌随之失效" if revoked else "")
            + "，其他登录会话随之结束",
            changes={"field": "password", "tokens_revoked": revoked},
        )
    return revoked


TOKEN_HOURS = 8


def token_issue(
    *, user: User, name: str = "", hours: int = TOKEN_HOURS, scopes: list[str] | None = None, audited: bool = False
) -> str:
    """A new bearer token; the plain value is returned once and only its hash is kept.

    ``scopes`` (e.g. ``["sources:death"]``, ``["hardship:report"]``) makes a partner token: it is
    accepted only by the endpoints that require one of its scopes (``sites/api/auth.ScopedToken``)
    and refused by every other one, whatever the user's grants (ADR 0008)."""

    plain = "mz_" + secrets.token_urlsafe(32)
    scopes = sorted(set(scopes or []))
    token = ApiToken.objects.create(
        user=user,
        key_hash=sm3_hex(plain.encode()),
        name=name,
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(hours=hours),
    )
    if audited:
        audit_record(
            action="create",
            object_type="accounts.apitoken",
            object_id=token.pk,
            summary=f"为 {user.username} 签发接口令牌{('（' + '、'.join(scopes) + '）') if scopes else ''}",
            changes={"user": user.username, "name": name, "scopes": scopes, "expires_at": token.expires_at.isoformat()},
        )
    return plain


def token_find(plain: str) -> ApiToken | None:
    """The unexpired token with this plain value, whatever its user's state; not marked used."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=sm3_hex(plain.encode()), expires_at__gt=timezone.now())
        .first()
    )


def token_mark_used(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


def token_lookup(plain: str) -> ApiToken | None:
    """The live token (not expired, its user active) with this plain value, or None; marks it used.
    The API's authentication (``sites/api/auth``) also refuses a token whose user is locked out."""
    token = token_find(plain)
    if token is None or not token.user.is_active:
        return None
    token_mark_used(token)
    return token


def token_user(plain: str) -> User | None:
    """The user of an unscoped (staff) token; a scoped partner token gives None here."""
    token = token_lookup(plain)
    if token is None or token.scopes:
        return None
    return token.user


def tokens_revoke_all(*, user: User) -> int:
    """End every live token of ``user`` now (after a password change); returns how many."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now()).update(expires_at=timezone.now())


def token_revoke(*, token: ApiToken) -> None:
    """End a token now (it stays listed, expired)."""
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    audit_record(
        action="update",
        object_type="accounts.apitoken",
        object_id=token.pk,
        summary=f"吊销 {token.user.username} 的接口令牌 {token.name or token.pk}",
        changes={"scopes": token.scopes},
    )
