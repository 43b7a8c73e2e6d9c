"""Delivery backends: a registry of small plugins, one per way a message leaves the system.

A backend is a class registered with :func:`backend`; ``send(message)`` returns when the message was
handed over and raises (any exception, preferably :class:`DeliveryError` with a Chinese message)
when it was not — the caller counts the attempt and retries. Which backend serves which channel is
``settings.MINZHENG_NOTIFY_BACKENDS``; the default ``local`` works offline.

Shipped: ``local`` (record and log), ``console`` (print), ``smtp`` (Django's ``send_mail``) and
``http_sms`` (JSON POST to an SMS gateway). Another gateway is one more class in any module that
is imported at start-up (e.g. from an ``AppConfig.ready``).
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail

from minzheng.foundation.plugins import Registry

logger = logging.getLogger("minzheng.notify")
BACKENDS: dict[str, type[Backend]] = Registry("消息通道")
DEFAULT_BACKEND = "local"


class DeliveryError(Exception):
    """A message could not be handed over; the text is shown to administrators."""


class Backend:
    name = ""

    def send(self, message) -> None:
        raise NotImplementedError


def backend(name: str):
    """Class decorator: register a backend under ``name``."""

    def register(cls):
        cls.name = name
        BACKENDS[name] = cls
        return cls

    return register


def backend_name_for(channel: str) -> str:
    """The configured backend of ``channel`` (``local`` when the channel is not configured)."""
    mapping = settings.MINZHENG_NOTIFY_BACKENDS
    if isinstance(mapping, str):  # "in_app=local,sms=http_sms" given directly
        mapping = {k.strip(): v.strip() for k, _, v in (i.partition("=") for i in mapping.split(",") if i.strip())}
    return mapping.get(channel) or DEFAULT_BACKEND


def backend_get(name: str) -> Backend:
    try:
        return BACKENDS[name]()
    except KeyError:
        raise DeliveryError(f"未知的发送方式：{name}（可用：{'、'.join(sorted(BACKENDS))}）") from None


def _to(message) -> str:
    if message.recipient_id:
        return f"用户 {message.recipient_id}"
    return message.phone_masked or message.email


@backend("local")
class LocalBackend(Backend):
    """Nothing leaves the machine: the row is the record (the workbench outbox shows it, so a
    citizen's one-time code can be read there in the demo) and one INFO line is logged."""

    def send(self, message) -> None:
        logger.info(
            "消息 #%s（%s）→ %s：%s %s",
            message.pk,
            message.get_channel_display(),
            _to(message),
            message.subject,
            message.body,
        )


@backend("console")
class ConsoleBackend(Backend):
    """Prints the message to standard output (development)."""

    def send(self, message) -> None:
        print(
            f"[{message.get_channel_display()} #{message.pk}] → {_to(message)}\n{message.subject}\n{message.body}\n",
            file=sys.stdout,
            flush=True,
        )


@backend("smtp")
class SmtpBackend(Backend):
    """Email through Django's mail settings (``EMAIL_HOST``, ``EMAIL_PORT``, ``DEFAULT_FROM_EMAIL`` …)."""

    def send(self, message) -> None:
        if not message.email:
            raise DeliveryError("缺少收件人电子邮箱")
        send_mail(message.subject or "通知", message.body, None, [message.email], fail_silently=False)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects a POST is misconfigured: report it instead of following as GET."""

    def redirect_request(self, *args, **kwargs):
        return None


@backend("http_sms")
class HttpSmsBackend(Backend):
    """POST ``{"phone", "text", "sign"}`` as JSON to ``MINZHENG_SMS_URL``; any 2xx is success."""

    timeout = 10  # seconds, for connecting and for the answer

    def send(self, message) -> None:
        url = settings.MINZHENG_SMS_URL
        if not url:
            raise DeliveryError("未配置短信网关地址（MINZHENG_SMS_URL）")
        if urlsplit(url).scheme not in ("http", "https"):
            raise DeliveryError("短信网关地址应以 http:// 或 https:// 开头")
        if not message.phone:
            raise DeliveryError("缺少手机号")
        payload = {"phone": message.phone, "text": message.body, "sign": settings.MINZHENG_SMS_SIGN}
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read(4096)
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
            exc.close()
            raise DeliveryError(f"短信网关返回 HTTP {exc.code}" + (f"：{detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"短信网关连接失败：{reason}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"短信网关返回 HTTP {status}")
