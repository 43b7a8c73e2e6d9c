"""The home page's cards, declared by the areas: each card is what one area has for the signed-in
user this morning (the cases area: 我的待办; the benefits area: 发放批次 awaiting approval; a later
line: inspections due, visits overdue …). A card's ``build(request)`` returns its template context,
or ``None`` when it has nothing for this user (then it is not shown); cards show in ``order``, and
``place`` puts a card in the page's main column (``"todo"``, above the counts) or among the tiles
(``"tiles"``). :data:`HOME_CARDS` refuses a second, different card under a name taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class HomeCard:
    name: str
    template: str
    build: Callable
    order: int = 100
    place: str = "todo"  # "todo" | "tiles"


HOME_CARDS: dict[str, HomeCard] = Registry("首页卡片")


def home_card(name: str, *, template: str, order: int = 100, place: str = "todo"):
    """Register ``build(request) -> dict | None`` as the home card ``name``."""

    def register(build):
        HOME_CARDS[name] = HomeCard(name, template, build, order, place)
        return build

    return register


def home_cards(request) -> dict[str, list[tuple[HomeCard, dict]]]:
    """The cards with something for this user, by place, in order: ``{place: [(card, context)]}``."""
    out: dict[str, list] = {"todo": [], "tiles": []}
    for card in sorted(HOME_CARDS.values(), key=lambda c: (c.order, c.name)):
        context = card.build(request)
        if context is not None:
            out.setdefault(card.place, []).append((card, context))
    return out
