"""Reads over staff accounts: who holds a permission, and where.

One rule for "the active users holding permission P over region R" (payroll approvers, the
township's monitoring staff, the administrators told of a reveal limit, the audit log's readers):
a user holds P through a grant whose role lists P; the grant counts for R when it lies at R or
above it (its prefix is a leading part of R's code), or, with ``above=False``, exactly at R.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from minzheng.foundation.regions.prefixes import prefix_q

from .models import Grant, Role, User


def roles_with_permission(permission: str) -> list[str]:
    """Codes of the roles (standard or an administrator's) that list ``permission``. Roles are few;
    read in Python so the rule is the same on SQLite, which has no JSON ``contains``."""
    return [code for code, perms in Role.objects.values_list("code", "permissions") if permission in (perms or [])]


def _holding_grants(permission: str, regions: Iterable[str] | None, *, above: bool, below: bool = False):
    grants = Grant.objects.filter(role__in=roles_with_permission(permission), user__is_active=True)
    if regions is not None:
        codes = set(regions)
        prefixes = {code[:n] for code in codes for n in range(1, len(code) + 1)} if above else codes
        where = Q(prefix__in=prefixes)
        if below:
            where |= prefix_q("prefix", codes)
        grants = grants.filter(where)
    return grants.select_related("user").order_by("user_id", "prefix")


def users_with_permission(
    permission: str,
    regions: str | Iterable[str] | None = None,
    *,
    above: bool = True,
    below: bool = False,
    superusers: bool = False,
) -> list[User]:
    """The active users holding ``permission`` over ``regions`` (a code or prefix, or several: over
    any of them), each once, by id. ``regions=None``: through a grant anywhere. ``above=False``:
    only grants exactly at the given prefixes (a township's own office, not the county above it).
    ``below=True``: grants lying under the given prefixes count too (a county's draw of inspectors
    takes in the townships' ones; give the region's prefix, ``330381``, not its 12-digit code). ``superusers``: the active superusers too, who hold every permission without a grant."""
    if isinstance(regions, str):
        regions = [regions]
    out: dict[int, User] = {}
    for grant in _holding_grants(permission, regions, above=above, below=below):
        out.setdefault(grant.user_id, grant.user)
    if superusers:
        for user in User.objects.filter(is_superuser=True, is_active=True):
            out.setdefault(user.pk, user)
    return [out[pk] for pk in sorted(out)]


def users_with_permission_per_region(permission: str, regions: Iterable[str], *, above: bool = True) -> dict:
    """``{region: [users]}``: :func:`users_with_permission` for each of ``regions`` at once (one
    query for all of them); a region nobody holds the permission over is missing."""
    regions = set(regions)
    out: dict[str, dict[int, User]] = defaultdict(dict)
    for grant in _holding_grants(permission, regions, above=above):
        for region in regions:
            if region.startswith(grant.prefix) if above else region == grant.prefix:
                out[region].setdefault(grant.user_id, grant.user)
    return {region: [users[pk] for pk in sorted(users)] for region, users in out.items()}


def permission_holders(
    permission: str, regions: str | Iterable[str], *, above: bool = True, below: bool = False
) -> dict[int, tuple[str, list[str]]]:
    """``{user id: (username, [prefixes])}``: the same holders as :func:`users_with_permission`
    (same rule, same arguments), read as plain values in one query for pools of thousands (the
    supervision draw's inspectors), with the prefixes of their grants that carry ``permission``."""
    if isinstance(regions, str):
        regions = [regions]
    out: dict[int, tuple[str, list[str]]] = {}
    rows = _holding_grants(permission, regions, above=above, below=below).values_list(
        "user_id", "user__username", "prefix"
    )
    for user_id, username, prefix in rows:
        out.setdefault(user_id, (username, []))[1].append(prefix)
    return out
