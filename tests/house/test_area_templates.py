"""Each workbench area keeps its templates in its own folder (issue 15): what an area's views render
lives under ``templates/workbench/<area>/``, what several areas share under ``workbench/common/``
(beside ``sites/workbench/common/``), and the shell's pages (``base``, ``home``, ``login``,
``error``) at the top. An area's templates include only their own partials, the common ones and
the shell's — so a line adding its area never edits another area's folder, and moving an area
moves all of its pages."""

from __future__ import annotations

import re
from pathlib import Path

import minzheng.sites.workbench as workbench

PACKAGE = Path(workbench.__file__).resolve().parent
TEMPLATES = PACKAGE / "templates" / "workbench"
SHELL = {"base.html", "home.html", "login.html", "error.html"}
NAME = re.compile(r"""["'](workbench/[A-Za-z0-9_/]+\.html)["']""")
# the assistance line's 救助链 is reached from the monitoring pages and shows their tabs
BORROWED = {("assistance/chain.html", "monitoring/_nav.html")}


def _areas() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if (p / "area.py").exists())


def _allowed(area: str, name: str) -> bool:
    rel = name.removeprefix("workbench/")
    return rel.startswith((f"{area}/", "common/")) or rel in SHELL


def test_every_area_renders_templates_of_its_own_folder():
    strays = []
    for area in _areas():
        for module in (PACKAGE / area).rglob("*.py"):
            for name in NAME.findall(module.read_text(encoding="utf-8")):
                if not _allowed(area, name):
                    strays.append(f"{module.relative_to(PACKAGE)}: {name}")
    assert strays == []


def test_area_templates_include_their_own_the_common_and_the_shells_only():
    strays = []
    for area in _areas():
        for template in (TEMPLATES / area).rglob("*.html"):
            rel = template.relative_to(TEMPLATES).as_posix()
            for name in NAME.findall(template.read_text(encoding="utf-8")):
                if not _allowed(area, name) and (rel, name.removeprefix("workbench/")) not in BORROWED:
                    strays.append(f"{rel}: {name}")
    assert strays == []


def test_the_template_folder_has_the_areas_the_common_and_the_shell_only():
    folders = {p.name for p in TEMPLATES.iterdir() if p.is_dir()}
    files = {p.name for p in TEMPLATES.iterdir() if p.is_file()}
    assert folders <= {*_areas(), "common"} and files <= SHELL
