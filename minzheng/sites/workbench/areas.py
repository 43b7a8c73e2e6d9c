"""Workbench areas, found by a registry: a business line adds its pages without editing any other file.

An area is a package under ``minzheng/sites/workbench/`` with an ``area.py`` that calls
:func:`area_register` with its :class:`Area`: the URL namespace (nested under ``workbench``, so
``workbench:cases:detail``), the module of its ``urlpatterns`` (full paths, as the pages have always
had them: ``cases/<number>/``) and its menu entries (:mod:`.menu`). :func:`autodiscover` imports
every area package's ``area.py`` at start-up (``WorkbenchConfig.ready``) and the root URLconf
includes every registered area. A new business line puts its workbench pages in
``sites/workbench/<line>/`` (sites sit above business: the line's services stay in
``business/<line>/``) and is found.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass

from minzheng.foundation.plugins import Registry

from .menu import MenuEntry, menu_register


@dataclass(frozen=True)
class Area:
    namespace: str
    urls: str
    label: str
    order: int = 100
    menu: tuple[MenuEntry, ...] = ()


AREAS = Registry("工作台分区")


def area_register(area: Area) -> Area:
    AREAS[area.namespace] = area
    for entry in area.menu:
        menu_register(entry)
    return area


def autodiscover() -> list[Area]:
    """Import ``<package>.area`` of every package under the workbench; the areas in order."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            continue
        name = f"{__package__}.{info.name}.area"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return sorted(AREAS.values(), key=lambda a: (a.order, a.namespace))
