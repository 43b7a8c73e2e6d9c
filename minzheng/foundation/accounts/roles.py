"""Permissions and roles, declared by the apps that use them; roles are seeded as data.

Each app declares what may be done in it, and who may do it by default, in its own
``permissions.py`` (found at start-up like ``admin.py``)::

    from minzheng.foundation.accounts.roles import permissions_declare, role_declare, role_grant

    permissions_declare({"care.view": "查看养老服务", "care.supervise": "养老机构监管"})
    role_declare("care_supervisor", "养老机构监管员", sort=20, permissions=["care.view", "care.supervise"])
    role_grant("leader", ["care.view"])  # a shared standard role (受理员, 审批员, 领导 …) gets it too

The standard roles (``accounts/permissions.py``) and a line's own roles are then **data**: seeded by
:func:`roles_ensure` (after every migrate) and never overwritten, so what an administrator changed
stays; a line that grants a standard role a new permission on an existing install does so with a data
migration calling :func:`roles_add_permissions`. A permission string nobody declared, used in code or
granted by a role, fails the system check ``minzheng`` at start-up (``accounts/checks.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from minzheng.foundation.plugins import Registry

# "app.action": lower-case letters and underscores on both sides of one dot
PERMISSION_RE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")

PERMISSIONS = Registry("权限")  # code → Chinese label
ROLES = Registry("角色")  # code → (名称, sort)
_GRANTS: dict[str, dict[str, str]] = {}  # role code → {permission: declaring module}, in declaration order


def _caller_module(depth: int = 2) -> str:
    import sys

    return sys._getframe(depth).f_globals.get("__name__", "?")


def permissions_declare(labels: dict[str, str]) -> None:
    """Declare permissions ``{code: 中文名称}`` (code ``app.action``). A code declared twice with
    different labels is refused (:class:`~minzheng.foundation.plugins.DuplicateRegistration`)."""
    for code, label in labels.items():
        if not PERMISSION_RE.match(code):
            raise ValueError(f"权限代码「{code}」格式应为 应用.动作（小写字母和下划线）")
        if not label:
            raise ValueError(f"权限「{code}」须有中文名称")
        PERMISSIONS[code] = label


def role_declare(code: str, name: str, *, sort: int, permissions: Iterable[str] = ()) -> None:
    """Declare a role (seeded as data, see :func:`roles_ensure`) with the permissions it starts with."""
    ROLES[code] = (name, sort)
    _grant(code, permissions, _caller_module())


def role_grant(role: str, permissions: Iterable[str]) -> None:
    """Give a role declared elsewhere (a standard role, or another line's) these permissions by default."""
    _grant(role, permissions, _caller_module())


def _grant(role: str, permissions: Iterable[str], module: str) -> None:
    granted = _GRANTS.setdefault(role, {})
    for permission in permissions:
        granted.setdefault(permission, module)


def permission_label(code: str) -> str:
    return PERMISSIONS.get(code, code)


def role_grants() -> dict[str, dict[str, str]]:
    """``{role: {permission: declaring module}}`` as declared (for the system check)."""
    return {role: dict(perms) for role, perms in _GRANTS.items()}


def standard_roles() -> list[tuple[str, str, list[str]]]:
    """The declared roles as ``(code, 名称, permissions)``, by their sort."""
    ordered = sorted(ROLES.items(), key=lambda item: (item[1][1], item[0]))
    return [(code, name, list(_GRANTS.get(code, {}))) for code, (name, _sort) in ordered]


def roles_ensure(Role) -> None:
    """Create any declared role that is missing; never overwrite what an administrator changed."""
    for code, name, permissions in standard_roles():
        sort = ROLES[code][1]
        Role.objects.get_or_create(code=code, defaults={"name": name, "permissions": permissions, "sort": sort})


def roles_add_permissions(Role, new: set[str]) -> None:
    """For a data migration: give the declared roles those permissions of ``new`` that they hold by
    declaration but not yet in the database (installs seeded before an engine or line existed).
    Nothing outside ``new`` is touched, and roles an administrator created are left alone."""
    for code, _name, permissions in standard_roles():
        role = Role.objects.filter(code=code).first()
        if role is None:
            continue
        added = [p for p in permissions if p in new and p not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])
