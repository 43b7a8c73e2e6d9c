"""System check ``minzheng``: every permission string is declared by some app.

Fails start-up (``runserver``, ``migrate``, ``check``) when

* a role grants a permission nobody declared, or a role nobody declared is granted one (E001, E002);
* code uses a permission string nobody declared (E003): a typo such as ``"benefit.view"`` would
  otherwise deny everyone silently, because no role can ever hold it.

"Used in code" is found by reading the source (``ast``), not by running it, so a page nobody opened
in the tests is covered as well. A string literal counts as a permission use when it is

* passed to a function or method of the platform that has a parameter named ``permission`` / ``perm``
  / ``*_permission`` (``for_user(user, "x.y")``, ``has_permission``, ``user_prefixes``, ``job_region``,
  each view module's ``_require`` …), found by the same scan, at that parameter's position or by its
  keyword — so a new checking helper is covered the day it is written;
* the default of such a parameter, or assigned to a name ending in ``permission``
  (``region_permission = "benefits.view"``);
* an element of a literal tuple/list/set iterated by a ``for`` whose variable is passed to such a
  function (``for code in ("registry.change", …): has_permission(user, code)``);
* in a template, the argument of the ``can`` filter (``user|can:"cases.view"``).

Migrations are not read (they record the codes of their day). A permission computed at run time
(``f"{kind}.view"``) is not seen: name permissions as literals.
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.core import checks

from .roles import PERMISSION_RE, PERMISSIONS, ROLES, role_grants

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # minzheng/
TEMPLATE_CAN_RE = re.compile(r"""\|\s*can\s*:\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Use:
    permission: str
    where: str  # path:line


def _is_permission_param(name: str) -> bool:
    return name in ("permission", "perm") or name.endswith("_permission")


CANDIDATE_RE = re.compile(r"""["'][a-z][a-z_]*\.[a-z][a-z_]*["']|perm""")


def _sources(root: Path):
    """The parsed modules that may hold a permission string or a checking function (a cheap text
    test first: parsing every module costs seconds)."""
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            if CANDIDATE_RE.search(text):
                yield path, ast.parse(text, filename=str(path))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue


def _checkers(functions) -> dict[str, set[int]]:
    """``{function name: positions of its permission parameters as a caller writes them}``: a method's
    ``self`` is not written by its caller (``qs.for_user(user, "x.y")``)."""
    found: dict[str, set[int]] = {}
    for node in functions:
        names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        shift = 1 if names and names[0] in ("self", "cls") else 0
        for i, name in enumerate(names):
            if _is_permission_param(name):
                found.setdefault(node.name, set()).add(i - shift)
        if any(_is_permission_param(a.arg) for a in node.args.kwonlyargs):
            found.setdefault(node.name, set())
    return found


def _call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _string(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _permission_args(call: ast.Call, checkers: dict[str, set[int]]):
    """The argument nodes of ``call`` in a permission position."""
    positions = checkers.get(_call_name(call))
    if positions is not None:
        for i in positions:
            if 0 <= i < len(call.args):
                yield call.args[i]
    for kw in call.keywords:
        if kw.arg and _is_permission_param(kw.arg):
            yield kw.value


def _fingerprint(root: Path) -> str:
    from minzheng.foundation.crypto.sm import sm3_hex

    parts = []
    for path in sorted([*root.rglob("*.py"), *root.rglob("templates/**/*.html")]):
        stat = path.stat()
        parts.append(f"{path.relative_to(root)}:{stat.st_mtime_ns}:{stat.st_size}")
    return sm3_hex("\n".join(parts).encode())


def permission_uses(root: Path = PACKAGE_ROOT) -> list[Use]:
    """Every permission string the code under ``root`` uses (see the module docstring). The result
    is kept in ``VAR_DIR`` under a fingerprint of the files' sizes and times, so a command started
    again on unchanged code does not read the source again."""
    from django.conf import settings

    cache = Path(getattr(settings, "VAR_DIR", root)) / "cache" / "permission_uses.json"
    key = f"{root}|{_fingerprint(root)}"
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return [Use(*pair) for pair in stored["uses"]]
    except (OSError, ValueError, TypeError):
        pass
    uses = _scan(root)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "uses": [[u.permission, u.where] for u in uses]}), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass
    return uses


def _scan(root: Path) -> list[Use]:
    # one walk over each module, sorting out the nodes that matter; then the checking functions
    # (found anywhere) decide which calls are permission uses
    functions, nodes = [], []
    for path, tree in _sources(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append(node)
                nodes.append((path, node))
            elif isinstance(node, ast.Call | ast.Assign | ast.AnnAssign):
                nodes.append((path, node))
            elif isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple | ast.List | ast.Set):
                nodes.append((path, node))
    checkers = _checkers(functions)
    uses: list[Use] = []

    def add(node, path: Path):
        value = _string(node)
        if value is not None:
            uses.append(Use(value, f"{path.relative_to(root.parent)}:{node.lineno}"))

    for path, node in nodes:
        if isinstance(node, ast.Call):
            for arg in _permission_args(node, checkers):
                add(arg, path)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            for arg, default in zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True):
                if _is_permission_param(arg.arg):
                    add(default, path)
            for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                if default is not None and _is_permission_param(arg.arg):
                    add(default, path)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                if name and _is_permission_param(name) and node.value is not None:
                    add(node.value, path)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            variable = node.target.id
            passed = any(
                isinstance(arg, ast.Name) and arg.id == variable
                for inner in ast.walk(node)
                if isinstance(inner, ast.Call)
                for arg in _permission_args(inner, checkers)
            )
            if passed:
                for element in node.iter.elts:
                    add(element, path)
    for path in sorted(root.rglob("templates/**/*.html")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in TEMPLATE_CAN_RE.finditer(text):
                uses.append(Use(match.group(1), f"{path.relative_to(root.parent)}:{number}"))
    return uses


def permissions_check(app_configs=None, root: Path | None = None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for role, granted in role_grants().items():
        if role not in ROLES:
            modules = "、".join(sorted(set(granted.values())))
            errors.append(
                checks.Error(
                    f"角色「{role}」未声明，却由 {modules} 授予了权限",
                    hint="在某个应用的 permissions.py 中用 role_declare() 声明该角色，或改正角色代码。",
                    id="minzheng.E002",
                )
            )
        for permission, module in granted.items():
            if permission not in PERMISSIONS:
                errors.append(
                    checks.Error(
                        f"角色「{role}」被授予了未声明的权限「{permission}」（{module}）",
                        hint="在拥有该权限的应用的 permissions.py 中用 permissions_declare() 声明它，或改正拼写。",
                        id="minzheng.E001",
                    )
                )
    undeclared: dict[str, list[str]] = {}
    for use in permission_uses(root or PACKAGE_ROOT):
        if use.permission not in PERMISSIONS:
            undeclared.setdefault(use.permission, []).append(use.where)
    for permission, places in sorted(undeclared.items()):
        shape = "" if PERMISSION_RE.match(permission) else "（格式应为 应用.动作）"
        errors.append(
            checks.Error(
                f"代码使用了未声明的权限「{permission}」{shape}：{'，'.join(places[:5])}"
                + (f" 等{len(places)}处" if len(places) > 5 else ""),
                hint="在拥有该权限的应用的 permissions.py 中用 permissions_declare() 声明它，或改正拼写。",
                id="minzheng.E003",
            )
        )
    return errors
