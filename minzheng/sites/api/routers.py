"""The API's areas: one Ninja ``Router`` per area, found by a registry.

Each area is a module of this package (``registry``, ``cases``, ``benefits``, ``assistance``,
``sources``, ``monitoring``, ``verification`` …) that defines its router and, below its last
operation, registers it::

    router = Router(tags=["养老服务"], auth=BearerToken())

    @router.get("/elderly/allowances", ...)
    def allowances_list(request): ...

    api_router("elderly", router, prefix="/", order=80)

``api.py`` imports every module of the package (:func:`discover`) and mounts the registered routers
in ``order``; it names no area, so a business line adds its API by adding its module here. The
registry refuses a second area under a taken name. The shared pieces stay apart: ``auth``
(tokens and scopes), ``schemas`` (the shapes several areas answer with) and the error handlers of
``api``.

Operation IDs are formed by ninja from the module and the function (``minzheng_sites_api_cases_case_detail``);
clients generate their method names from them. An area whose operations moved to another module
keeps its IDs by naming the module they were formed from (``operation_ids="minzheng.sites.api.api"``).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from ninja import Router

from minzheng.foundation.plugins import Registry

NOT_AREAS = {"api", "apps", "routers"}  # modules of the package that hold no area


@dataclass(frozen=True)
class Area:
    name: str
    router: Router
    prefix: str  # where the router's paths are mounted under /api/v1
    order: int


ROUTERS: dict[str, Area] = Registry("API 路由")


def api_router(name: str, router: Router, *, prefix: str = "/", order: int = 100, operation_ids: str = "") -> None:
    """Register ``router`` as the API area ``name`` (unique), mounted at ``prefix``. Call it after
    the router's last operation. ``operation_ids``: the module whose name the operation IDs keep
    (default: the module of each operation's function, ninja's own rule)."""
    if operation_ids:
        for view in router.path_operations.values():
            for operation in view.operations:
                if operation.operation_id is None:
                    operation.operation_id = f"{operation_ids}_{operation.view_func.__name__}".replace(".", "_")
    ROUTERS[name] = Area(name, router, prefix, order)


def discover() -> list[Area]:
    """Import every module of this package, so each registers its area; the areas, in order."""
    for module in pkgutil.iter_modules(_package_path()):
        if not module.ispkg and module.name not in NOT_AREAS:
            importlib.import_module(f"{__package__}.{module.name}")
    return sorted(ROUTERS.values(), key=lambda a: (a.order, a.name))


def _package_path() -> list[str]:
    return list(importlib.import_module(__package__).__path__)
