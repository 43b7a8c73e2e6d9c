"""The permission check of a workbench view."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from minzheng.foundation.accounts.scoping import has_permission


def require(user, permission: str) -> None:
    """403 unless ``user`` holds ``permission`` in at least one of their regions."""
    if not has_permission(user, permission):
        raise PermissionDenied("您没有此项权限")
