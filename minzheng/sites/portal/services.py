"""Citizen services of the portal: signing in with a one-time SMS code, real-name binding, whom a
citizen may act for (代办), the large-text preference, village assistants, and the inbox of the
messages sent to the citizen's phone.

Sign-in codes: six random digits, only an HMAC (server secret) kept, compared in constant time;
ten minutes of life, five wrong attempts void the code, one live code per phone. Requests are
limited per phone (1 a minute, 5 an hour) and per address (20 an hour), counted from the
``LoginCode`` rows so the limits hold across processes; the count and the insert run under a lock
(advisory lock on PostgreSQL; SQLite transactions here are IMMEDIATE, one writer at a time). The
answer to a code request never depends on whether the phone belongs to a known citizen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.codes import mask_id_number, validate_id_number
from minzheng.foundation.codes.idnumbers import normalise as normalise_id
from minzheng.foundation.notify.models import Message
from minzheng.foundation.notify.services import (
    MOBILE,
    notify_mark_read_by_phone,
    notify_send,
    phone_index_of,
    phone_normalise,
)
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.registry.models import Membership, Person
from minzheng.foundation.registry.normalise import check_name, id_index, mask_phone
from minzheng.foundation.validation import Refused

from .models import ActingAs, Citizen, LoginCode

CODE = re.compile(r"^\d{6}$")
LOGIN_MESSAGE_TYPE = "portal.login"  # related_type of the code SMS: kept out of the citizen's inbox
SIGN_MESSAGE_TYPE = "portal.sign"  # related_type of a member's 授权书 confirmation code: kept out too
BIND_REFUSALS_PER_DAY = 5  # failed real-name checks a citizen may make in 24 hours


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def code_ttl() -> dt.timedelta:
    return dt.timedelta(minutes=_setting("MINZHENG_PORTAL_CODE_TTL_MINUTES", 10))


def code_max_attempts() -> int:
    return _setting("MINZHENG_PORTAL_CODE_MAX_ATTEMPTS", 5)


class Throttled(Refused):
    """Too many requests: refused with a Chinese explanation (HTTP 429) and nothing sent."""


def _clean_phone(phone: str) -> str:
    phone = phone_normalise(phone)
    if not MOBILE.match(phone):
        raise ValidationError({"phone": "请输入11位手机号码，如 13812345678"})
    return phone


def _clean_ip(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


def _serialise(*keys: str) -> None:
    """Run the rest of this transaction alone for each key (PostgreSQL advisory locks, released
    at commit). SQLite needs nothing: its transactions here start IMMEDIATE, one writer at a time."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for key in sorted(set(keys)):
            lock = int.from_bytes(hashlib.sha256(f"minzheng.portal:{key}".encode()).digest()[:8], "big", signed=True)
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [lock])


def _code_hash(phone_index: str, code: str) -> str:
    return salted_hmac("minzheng.portal.login_code", f"{phone_index}:{code}", algorithm="sha256").hexdigest()


def _citizen_actor(citizen: Citizen | None, ip: str, masked: str = "") -> Actor:
    name = f"群众 {citizen.name or citizen.phone_masked}" if citizen else f"群众 {masked}".strip()
    return Actor(None, name, ip or "", "portal")


# -- sign-in --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSent:
    phone_masked: str
    expires_at: dt.datetime
    code_id: int | None = None  # the LoginCode row


def login_code_request(*, phone: str, ip: str = "") -> CodeSent:
    """Send a six-digit sign-in code to ``phone`` by SMS. ValidationError for a bad number,
    :class:`Throttled` beyond the limits (nothing is sent then). Known and unknown phones are
    treated alike: no citizen is looked up here."""
    phone = _clean_phone(phone)
    minutes = int(code_ttl().total_seconds() // 60)
    masked = mask_phone(phone)
    with transaction.atomic(), acting_as(_citizen_actor(None, ip, masked)):
        sent = code_send(
            phone=phone, ip=ip, purpose="login", ref="", subject="网上办事大厅登录验证码",
            body=lambda code: f"您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。",
            related_type=LOGIN_MESSAGE_TYPE,
        )  # fmt: skip
        audit_record(action="code_sent", object_type="portal.logincode", object_id=sent.code_id,
                     summary=f"发送网上办事大厅登录验证码（{masked}）")  # fmt: skip
    return sent


def _purpose_hash(purpose: str, ref: str, phone_index: str, code: str) -> str:
    if purpose == "login":
        return _code_hash(phone_index, code)
    return salted_hmac(f"minzheng.portal.{purpose}_code", f"{ref}:{phone_index}:{code}", algorithm="sha256").hexdigest()


def code_send(*, phone: str, ip: str, purpose: str, ref: str, subject: str, body, related_type: str) -> CodeSent:
    """Send a one-time code for ``purpose``/``ref`` to a clean mobile number, under the limits of
    every code sent to that phone and from that address (``body(code) -> text``). One live code per
    phone, purpose and ref; :class:`Throttled` (nothing sent) beyond the limits."""
    index, address = phone_index_of(phone), _clean_ip(ip)
    now = timezone.now()
    per_minute = _setting("MINZHENG_PORTAL_CODES_PER_PHONE_MINUTE", 1)
    per_hour = _setting("MINZHENG_PORTAL_CODES_PER_PHONE_HOUR", 5)
    per_ip = _setting("MINZHENG_PORTAL_CODES_PER_IP_HOUR", 20)
    refusal = ""
    with transaction.atomic():
        _serialise(f"phone:{index}", f"ip:{address}")
        hour_ago = now - dt.timedelta(hours=1)
        sent = sorted(
            LoginCode.objects.filter(phone_index=index, created_at__gte=hour_ago).values_list("created_at", flat=True)
        )
        last_minute = [t for t in sent if t >= now - dt.timedelta(minutes=1)]
        if len(last_minute) >= per_minute:
            wait = max(1, 60 - int((now - last_minute[0]).total_seconds()))
            refusal = f"获取验证码太频繁，请 {wait} 秒后再试"
        elif len(sent) >= per_hour:
            refusal = "这个手机号获取验证码的次数太多，请一小时后再试"
        elif LoginCode.objects.filter(ip=address, created_at__gte=hour_ago).count() >= per_ip:
            refusal = "您所在的网络获取验证码的次数太多，请稍后再试，或到村（社区）、乡镇（街道）窗口办理"
        if not refusal:
            code = f"{secrets.randbelow(10**6):06d}"
            # one live code per phone (and purpose): an earlier one stops working when a new one is sent
            LoginCode.objects.filter(
                phone_index=index, purpose=purpose, ref=ref, used_at__isnull=True, expires_at__gt=now
            ).update(attempts=code_max_attempts())
            login = LoginCode.objects.create(
                phone_index=index, code_hash=_purpose_hash(purpose, ref, index, code), ip=address,
                expires_at=now + code_ttl(), purpose=purpose, ref=ref,
            )  # fmt: skip
            notify_send(
                channel="sms",
                phone=phone,
                subject=subject,
                body=body(code),
                related_type=related_type,
                related_id=login.pk,
                region_code=getattr(settings, "MINZHENG_PORTAL_REGION", ""),
            )
    if refusal:
        raise Throttled(refusal)
    return CodeSent(mask_phone(phone), login.expires_at, login.pk)


def login_code_verify(*, phone: str, code: str, ip: str = "") -> Citizen:
    """The citizen signing in with ``phone`` and ``code``, created on the first sign-in; audited.
    A wrong code counts an attempt and ValidationError says how many are left; the last one voids
    the code."""
    phone = _clean_phone(phone)
    code = re.sub(r"\s", "", code or "")
    if not CODE.match(code):
        raise ValidationError({"code": "请输入短信里的6位数字验证码"})
    index, now, limit = phone_index_of(phone), timezone.now(), code_max_attempts()
    masked = mask_phone(phone)
    error, citizen = "", None
    with transaction.atomic(), acting_as(_citizen_actor(None, ip, masked)):
        login = (
            LoginCode.objects.select_for_update()
            .filter(phone_index=index, purpose="login", used_at__isnull=True, expires_at__gt=now, attempts__lt=limit)
            .order_by("-created_at", "-id")
            .first()
        )
        if login is None:
            error = "验证码已失效或已过期，请重新获取"
        elif not constant_time_compare(login.code_hash, _code_hash(index, code)):
            login.attempts += 1
            login.save(update_fields=["attempts"])
            left = limit - login.attempts
            if left > 0:
                error = f"验证码不正确，还可以再试 {left} 次"
            else:
                error = "验证码输错次数太多，已失效，请重新获取"
                audit_record(
                    action="login_failed",
                    object_type="portal.logincode",
                    object_id=login.pk,
                    summary=f"群众登录验证码输错{limit}次作废（{masked}）",
                )
        else:
            login.used_at = now
            login.save(update_fields=["used_at"])
            citizen, created = Citizen.objects.get_or_create(
                phone_index=index, defaults={"phone": phone, "phone_masked": masked}
            )
            with acting_as(_citizen_actor(citizen, ip)):
                audit_record(
                    action="login",
                    object_type="portal.citizen",
                    object_id=citizen.pk,
                    summary=f"群众{'首次' if created else ''}登录网上办事大厅（{masked}）",
                )
    if error:  # raised after the commit: the counted attempt must stay counted
        raise ValidationError({"code": error})
    return citizen


def code_check(*, phone_index: str, code: str, purpose: str, ref: str, masked: str, what: str = "授权确认") -> None:
    """Use the live code of ``purpose``/``ref`` sent to the phone: ValidationError (field ``code``)
    when wrong — the attempt is counted and stays counted, the last one voids the code (audited)."""
    code = re.sub(r"\s", "", code or "")
    if not CODE.match(code):
        raise ValidationError({"code": "请输入短信里的6位数字验证码"})
    now, limit, error = timezone.now(), code_max_attempts(), ""
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(phone_index=phone_index, purpose=purpose, ref=ref, used_at__isnull=True, expires_at__gt=now,
                    attempts__lt=limit)
            .order_by("-created_at", "-id")
            .first()
        )  # fmt: skip
        if row is None:
            error = "验证码已失效或已过期，请重新获取"
        elif not constant_time_compare(row.code_hash, _purpose_hash(purpose, ref, phone_index, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = limit - row.attempts
            if left > 0:
                error = f"验证码不正确，还可以再试 {left} 次"
            else:
                error = "验证码输错次数太多，已失效，请重新获取"
                audit_record(action="code_failed", object_type="portal.logincode", object_id=row.pk,
                             summary=f"{what}验证码输错{limit}次作废（{masked}）")  # fmt: skip
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
    if error:  # raised after the commit: the counted attempt must stay counted
        raise ValidationError({"code": error})


def citizen_logout_record(*, citizen: Citizen, ip: str = "") -> None:
    """Audit a sign-out (the session itself is ended by ``session.citizen_logout``)."""
    with acting_as(_citizen_actor(citizen, ip)):
        audit_record(action="logout", object_type="portal.citizen", object_id=citizen.pk, summary="群众退出登录")


# -- real-name binding ----------------------------------------------------------------------------


def citizen_bind(*, citizen: Citizen, name: str, id_number: str) -> Citizen:
    """Bind the citizen's real name: a valid GB 11643 number; when the registry knows the number,
    the name must be the registry's and the citizen is linked to that person; one citizen per
    number. ValidationError for bad input, :class:`Refused` for a refusal (audited, and at most
    ``BIND_REFUSALS_PER_DAY`` a day so the registry cannot be probed)."""
    name = " ".join((name or "").split())
    number = normalise_id(id_number)
    errors = {}
    if msg := check_name(name):
        errors["name"] = msg
    if msg := validate_id_number(number):
        errors["id_number"] = msg
    if errors:
        raise ValidationError(errors)
    if citizen.verified_at:
        raise Refused("您已完成实名认证。如需更换，请携带身份证到乡镇（街道）民政窗口办理")
    now = timezone.now()
    recent = AuditEvent.objects.filter(
        object_type="portal.citizen", object_id=str(citizen.pk), action="bind_refused", at__gte=now - dt.timedelta(1)
    ).count()
    if recent >= BIND_REFUSALS_PER_DAY:
        raise Throttled("今天实名认证未通过的次数太多，请明天再试，或携带身份证到乡镇（街道）民政窗口办理")
    index, masked = id_index(number), mask_id_number(number)
    refusal = ""
    with transaction.atomic():
        _serialise(f"id:{index}")
        person = Person.objects.filter(id_number_index=index).first()
        if Citizen.objects.filter(id_number_index=index).exclude(pk=citizen.pk).exists():
            refusal = "这个身份证号已经绑定了其他手机号。如有疑问，请携带身份证到乡镇（街道）民政窗口办理"
        elif person is not None and person.death_date is not None:
            refusal = "这个身份证号无法在网上认证，请携带身份证到乡镇（街道）民政窗口办理"
        elif person is not None and person.name != name:
            refusal = "姓名与身份证号不一致，请核对后重新填写"
        if refusal:
            audit_record(
                action="bind_refused",
                object_type="portal.citizen",
                object_id=citizen.pk,
                summary=f"实名认证未通过（{masked}）：{refusal[:60]}",
            )
        else:
            citizen.name, citizen.id_number = name, number
            citizen.id_number_index, citizen.id_number_masked = index, masked
            citizen.person, citizen.verified_at = person, now
            citizen.save(
                update_fields=["name", "id_number", "id_number_index", "id_number_masked", "person", "verified_at"]
            )
            audit_record(
                action="bind",
                object_type="portal.citizen",
                object_id=citizen.pk,
                region_code=person.region_code if person else "",
                summary=f"实名认证 {name}（{masked}）" + ("，已关联户籍人员" if person else "，未在登记库中"),
            )
    if refusal:
        raise Refused(refusal)
    return citizen


# -- acting for others (代办) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActingOption:
    acting_as: str  # ActingAs
    person: Person | None  # None: the citizen themselves, not (yet) in the registry
    label: str


def _household_id(person_id: int | None) -> int | None:
    if person_id is None:
        return None
    return (
        Membership.objects.filter(person_id=person_id, valid_to__isnull=True)
        .values_list("household_id", flat=True)
        .first()
    )


def _assistant_filter(citizen: Citizen) -> dict | None:
    """The registry filter of the persons a village assistant serves (by where they live)."""
    code = citizen.assistant_region_code
    if not code or citizen.verified_at is None:
        return None
    region = Region.objects.filter(code=code).only("code", "level").first()
    if region is None:
        return None
    if region.level == Level.VILLAGE:
        return {"region_code": region.code}
    return {"region_code__startswith": region.prefix}


def acting_options(citizen: Citizen) -> list[ActingOption]:
    """Whom the citizen may apply for: themselves; the other current members of their registry
    household (once real-name bound); and, for a registered village assistant, everyone living in
    that village. The living only; self first, then family, then the village by name."""
    options = [ActingOption(ActingAs.SELF, citizen.person, f"本人（{citizen.name or citizen.phone_masked}）")]
    seen = {citizen.person_id}
    if citizen.verified_at and citizen.person_id:
        household = _household_id(citizen.person_id)
        if household is not None:
            family = (
                Person.objects.filter(
                    memberships__household_id=household,
                    memberships__valid_to__isnull=True,
                    death_date__isnull=True,
                )
                .exclude(pk=citizen.person_id)
                .order_by("birth_date", "pk")
            )
            for p in family:
                seen.add(p.pk)
                options.append(ActingOption(ActingAs.FAMILY, p, f"家庭成员 {p.name}（{p.id_number_masked}）"))
    where = _assistant_filter(citizen)
    if where is not None:
        village = Person.objects.filter(death_date__isnull=True, **where).exclude(pk__in=seen).order_by("name", "pk")
        options += [ActingOption(ActingAs.ASSISTANT, p, f"{p.name}（{p.id_number_masked}）") for p in village]
    return options


def may_act_for(citizen: Citizen, person: Person) -> str | None:
    """In what capacity (``ActingAs``) the citizen may apply for ``person``, or None."""
    if person is None:
        return None
    if citizen.person_id is not None and person.pk == citizen.person_id:
        return ActingAs.SELF
    if citizen.verified_at is None or person.death_date is not None:
        return None
    if citizen.person_id is not None:
        household = _household_id(citizen.person_id)
        if household is not None and household == _household_id(person.pk):
            return ActingAs.FAMILY
    where = _assistant_filter(citizen)
    if where is not None and Person.objects.filter(pk=person.pk, **where).exists():
        return ActingAs.ASSISTANT
    return None


def assistant_register(*, phone: str, region_code: str) -> Citizen:
    """Register (or, with ``region_code=""``, deregister) the village assistant with this phone
    (村协理员, registered by the township); creates the citizen when they never signed in. Audited."""
    phone = _clean_phone(phone)
    region_code = (region_code or "").strip()
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ValidationError({"region": f"找不到区划代码 {region_code}"})
        if region.level != Level.VILLAGE:
            raise ValidationError({"region": f"{region.name}不是村（社区），协理员只能登记到村（社区）"})
    index = phone_index_of(phone)
    with transaction.atomic():
        citizen, _ = Citizen.objects.get_or_create(
            phone_index=index, defaults={"phone": phone, "phone_masked": mask_phone(phone)}
        )
        before = citizen.assistant_region_code
        citizen.assistant_region_code = region_code
        citizen.save(update_fields=["assistant_region_code"])
        audit_record(
            action="update",
            object_type="portal.citizen",
            object_id=citizen.pk,
            region_code=region_code or before,
            summary=(
                f"登记村（社区）协理员 {citizen.phone_masked}：{region.name}"
                if region
                else f"撤销协理员 {citizen.phone_masked}"
            ),
            changes={"assistant_region_code": [before, region_code]},
        )
    return citizen


# -- preferences ----------------------------------------------------------------------------------


def citizen_set_large_text(*, citizen: Citizen, on: bool) -> None:
    """The signed-in citizen's large-text preference, kept for their other devices; audited when it
    changes (a browser's own cookie is not a change of anyone's data and is not recorded)."""
    if citizen.large_text != on:
        with transaction.atomic():
            Citizen.objects.filter(pk=citizen.pk).update(large_text=on)
            audit_record(action="update", object_type="portal.citizen", object_id=citizen.pk,
                         summary=f"群众{'开启' if on else '关闭'}大字模式", changes={"large_text": [citizen.large_text, on]})  # fmt: skip
        citizen.large_text = on


# -- messages (我的消息) --------------------------------------------------------------------------


def citizen_messages(citizen: Citizen):
    """The messages sent to the citizen's phone, newest first, sign-in codes left out. Found by the
    phone's blind index (``Message.phone_index``): never another phone's."""
    return (
        Message.objects.filter(phone_index=citizen.phone_index)
        .exclude(related_type__in=[LOGIN_MESSAGE_TYPE, SIGN_MESSAGE_TYPE, "portal.institution"])
        .defer("phone")
        .order_by("-created_at", "-id")
    )


def citizen_unread_count(citizen: Citizen) -> int:
    return citizen_messages(citizen).filter(read_at__isnull=True).count()


def citizen_messages_page(citizen: Citizen, page: str | None):
    return Paginator(citizen_messages(citizen), 20).get_page(page)


def citizen_messages_read(*, citizen: Citizen, message_ids: list[int] | None = None) -> int:
    """Mark the citizen's messages read (the given ones, or all); how many were."""
    return notify_mark_read_by_phone(phone_index=citizen.phone_index, message_ids=message_ids)


# -- institution accounts (机构端): the SMS code of the second sign-in step ----------------------------

INSTITUTION_MESSAGE_TYPE = "portal.institution"  # related_type of the code SMS: kept out of any inbox


def institution_code_request(*, account, ip: str = "") -> CodeSent:
    """Send the sign-in code of an institution account (its password already checked) to the
    account's phone, under the limits of every code of that phone and address (``code_send``)."""
    minutes = int(code_ttl().total_seconds() // 60)
    with transaction.atomic():
        sent = code_send(
            phone=account.phone, ip=ip, purpose="inst", ref=f"inst:{account.pk}", subject="机构端登录验证码",
            body=lambda code: f"机构端登录验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。",
            related_type=INSTITUTION_MESSAGE_TYPE,
        )  # fmt: skip
        audit_record(action="code_sent", object_type="supervision.institutionaccount", object_id=account.pk,
                     summary=f"发送机构端登录验证码（{account.phone_masked}）")  # fmt: skip
    return sent


def institution_code_verify(*, account, code: str) -> None:
    """Use the sign-in code sent to the account's phone (``code_check``: attempts counted, the last
    one voids the code)."""
    code_check(phone_index=account.phone_index, code=code, purpose="inst", ref=f"inst:{account.pk}",
               masked=account.phone_masked, what="机构端登录")  # fmt: skip
