"""Workbench pages of notify: 我的消息 (the user's own in-app messages, marked read here) and, for
administrators (``jobs.manage``), 消息发送记录 — every message in their regions with its status,
backend and error, where a failed one can be sent again.

Thin views, as in :mod:`.views`: the selectors scope the rows (another user's message is a 404),
the services make the changes.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.notify.models import Channel, Message, Status
from minzheng.foundation.notify.selectors import inbox_for, messages_for_admin
from minzheng.foundation.notify.services import notify_mark_all_read, notify_mark_read, notify_retry


@login_required
def inbox(request):
    if request.method == "POST":  # 全部标为已读
        n = notify_mark_all_read(user=request.user)
        if n:
            flash.success(request, f"已将 {n} 条消息标为已读")
        return redirect("workbench:system:messages")
    box = inbox_for(request.user)
    page = Paginator(box.messages, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "params": "",
        "unread": box.unread,
        "is_admin": has_permission(request.user, "jobs.manage"),
    }
    return render(request, "workbench/system/notify/messages.html", context)


@login_required
@require_POST
def message_read(request, pk):
    message = get_object_or_404(Message, pk=pk, recipient=request.user, channel=Channel.IN_APP)
    message = notify_mark_read(user=request.user, message=message)
    if request.headers.get("HX-Request"):
        return render(request, "workbench/system/notify/_message.html", {"m": message})
    return redirect("workbench:system:messages")


def _require_admin(user) -> None:
    if not has_permission(user, "jobs.manage"):
        raise PermissionDenied("只有系统管理员可以查看消息发送记录")


@login_required
def outbox(request):
    _require_admin(request.user)
    qs = messages_for_admin(request.user)
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    params = _filters(request.GET)
    context = {
        "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "params": params,
        "status": status,
        "channel": channel,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "channels": Channel.choices,
    }
    return render(request, "workbench/system/notify/outbox.html", context)


@login_required
@require_POST
def message_retry(request, pk):
    _require_admin(request.user)
    message = get_object_or_404(messages_for_admin(request.user), pk=pk)
    try:
        notify_retry(user=request.user, message=message)
    except ValidationError as exc:
        flash.error(request, "；".join(exc.messages))
    else:
        flash.success(request, f"消息 #{message.pk} 已重新排队发送")
    params = _filters(request.POST)
    return redirect(reverse("workbench:system:messages_outbox") + (f"?{params}" if params else ""))


def _filters(data) -> str:
    """The outbox filters of a request as a query string, known values only."""
    known = {"status": Status.values, "channel": Channel.values}
    return urlencode({key: data.get(key) for key, values in known.items() if data.get(key) in values})
