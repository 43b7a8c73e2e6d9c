"""The simulation's simplified household → request mapping (all means on the head, every member
counted) is a simplification of 提标测算 and nothing binding may use it (issue 15, ADR 0017)."""

from __future__ import annotations

import ast
from pathlib import Path

import minzheng

ROOT = Path(minzheng.__file__).parent
SIMPLIFIED = {"assessment_request", "registry_members"}
# the simulation itself, and the synthetic demo roll (made-up means, assessed the simulation's way)
ALLOWED = {"business/assistance/simulation.py", "business/assistance/demo.py"}


def _users(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("simulation"):
            found += [a.name for a in node.names if a.name in SIMPLIFIED or a.name == "*"]
        elif isinstance(node, ast.Attribute) and node.attr in SIMPLIFIED:
            found.append(node.attr)
        elif isinstance(node, ast.Name) and node.id in SIMPLIFIED:
            found.append(node.id)
    return found


def test_only_the_simulation_uses_its_simplified_mapping():
    offenders = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        names = _users(ast.parse(path.read_text(encoding="utf-8")))
        if names:
            offenders[rel] = sorted(set(names))
    assert offenders == {}, f"the simulation's simplified mapping used outside 提标测算: {offenders}"


def test_the_check_sees_a_use():
    """The scan is not blind: an import of the mapping, under any alias, is found."""
    tree = ast.parse("from minzheng.business.assistance.simulation import assessment_request as r\n")
    assert _users(tree) == ["assessment_request"]
    assert _users(ast.parse("from . import simulation\nsimulation.registry_members([1])\n")) == ["registry_members"]
