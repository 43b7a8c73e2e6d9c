"""The demo city's share of each business line, found by a registry: ``minzheng demo`` builds the
regions, the staff and the synthetic population (``sites/demo``), then runs every registered step
in order. A line registers its steps when its app is ready (``@demo_step("assistance.roll",
order=10)``) and never edits the demo command; a step must be idempotent (a re-run adds nothing
that is there) and return what it made, reported under its name in the command's result.
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
