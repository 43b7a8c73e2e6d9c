"""What a business line shows on the case page of its case types (办件页面板).

The case page of the workbench and the case endpoint of the API are generic: they show the steps,
tasks, materials, documents, notices and history every case has. What only a line knows — the
assessment card and the enrollment a 低保 approval created, the 临时救助 estimate, a care plan, a
marriage appointment — a line registers here as a panel provider, in its ``AppConfig.ready``::

    @case_panel("assistance.assessment", title="测算结果", template="assistance/case_panels/assessment.html",
                case_types=["dibao_application", ...], order=10)
    def assessment(case, user, today) -> dict | None:
        ...

A provider is called with the case, the user who looks at it and today's date, and returns the
panel's data (a JSON-able dict: the API hands it out as it is) or None when it has nothing to show
on this case. The workbench renders the data with the provider's ``template`` (context: ``panel``,
with ``panel.data``, and the page's ``case``); ``place`` says where on the page: ``"card"`` a
section below the case's fields, ``"fields"`` rows (``<dt>``/``<dd>``) inside them. Panels come in
``order``, then by name. :func:`.selectors.case_page` collects them for both faces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from minzheng.foundation.plugins import Registry

PLACES = ("card", "fields")


@dataclass(frozen=True)
class PanelProvider:
    name: str
    build: Callable[..., dict[str, Any] | None]  # (case, user, today) -> data | None
    title: str
    template: str
    case_types: frozenset[str] | None  # None: every case type
    order: int
    place: str


@dataclass(frozen=True)
class Panel:
    """One panel on one case page: the provider's name (``key``), title, data and template."""

    key: str
    title: str
    data: dict[str, Any]
    template: str
    place: str
    order: int


PANELS: dict[str, PanelProvider] = Registry("办件页面板")


def case_panel(
    name: str,
    *,
    title: str,
    template: str,
    case_types: Iterable[str] | None = None,
    order: int = 100,
    place: str = "card",
):
    """Register ``fn(case, user, today) -> dict | None`` as the panel ``name`` (unique platform-wide)
    on the case page of ``case_types`` (None: every case type)."""
    if place not in PLACES:
        raise ValueError(f"place must be one of {PLACES}")

    def register(fn):
        PANELS[name] = panel_provider(
            name, fn, title=title, template=template, case_types=case_types, order=order, place=place
        )
        return fn

    return register


def panel_provider(name, build, *, title, template, case_types=None, order=100, place="card") -> PanelProvider:
    """A provider not yet registered (tests put one in with ``PANELS.temporarily(name, …)``)."""
    types = frozenset(case_types) if case_types is not None else None
    return PanelProvider(name, build, title, template, types, order, place)


def panels_for(case, user, today: dt.date) -> list[Panel]:
    """The panels the registered providers show on ``case`` for ``user``, in order."""
    out = []
    for p in sorted(PANELS.values(), key=lambda p: (p.order, p.name)):
        if p.case_types is not None and case.case_type_id not in p.case_types:
            continue
        data = p.build(case, user, today)
        if data is not None:
            out.append(Panel(p.name, p.title, data, p.template, p.place, p.order))
    return out
