"""Region choices and names for filters and forms, always within the user's grants."""

from __future__ import annotations

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.prefixes import prefix_q
from minzheng.foundation.regions.selectors import region_names

TOWNSHIP_CHOICES_LIMIT = 500


def township_choices(user, permission: str) -> list[tuple[str, str]]:
    """Townships under the user's grants for ``permission``, for a region filter."""
    prefixes = user_prefixes(user, permission)
    qs = Region.objects.filter(level=Level.TOWNSHIP)
    if prefixes is not ALL:
        if not prefixes:
            return []
        qs = qs.filter(prefix_q("code", prefixes))
    return list(qs.order_by("code").values_list("code", "name")[:TOWNSHIP_CHOICES_LIMIT])


def township_code(code: str) -> str:
    """The township a village code lies in (the first 9 digits)."""
    return code[:9].ljust(12, "0")


def region_name(code: str) -> str:
    """The region's name, 全国 for no code, the code itself when unknown."""
    return region_names([code]).get(code, code) if code else "全国"


def default_region(user, permission: str) -> str:
    """The user's first granted region for ``permission`` (the township of a caseworker)."""
    for grant in user.grants.select_related("role").order_by("region_id"):
        if permission in grant.role.permissions:
            return grant.region_id
    return ""
