"""Region scoping in the query layer: a row is visible when its region code lies under a grant.

Prefixes become half-open ranges (``'330381' <= code < '330382'``) so the lookup is a B-tree
range scan on any collation, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

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


def prefix_upper(prefix: str) -> str | None:
    """Smallest string greater than every code starting with ``prefix`` (digits only)."""
    if not prefix or set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


def prefix_q(field: str, prefixes) -> Q:
    q = Q()
    for p in prefixes:
        upper = prefix_upper(p)
        part = Q(**{f"{field}__gte": p})
        if upper is not None:
            part &= Q(**{f"{field}__lt": upper})
        q |= part
    return q


class ScopedQuerySet(models.QuerySet):
    region_field = "region_code"

    def for_user(self, user, permission: str = "registry.view"):
        prefixes = user_prefixes(user, permission)
        if prefixes is ALL:
            return self
        if not prefixes:
            return self.none()
        return self.filter(prefix_q(self.region_field, prefixes))

    def under(self, prefix: str):
        return self.filter(prefix_q(self.region_field, [prefix]))
