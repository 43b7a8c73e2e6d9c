"""Institution accounts (机构端, ADR 0020): an entity's own staff sign in to the portal with an account
bound to one regulated entity, created by the bureau (``supervision.manage`` over the entity's
region), never a staff user. This module keeps the accounts, checks a password (the first step of
the sign-in; the SMS code of the second step is the portal's), counts failed passwords in the
database (per login name and per address, from the audit rows of the failures, so the limit holds
across processes), and issues and finds the account's API tokens.

What an account may reach is its own entity only: :func:`scoped` is the one filter the portal and
the API put on every query of an institution's objects, and ``institution_actor`` names the
account in the audit rows of what it does (channel ``portal`` or ``api``, no staff user).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from minzheng.foundation.accounts.scoping import permission_require
from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.crypto.sm import sm3_hex
from minzheng.foundation.notify.services import MOBILE, phone_index_of, phone_normalise
from minzheng.foundation.validation import Refused

from ._shared import actor, label, locked, text
from .models import InstitutionAccount, InstitutionToken, Supervised, SupervisionStatus

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{3,39}$")
FAILED = "supervision.institution_login_failed"
FAILURES_PER_NAME = 5  # wrong passwords of one login name in FAILURE_WINDOW
FAILURES_PER_IP = 20  # wrong passwords from one address in an hour
FAILURE_WINDOW = dt.timedelta(minutes=30)
TOKEN_DAYS = 30
TOKEN_PREFIX = "mzi_"  # noqa: S105 (a prefix, not a secret)


class Throttled(Refused):
    """Too many failed sign-ins: refused in Chinese (HTTP 429), the password is not even checked."""


def institution_actor(account: InstitutionAccount, ip: str = "", channel: str = "portal") -> Actor:
    """The audit actor of what an institution account does: no staff user, the account's name."""
    return Actor(None, f"机构 {account.username}（{account.supervised.entity.name}）"[:150], ip or "", channel)


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


@transaction.atomic
def account_create(*, user, supervised: Supervised, username: str, name: str, phone: str, password: str):
    """Open an institution account for ``supervised`` (``supervision.manage`` over its region): a
    unique login name, the user's name, the mobile phone the sign-in codes go to, and a password that
    passes the platform's strength rules (``AUTH_PASSWORD_VALIDATORS``). Audited (never the password)."""
    supervised = locked(Supervised, supervised)
    region = supervised.entity.region_code
    permission_require(user, "supervision.manage", region, message="无权为该区划的监管对象开通机构端账号")
    if supervised.status == SupervisionStatus.CLOSED:
        raise ValidationError({"supervised": "监管对象已注销，不能开通机构端账号"})
    username = (username or "").strip().lower()
    name = text(name, 50)
    phone = phone_normalise(phone)
    errors = {}
    if not USERNAME.match(username):
        errors["username"] = "登录名为4至40位小写字母、数字、下划线、点或横线，以字母开头"
    elif InstitutionAccount.objects.filter(username=username).exists():
        errors["username"] = "该登录名已被使用"
    if not name:
        errors["name"] = "请填写使用人姓名"
    if not MOBILE.match(phone):
        errors["phone"] = "请输入11位手机号码，用于接收登录验证码"
    try:
        validate_password(password or "")
    except ValidationError as exc:
        errors["password"] = "；".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    account = InstitutionAccount.objects.create(
        supervised=supervised, username=username, name=name, phone=phone, phone_index=phone_index_of(phone),
        phone_masked=_mask(phone), password=make_password(password), created_by=actor(user),
    )  # fmt: skip
    audit_record(action="supervision.institution_account_create", object_type="supervision.institutionaccount",
                 object_id=account.pk, region_code=region,
                 summary=f"开通机构端账号 {username}（{name}）：{label(supervised)}",
                 changes={"username": username, "name": name, "phone": account.phone_masked})  # fmt: skip
    return account


@transaction.atomic
def account_end(*, user, account: InstitutionAccount, reason: str) -> InstitutionAccount:
    """Stop an account (it can no longer sign in; its tokens end now). Audited."""
    account = locked(InstitutionAccount, account)
    region = account.supervised.entity.region_code
    permission_require(user, "supervision.manage", region, message="无权停用该区划的机构端账号")
    reason = text(reason, 300)
    if not reason:
        raise ValidationError({"reason": "请填写停用原因"})
    if not account.active:
        raise ValidationError({"account": "该账号已停用"})
    now = timezone.now()
    account.active, account.ended_at, account.end_reason = False, now, reason
    account.save(update_fields=["active", "ended_at", "end_reason"])
    InstitutionToken.objects.filter(account=account, expires_at__gt=now).update(expires_at=now)
    audit_record(action="supervision.institution_account_end", object_type="supervision.institutionaccount",
                 object_id=account.pk, region_code=region, summary=f"停用机构端账号 {account.username}：{reason[:60]}",
                 changes={"active": [True, False], "reason": reason})  # fmt: skip
    return account


def accounts_of(supervised: Supervised) -> QuerySet:
    return InstitutionAccount.objects.filter(supervised=supervised).order_by("-active", "username")


def _failures(*, username: str, ip: str) -> tuple[int, int]:
    now = timezone.now()
    rows = AuditEvent.objects.filter(action=FAILED)
    by_name = rows.filter(object_id=username[:64], at__gte=now - FAILURE_WINDOW).count()
    by_ip = rows.filter(ip=ip, at__gte=now - dt.timedelta(hours=1)).count() if ip else 0
    return by_name, by_ip


def password_check(*, username: str, password: str, ip: str = "") -> InstitutionAccount:
    """The active account with this login name and password (step 1 of the sign-in; step 2 is the
    SMS code). A wrong name or password is one answer, counted (audited) against the name and the
    address; :class:`Throttled` beyond ``FAILURES_PER_NAME`` in half an hour or ``FAILURES_PER_IP``
    an hour, before the password is looked at."""
    username = (username or "").strip().lower()[:40]
    by_name, by_ip = _failures(username=username, ip=ip)
    if by_name >= FAILURES_PER_NAME:
        raise Throttled("密码错误次数太多，该账号已暂停登录30分钟，请稍后再试或联系民政部门")
    if by_ip >= FAILURES_PER_IP:
        raise Throttled("您所在的网络登录失败次数太多，请一小时后再试")
    account = (
        InstitutionAccount.objects.select_related("supervised__entity").filter(username=username, active=True).first()
    )
    # the hasher runs for an unknown name too, so the answer takes as long
    ok = check_password(password or "", account.password if account else make_password(None))
    if account is None or not ok:
        audit_record(action=FAILED, object_type="supervision.institutionaccount", object_id=username,
                         summary="机构端登录密码错误")  # fmt: skip
        left = FAILURES_PER_NAME - by_name - 1
        more = f"，还可以再试 {left} 次" if left > 0 else "，该账号已暂停登录30分钟"
        raise ValidationError({"password": f"登录名或密码不正确{more}"})
    return account


def signed_in(*, account: InstitutionAccount, ip: str = "") -> None:
    """Record a completed sign-in (password and SMS code both passed)."""
    InstitutionAccount.objects.filter(pk=account.pk).update(last_login_at=timezone.now())
    with acting_as(institution_actor(account, ip)):
        audit_record(action="supervision.institution_login", object_type="supervision.institutionaccount",
                     object_id=account.pk, region_code=account.supervised.entity.region_code,
                     summary=f"机构端账号 {account.username} 登录")  # fmt: skip


def signed_out(*, account: InstitutionAccount, ip: str = "") -> None:
    with acting_as(institution_actor(account, ip)):
        audit_record(action="supervision.institution_logout", object_type="supervision.institutionaccount",
                     object_id=account.pk, summary=f"机构端账号 {account.username} 退出登录")  # fmt: skip


def account_get(pk) -> InstitutionAccount | None:
    """The active account ``pk`` (of a session), or None."""
    return InstitutionAccount.objects.select_related("supervised__entity").filter(pk=pk, active=True).first()


def scoped(qs: QuerySet, account: InstitutionAccount, field: str = "supervised") -> QuerySet:
    """``qs`` narrowed to the account's own entity: the one filter on whatever an institution reads."""
    return qs.filter(**{field: account.supervised_id})


# -- API tokens -----------------------------------------------------------------------------------


@transaction.atomic
def token_issue(*, account: InstitutionAccount, ip: str = "", days: int = TOKEN_DAYS) -> str:
    """A new API token for the signed-in account; the plain value is returned once. Audited."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = InstitutionToken.objects.create(
        account=account, key_hash=sm3_hex(plain.encode()), expires_at=timezone.now() + dt.timedelta(days=days)
    )
    with acting_as(institution_actor(account, ip)):
        audit_record(action="supervision.institution_token_issue", object_type="supervision.institutiontoken",
                     object_id=token.pk, region_code=account.supervised.entity.region_code,
                     summary=f"机构端账号 {account.username} 生成接口令牌（{days} 天有效）")  # fmt: skip
    return plain


def token_account(plain: str) -> InstitutionAccount | None:
    """The active account of a live token with this plain value (marked used), or None."""
    if not (plain or "").startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        InstitutionToken.objects.select_related("account__supervised__entity")
        .filter(key_hash=sm3_hex(plain.encode()), expires_at__gt=now, account__active=True)
        .first()
    )
    if token is None:
        return None
    InstitutionToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.account
