"""Buttons on the household page that lead to a business line's pages about the household (the
assistance line's 救助链 …), registered by the line's workbench area: the registry's page knows
no line by name. Each shows to a user who holds its permission somewhere, as the menu does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class HouseholdLink:
    label: str
    url: str  # a URL name taking the household's primary key
    permission: str
    order: int = 50


HOUSEHOLD_LINKS: dict[str, HouseholdLink] = Registry("家庭页链接")


def household_link(key: str, label: str, url: str, permission: str, order: int = 50) -> None:
    """Register the button ``label`` leading to ``url`` (with the household's pk) under ``key``."""
    HOUSEHOLD_LINKS[key] = HouseholdLink(label, url, permission, order)


def household_links(user, household) -> list[tuple[str, str]]:
    """(label, href) of the registered buttons the user may follow, in their order."""
    links = sorted(HOUSEHOLD_LINKS.values(), key=lambda link: (link.order, link.label))
    return [
        (link.label, reverse(link.url, args=[household.pk])) for link in links if has_permission(user, link.permission)
    ]
