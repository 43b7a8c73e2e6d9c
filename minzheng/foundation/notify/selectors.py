"""Scoped reads of messages: a user's own inbox, and the outbox administrators watch."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import QuerySet

from .models import Channel, Message


class Inbox(NamedTuple):
    messages: QuerySet  # newest first
    unread: int


def inbox_for(user) -> Inbox:
    """The user's own in-app messages, newest first, and how many are unread."""
    qs = Message.objects.filter(recipient=user, channel=Channel.IN_APP).order_by("-created_at", "-id")
    return Inbox(qs, unread_count_for(user))


def unread_count_for(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Message.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()


def messages_for_admin(user) -> QuerySet:
    """Every message in the regions where ``user`` holds ``jobs.manage`` (all for a superuser;
    none for anyone else). A message without a region is seen by superusers only. The phone
    column is deferred: lists show ``phone_masked`` and never decrypt."""
    return (
        Message.objects.for_user(user, "jobs.manage")
        .select_related("recipient")
        .defer("phone")
        .order_by("-created_at", "-id")
    )
