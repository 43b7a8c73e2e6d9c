"""The demo city's share of each business line, found by a registry: ``minzheng demo`` builds the
regions, the staff and the synthetic population (``sites/demo``), then runs every registered step
in order. A line registers its steps when its app is ready (``@demo_step("assistance.roll",
order=10)``) and never edits the demo command; a step must be idempotent (a re-run adds nothing
that is there) and return what it made, reported under its name in the command's result.

A line whose demo share includes a sign-in that is no staff user (an institution account of the
portal) registers a function listing them (``@demo_logins("eldercare.institution")``, returning
``DemoLogin`` rows read from the database); the command prints them with the staff logins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class DemoCity:
    """What a step may build on: the county under which the demo population lives, the demo
    townships with the username prefix of their staff (``{"330381001000": "anyang"}``), the
    username prefix of the county's staff, the seed, and where to say what was made."""

    region_prefix: str
    townships: dict[str, str]
    county_user: str
    seed: int
    log: Callable[[str], None]
    password: str = ""  # the demo password of every demo login (printed by the command)


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[DemoCity], object]


DEMO_STEPS: dict[str, DemoStep] = Registry("示范数据步骤")


def demo_step(name: str, *, order: int = 100):
    """Register ``fn(city: DemoCity) -> result`` as the demo step ``name`` (run by ``order``)."""

    def register(fn):
        DEMO_STEPS[name] = DemoStep(name, order, fn)
        return fn

    return register


def demo_steps() -> list[DemoStep]:
    return sorted(DEMO_STEPS.values(), key=lambda s: (s.order, s.name))


@dataclass(frozen=True)
class DemoLogin:
    """A demo sign-in that is no staff user: its login name, whose it is, and where one signs in."""

    username: str
    name: str
    site: str


DEMO_LOGINS: dict[str, Callable[[], list[DemoLogin]]] = Registry("示范登录（非工作人员）")


def demo_logins(name: str):
    """Register ``fn() -> list[DemoLogin]``: the demo sign-ins a line made (see the module's text)."""

    def register(fn):
        DEMO_LOGINS[name] = fn
        return fn

    return register


def demo_logins_all() -> list[DemoLogin]:
    return [login for name in sorted(DEMO_LOGINS) for login in DEMO_LOGINS[name]()]
