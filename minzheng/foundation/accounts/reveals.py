"""Reveals of full numbers (ID number, phone, bank account, a partner file's encrypted cell) are
audited reads, and a member of staff gets at most ``MINZHENG_REVEAL_LIMIT`` of them in
``MINZHENG_REVEAL_WINDOW_MINUTES`` minutes. The next one is refused (``RevealLimited``, a 429 on
the pages and the API) and the administrators over the user's regions get one in-app alert for the
window — not one per refused attempt.

Counted from the audit log (``action="reveal"`` by this actor), so the limit holds across web
processes and API calls alike; the user's row is locked while counting, so two reveals at once
cannot both take the last one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_record

ALERT_TYPE = "accounts.reveal_limit"


class RevealLimited(PermissionDenied):
    """Too many full numbers revealed lately; the message says how many and for how long."""


def reveal_limits() -> tuple[int, int]:
    """(N reveals, in M minutes) from the settings."""
    return int(settings.MINZHENG_REVEAL_LIMIT), int(settings.MINZHENG_REVEAL_WINDOW_MINUTES)


def reveal_audit(*, user, action: str = "reveal", **entry) -> None:
    """Record one audited reveal by ``user`` (``entry``: audit_record's object_type, object_id,
    region_code, summary, changes), or refuse it with :class:`RevealLimited` when the user already
    has N reveals in the last M minutes. A refusal is audited too (``reveal_refused``) and raises
    the administrators' alert once per window; the caller shows the value only if this returns."""
    from .models import User

    limit, minutes = reveal_limits()
    now = timezone.now()
    since = now - dt.timedelta(minutes=minutes)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        done = AuditEvent.objects.filter(actor_id=user.pk, action="reveal", at__gte=since).count()
        refused = done >= limit
        if refused:
            audit_record(
                action="reveal_refused",
                object_type=entry.get("object_type", ""),
                object_id=entry.get("object_id"),
                region_code=entry.get("region_code", ""),
                summary=f"查看明文被拒绝：{minutes}分钟内已查看{done}次（上限{limit}次）",
                changes={**(entry.get("changes") or {}), "limit": limit, "minutes": minutes},
            )
            _alert_once(user=user, done=done, limit=limit, minutes=minutes, since=since)
        else:
            audit_record(action=action, **entry)
    if refused:
        raise RevealLimited(
            f"您在{minutes}分钟内查看完整号码已达{limit}次，暂不能继续查看；已通知系统管理员。如确有工作需要，请稍后再试或联系管理员。"
        )


def administrators_of(user) -> list:
    """The active users who manage accounts (``accounts.manage``) over any of ``user``'s regions
    (a grant at the user's region or above); the superusers when there are none. Never ``user``."""
    from .models import User
    from .selectors import users_with_permission

    regions = list(user.grants.values_list("prefix", flat=True))
    admins = [u for u in users_with_permission("accounts.manage", regions) if u.pk != user.pk]
    if not admins:
        admins = list(User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).order_by("pk"))
    return admins


def _alert_once(*, user, done: int, limit: int, minutes: int, since) -> None:
    from minzheng.foundation.notify.models import Message
    from minzheng.foundation.notify.services import notify_many

    if Message.objects.filter(related_type=ALERT_TYPE, related_id=str(user.pk), created_at__gte=since).exists():
        return
    admins = administrators_of(user)
    if not admins:
        return
    region = user.grants.order_by("prefix").first()
    name = f"{user.display_name}（{user.username}）" if user.display_name else user.username
    notify_many(
        channel="in_app",
        subject=f"查看明文过多：{name}",
        body=(
            f"工作人员 {name} 在{minutes}分钟内查看完整号码（身份证号、手机号、银行账号等）已达{done}次，"
            f"超过上限{limit}次，后续查看已被拒绝。请在审计日志中核查其查看记录，确认是否为正常工作需要。"
        ),
        recipients=[{"user": a} for a in admins],
        related_type=ALERT_TYPE,
        related_id=user.pk,
        region_code=region.region_id if region else "",
    )
