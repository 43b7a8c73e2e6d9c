"""Region lookups used across the platform."""

from __future__ import annotations

from django.core.cache import cache

from minzheng.foundation.validation import is_digits

from .models import Level, Region
from .prefixes import prefix_q


def normalise_code(code: str) -> str:
    """Accept a 12-digit statistical code or a 2/4/6/9-digit prefix (a 6-digit GB/T 2260 code)."""
    code = (code or "").strip()
    if not is_digits(code) or len(code) > 12:
        raise ValueError(f"区划代码 {code!r} 应为不超过12位的数字")
    return code.ljust(12, "0")


def region_get(code: str) -> Region | None:
    try:
        full = normalise_code(code)
    except ValueError:
        return None
    region = Region.objects.filter(code=full).first()
    if region is None and len(code.strip()) == 6:
        region = Region.objects.filter(gb_code=code.strip()).order_by("code").first()
    return region


def region_chain(region: Region) -> list[Region]:
    """From the province down to ``region``."""
    chain = [region]
    while chain[-1].parent_id:
        chain.append(Region.objects.get(code=chain[-1].parent_id))
    return list(reversed(chain))


def region_names(codes) -> dict[str, str]:
    """code → name for display, with a small cache (names change rarely)."""
    codes = set(codes)
    found = {}
    missing = []
    for code in codes:
        name = cache.get(f"region-name:{code}")
        if name is None:
            missing.append(code)
        else:
            found[code] = name
    if missing:
        for code, name in Region.objects.filter(code__in=missing).values_list("code", "name"):
            found[code] = name
            cache.set(f"region-name:{code}", name, 3600)
    return found


def village_choices(prefixes, *, limit: int = 3000) -> list[tuple[str, list[tuple[str, str]]]] | None:
    """Villages under ``prefixes`` grouped by township, for a region picker; None when too many."""
    if not prefixes:
        return []
    villages = Region.objects.filter(prefix_q("code", prefixes), level=Level.VILLAGE).order_by("code")
    if villages.count() > limit:
        return None
    rows = list(villages.values_list("code", "name", "parent_id"))
    townships = dict(Region.objects.filter(code__in={r[2] for r in rows}).values_list("code", "name"))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, parent in rows:
        groups.setdefault(townships.get(parent, parent), []).append((code, f"{name}（{code}）"))
    return list(groups.items())


def region_prefix(code: str) -> str:
    """The prefix a filter box means: a full 12-digit code selects that region and everything
    under it (by its level, not by trailing zeros: 330381100000 is a township, not 3303811);
    anything shorter is taken as the prefix it is."""
    code = (code or "").strip()
    if len(code) == 12:
        region = Region.objects.filter(code=code).first()
        if region is not None:
            return region.prefix
    return code
