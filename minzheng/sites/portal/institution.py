"""The pages a business line adds to the institution site (机构端) of the portal: a small registry.

A line registers, at import time (its ``apps.ready``), a page for the kinds it declares::

    from minzheng.sites.portal.institution import institution_page

    institution_page("prepaid", "预付费余额", view=prepaid_view, kinds=("care_home",), order=10)

``view(request, account, supervised, subpath)`` answers ``/portal/institution/p/<code>/`` (and
``/portal/institution/p/<code>/<subpath>``, for the page's own forms) and renders with the
portal's templates (extending ``portal/institution/base.html``); the institution site has already
checked the sign-in and passes the account's own entity — the view reads nothing else, and must
look up every object it is given in the URL through that entity (another entity's is a 404). The
home page of the institution site lists the pages registered for the account's kind. Names no line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class InstitutionPage:
    code: str
    label: str
    view: Callable
    kinds: tuple[str, ...] = ()  # empty: every kind
    order: int = 100
    help: str = ""

    def serves(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


INSTITUTION_PAGES: Registry = Registry("机构端页面")


def institution_page(code: str, label: str, *, view: Callable, kinds=(), order: int = 100, help: str = ""):
    """Register a page of the institution site (see the module's text)."""
    INSTITUTION_PAGES[code] = InstitutionPage(code, label, view, tuple(kinds), order, help)
    return INSTITUTION_PAGES[code]


def pages_for(kind: str) -> list[InstitutionPage]:
    return sorted((p for p in INSTITUTION_PAGES.values() if p.serves(kind)), key=lambda p: (p.order, p.code))
