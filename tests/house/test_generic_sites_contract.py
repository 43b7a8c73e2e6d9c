"""Every module of the sites is classified for the import contract "Generic sites import no
business line" (``pyproject.toml``): a generic module (listed in ``source_modules``, which then may
import no line), a line's own face (listed in ``forbidden_modules``) or the demo command (its own
contract). A new generic area or router that nobody listed fails here instead of escaping the
contract; a new line's faces are added to ``forbidden_modules``."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import minzheng.sites

ROOT = Path(__file__).resolve().parents[2]
OWN_CONTRACT = ("minzheng.sites.demo",)  # "The demo city names no business line"
FACES = {"minzheng.sites.workbench", "minzheng.sites.api", "minzheng.sites.portal"}  # their __init__ only


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"] == "Generic sites import no business line")


def _under(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _site_modules() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(minzheng.sites.__path__, prefix="minzheng.sites."):
        if ".migrations" in info.name or info.name.endswith(".tests"):
            continue
        found.append(info.name)
    return found


def test_every_site_module_is_generic_or_a_lines_own():
    contract = _contract()
    generic, lines = contract["source_modules"], contract["forbidden_modules"]
    assert "minzheng.business" in lines
    unclassified = [
        m
        for m in _site_modules()
        if not _under(m, generic) and not _under(m, lines) and not _under(m, OWN_CONTRACT) and m not in FACES
    ]
    assert unclassified == [], f"not in the contract's source_modules nor a line's face: {unclassified}"
    # and no module is both: a line's face is never checked as generic
    assert not [m for m in generic if _under(m, lines)]


def test_the_lines_faces_exist():
    """A stale name in forbidden_modules would forbid nothing: each line's face names a real module."""
    modules = set(_site_modules())
    for face in _contract()["forbidden_modules"]:
        if face.startswith("minzheng.sites."):
            assert face in modules, face
