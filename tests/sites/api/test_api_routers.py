"""The API is one router per area, found by a registry: every area module registers itself and is
mounted, ``api.py`` names none, a second area under a taken name is refused, and an area whose
code moved keeps its operation IDs."""

from __future__ import annotations

from pathlib import Path

import pytest
from ninja import Router

from minzheng.foundation.plugins import DuplicateRegistration
from minzheng.sites.api import routers
from minzheng.sites.api.api import api
from minzheng.sites.api.routers import ROUTERS, api_router

AREAS = {"auth", "registry", "assistance", "benefits", "cases", "sources", "monitoring", "verification"}
PACKAGE = Path(routers.__file__).parent


def _paths(router: Router, prefix: str) -> set[str]:
    return {("/api/v1" + (prefix.rstrip("/") + "/" + p.lstrip("/")).rstrip("/")) for p in router.path_operations}


def test_every_area_registers_its_router_and_is_mounted():
    assert AREAS <= set(ROUTERS)
    document = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    for area in ROUTERS.values():
        assert area.router.path_operations, area.name
        for path in _paths(area.router, area.prefix):
            assert path in document, (area.name, path)
    mounted = {path for area in ROUTERS.values() for path in _paths(area.router, area.prefix)}
    assert mounted == set(document)  # nothing mounted outside the registry


def test_every_module_with_an_area_is_discovered_and_api_names_none():
    declaring = {p.stem for p in PACKAGE.glob("*.py") if "\napi_router(" in p.read_text(encoding="utf-8")}
    assert declaring == {"tokens", "registry", "assistance", "benefits", "cases", "sources", "monitoring",
                         "verification", "supervision", "institution"}  # fmt: skip
    assert [a.name for a in routers.discover()] == [
        "auth", "registry", "assistance", "benefits", "cases", "sources", "monitoring", "verification", "supervision",
        "institution",
    ]  # fmt: skip
    source = (PACKAGE / "api.py").read_text(encoding="utf-8")
    for module in declaring:
        assert f"from .{module} " not in source and f"import {module}" not in source


def test_an_area_name_is_taken_once():
    with pytest.raises(DuplicateRegistration, match="API 路由「cases」"):
        api_router("cases", Router())


def test_operation_ids_follow_the_module_named():
    router = Router()

    @router.get("/ping")
    def ping(request):
        return {}

    @router.get("/pong", operation_id="kept_as_given")
    def pong(request):
        return {}

    try:
        api_router("test.area", router, operation_ids="minzheng.sites.api.api")
        ops = {op.view_func.__name__: op.operation_id for v in router.path_operations.values() for op in v.operations}
        assert ops == {"ping": "minzheng_sites_api_api_ping", "pong": "kept_as_given"}
    finally:
        dict.pop(ROUTERS, "test.area", None)
    # the operations moved out of api.py kept the IDs clients know
    document = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    assert document["/api/v1/persons"]["get"]["operationId"] == "minzheng_sites_api_api_persons_list"
    assert document["/api/v1/assistance/standards"]["get"]["operationId"] == "minzheng_sites_api_api_standards_list"
    assert document["/api/v1/cases/{number}"]["get"]["operationId"] == "minzheng_sites_api_cases_case_detail"
