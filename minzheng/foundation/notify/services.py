"""Sending notifications.

``notify_send`` stores the message and, once the transaction commits, a ``notify.deliver``
background job hands every queued message to its channel's backend — one job per transaction, not
one per message, and nothing is sent for a transaction that rolls back. An in-app message is
delivered by being stored (with the default ``local`` backend), so it is sent at once.

Each message is claimed before it is sent (``queued`` → ``sending``), so two workers never send it
twice; a backend that raises is tried again, up to ``MAX_ATTEMPTS`` times, then the message is
``failed`` with the error for an administrator to see (workbench outbox, ``minzheng notify list``)
and retry (``notify_retry``). A failure never touches the transaction that created the message.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.crypto.sm import blind_index
from minzheng.foundation.jobs.services import job_enqueue
from minzheng.foundation.registry.normalise import mask_phone

from .backends import DEFAULT_BACKEND, backend_get, backend_name_for
from .models import Channel, Message, Status

logger = logging.getLogger("minzheng.notify")
MAX_ATTEMPTS = 3
RETRY_DELAYS = (1.0, 3.0)  # seconds before the 2nd and the 3rd attempt
STALE_AFTER = dt.timedelta(minutes=10)  # a message "sending" this long: its worker died
DELIVER_JOB = "notify.deliver"
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def phone_normalise(phone: str) -> str:
    """The phone as stored and indexed: spaces and dashes removed, a leading +86 dropped."""
    return re.sub(r"[\s-]", "", phone or "").removeprefix("+86")


def phone_index_of(phone: str) -> str:
    """Blind index (HMAC-SM3, purpose ``phone``) of the normalised phone; "" for no phone. The
    portal keys citizens and their sign-in codes by the same index, so a citizen's inbox is the
    messages with their index (``Message.phone_index``)."""
    phone = phone_normalise(phone)
    return blind_index(phone, purpose="phone") if phone else ""


def _build(
    *, channel, subject, body, user=None, phone="", email="", related_type="", related_id="", region_code=""
) -> Message:
    """A validated, unsaved message (ValidationError with Chinese messages)."""
    if channel not in Channel.values:
        raise ValidationError(f"未知的消息渠道：{channel}")
    body = (body or "").strip()
    if not body:
        raise ValidationError("消息内容不能为空")
    phone, email = phone_normalise(phone), (email or "").strip()
    if channel == Channel.IN_APP and user is None:
        raise ValidationError("站内信需要接收人")
    if channel == Channel.SMS and not MOBILE.match(phone):
        raise ValidationError("短信需要11位手机号")
    if channel == Channel.EMAIL:
        email = email or (getattr(user, "email", "") or "")
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError("邮件需要有效的电子邮箱") from None
    return Message(
        channel=channel,
        recipient=user,
        phone=phone,
        phone_masked=mask_phone(phone) if phone else "",
        phone_index=phone_index_of(phone),
        email=email,
        subject=(subject or "")[:200],
        body=body,
        related_type=related_type or "",
        related_id=str(related_id or "")[:64],
        region_code=region_code or "",
        backend=backend_name_for(channel),
    )


def _delivered_by_storing(message: Message) -> bool:
    return message.channel == Channel.IN_APP and message.backend == DEFAULT_BACKEND


def notify_send(
    *,
    channel: str,
    subject: str,
    body: str,
    user=None,
    phone: str = "",
    email: str = "",
    related_type: str = "",
    related_id="",
    region_code: str = "",
) -> Message:
    """Store one message to ``user`` (in-app, email), ``phone`` (SMS) or ``email`` and deliver it
    after the current transaction commits. ``related_type``/``related_id`` name what it is about
    (``"cases.case"``, the case number); ``region_code`` decides which administrators see it."""
    return notify_many(
        channel=channel,
        subject=subject,
        body=body,
        recipients=[{"user": user, "phone": phone, "email": email}],
        related_type=related_type,
        related_id=related_id,
        region_code=region_code,
    )[0]


def notify_many(
    *,
    channel: str,
    subject: str,
    body: str,
    recipients: Iterable[dict],
    related_type: str = "",
    related_id="",
    region_code: str = "",
) -> list[Message]:
    """The same message to many recipients (each a dict with any of ``user``, ``phone``,
    ``email``), stored in one statement; all are validated before any is stored."""
    messages = [
        _build(
            channel=channel,
            subject=subject,
            body=body,
            user=r.get("user"),
            phone=r.get("phone", ""),
            email=r.get("email", ""),
            related_type=related_type,
            related_id=related_id,
            region_code=region_code,
        )
        for r in recipients
    ]
    if not messages:
        return []
    now = timezone.now()
    for m in messages:
        if _delivered_by_storing(m):
            m.status, m.sent_at = Status.SENT, now
    with transaction.atomic():
        if len(messages) == 1:
            messages[0].save()
        else:
            messages = Message.objects.bulk_create(messages)
        if any(m.status == Status.QUEUED for m in messages):
            _deliver_after_commit()
    return messages


def _deliver_after_commit() -> None:
    """Schedule one delivery job for this transaction, however many messages it queues."""
    connection = transaction.get_connection()
    # Django keeps the callbacks as (savepoint ids, func, robust); a callback registered in a
    # savepoint that was rolled back is dropped from the list, so this check stays right then too.
    if any(func is _enqueue_delivery for _, func, _ in connection.run_on_commit):
        return
    # robust: the caller's transaction has committed; a failure to enqueue must not raise into
    # it — the messages stay queued for the next job or ``minzheng notify deliver``.
    transaction.on_commit(_enqueue_delivery, robust=True)


def _enqueue_delivery() -> None:
    job_enqueue(kind=DELIVER_JOB, title="发送消息", params={})


# -- delivery ---------------------------------------------------------------------------------


def notify_deliver_queued(*, limit: int | None = None) -> dict:
    """Deliver every queued message now (the ``notify.deliver`` job, ``minzheng notify deliver``).
    Returns the counts: ``{"sent": n, "failed": n}``."""
    _requeue_stale()
    counts = {"sent": 0, "failed": 0}
    ids = Message.objects.filter(status=Status.QUEUED).order_by("id").values_list("id", flat=True)
    for pk in list(ids[:limit] if limit else ids):
        outcome = notify_deliver(message_id=pk)
        if outcome in counts:
            counts[outcome] += 1
    return counts


def _requeue_stale() -> None:
    Message.objects.filter(status=Status.SENDING, attempted_at__lt=timezone.now() - STALE_AFTER).update(
        status=Status.QUEUED
    )


def notify_deliver(*, message_id: int) -> str | None:
    """Claim one queued message and send it, retrying; its final status, or None when another
    worker had it already."""
    claimed = Message.objects.filter(pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempted_at=timezone.now()
    )
    if not claimed:
        return None
    message = Message.objects.select_related("recipient").get(pk=message_id)
    name = message.backend or backend_name_for(message.channel)
    error = ""
    while message.attempts < MAX_ATTEMPTS:
        if error:  # a retry: give a passing fault (network, gateway busy) a moment
            time.sleep(RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1])
        message.attempts += 1
        now = timezone.now()
        try:
            backend_get(name).send(message)
        except Exception as exc:  # any backend fault is recorded on the message, never raised
            error = str(exc) if exc.args and str(exc) else type(exc).__name__
            logger.warning("消息 #%s 第%s次发送失败（%s）：%s", message.pk, message.attempts, name, error)
            Message.objects.filter(pk=message.pk).update(
                attempts=message.attempts, attempted_at=now, error=error[:2000], backend=name
            )
            continue
        Message.objects.filter(pk=message.pk).update(
            status=Status.SENT, attempts=message.attempts, attempted_at=now, sent_at=now, error="", backend=name
        )
        return Status.SENT
    Message.objects.filter(pk=message.pk).update(status=Status.FAILED)
    return Status.FAILED


def notify_retry(*, user, message: Message) -> Message:
    """Queue a failed message again, with a fresh set of attempts (administrators: ``jobs.manage``)."""
    if not has_permission(user, "jobs.manage", message.region_code):
        raise PermissionDenied("您没有重发消息的权限")
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=Status.FAILED).update(
            status=Status.QUEUED, attempts=0, backend=backend_name_for(message.channel)
        )
        if not updated:
            raise ValidationError("只有发送失败的消息可以重发")
        audit_record(
            action="retry",
            object_type="notify.message",
            object_id=message.pk,
            region_code=message.region_code,
            summary=f"重发{message.get_channel_display()}（{message.recipient_display}）",
        )
        _deliver_after_commit()
    message.refresh_from_db()
    return message


def notify_mark_read(*, user, message: Message) -> Message:
    """Mark the user's own in-app message read (the first reading time is kept)."""
    if message.channel != Channel.IN_APP or message.recipient_id != getattr(user, "pk", None):
        raise PermissionDenied("只能标记自己的站内信")
    if message.read_at is None:
        now = timezone.now()
        with transaction.atomic():
            if Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now):
                audit_record(
                    action="read", object_type="notify.message", object_id=message.pk, region_code=message.region_code,
                    summary=f"站内信标为已读：{message.subject[:60]}",
                )  # fmt: skip
        message.refresh_from_db(fields=["read_at"])
    return message


def notify_mark_read_by_phone(*, phone_index: str, message_ids: Iterable[int] | None = None) -> int:
    """Mark messages sent to the phone with this blind index read (the portal's 我的消息): the
    given ones, or all when ``message_ids`` is None. Another phone's messages are never touched;
    returns how many were marked."""
    if not phone_index:
        return 0
    qs = Message.objects.filter(phone_index=phone_index, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=list(message_ids))
    with transaction.atomic():
        return _read_audited(qs, whose="群众的消息")


def _read_audited(qs, *, whose: str) -> int:
    """Mark the messages of ``qs`` read, with one audit row naming them (none when none was unread)."""
    ids = list(qs.values_list("pk", flat=True))
    n = Message.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=timezone.now()) if ids else 0
    if n:
        audit_record(
            action="read", object_type="notify.message", object_id=ids[0] if n == 1 else "",
            summary=f"{whose}标为已读 {n} 条", changes={"messages": ids[:500]},
        )  # fmt: skip
    return n


def notify_mark_all_read(*, user) -> int:
    """Mark all of the user's unread in-app messages read; how many were."""
    with transaction.atomic():
        return _read_audited(
            Message.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True), whose="站内信全部"
        )
