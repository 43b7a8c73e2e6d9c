"""Region scoping in the query layer: a row is visible when its region code lies under a grant
(as a half-open code range, see :mod:`minzheng.foundation.regions.prefixes`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models

from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.validation import is_digits

ALL = object()  # sentinel: no restriction (superuser)


def user_prefixes(user, permission: str | None = None):
    """Region prefixes where ``user`` holds ``permission`` (any role if None); ALL for superusers."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return ALL
    cache = user.__dict__.setdefault("_grant_cache", None)
    if cache is None:
        cache = list(user.grants.select_related("role").values_list("prefix", "role__permissions"))
        user.__dict__["_grant_cache"] = cache
    prefixes = {p for p, perms in cache if permission is None or permission in perms}
    # a prefix already covered by a shorter one adds nothing
    return sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))


def has_permission(user, permission: str, region_code: str | None = None) -> bool:
    prefixes = user_prefixes(user, permission)
    if prefixes is ALL:
        return True
    if region_code is None:
        return bool(prefixes)
    return any(region_code.startswith(p) for p in prefixes)


def permission_require(user, permission: str, region_code: str | None, *, message: str = "") -> None:
    """For a service that writes: refuse ``user`` without ``permission`` over ``region_code``
    (``None``: over some region) with a Chinese message; the system (``user=None``: a job, a
    migration, the CLI) may."""
    if user is not None and not has_permission(user, permission, region_code):
        raise PermissionDenied(message or "无权在该区划办理此操作")


class ScopedQuerySet(models.QuerySet):
    region_field = "region_code"

    def for_user(self, user, permission: str):
        """The rows under the regions where ``user`` holds ``permission`` (always named: which right a
        list needs is the caller's decision, never a default)."""
        prefixes = user_prefixes(user, permission)
        if prefixes is ALL:
            return self
        if not prefixes:
            return self.none()
        return self.filter(prefix_q(self.region_field, prefixes))

    def under(self, prefix: str):
        return self.filter(prefix_q(self.region_field, [prefix]))


def job_region(*, user, permission: str, region: str, doing: str) -> str:
    """The region prefix a job that ``user`` starts under ``permission`` runs on: the one asked for,
    if it lies within the user's grants; the user's only region when none is asked for; anything for
    a user granted everywhere and for the system (``user=None``). ``doing`` names the work in the
    refusals (e.g. ``"批量核对"``). Refused: a non-digit prefix, no grant, a region outside them, or no
    region asked by a user granted several."""
    from django.core.exceptions import PermissionDenied, ValidationError

    region = (region or "").strip()
    if region and not is_digits(region):
        raise ValidationError({"region": "区划代码须为数字"})
    if user is None:
        return region
    prefixes = user_prefixes(user, permission)
    if prefixes is ALL:
        return region
    if not prefixes:
        raise PermissionDenied(f"无权{doing}")
    if not region:
        if len(prefixes) == 1:
            return prefixes[0]
        raise ValidationError({"region": f"您被授权多个区划，请指定{doing}的区划"})
    if not any(region.startswith(p) for p in prefixes):
        raise PermissionDenied(f"无权在该区划{doing}")
    return region
