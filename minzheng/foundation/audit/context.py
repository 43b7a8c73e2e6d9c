"""Who is acting, from where: set per request by the middleware, per command by the CLI."""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    ip: str = ""
    channel: str = "web"  # web | api | cli | job | admin


SYSTEM = Actor(None, "system", "", "cli")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("minzheng_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextlib.contextmanager
def acting_as(actor: Actor):
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def actor_for_user(user, *, ip: str = "", channel: str = "web") -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(None, "anonymous", ip, channel)
    return Actor(user.pk, user.get_username(), ip, channel)
