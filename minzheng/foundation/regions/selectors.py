"""Region lookups used across the platform."""

from __future__ import annotations

from django.core.cache import cache

from .models import PREFIX_LENGTH, Region


def normalise_code(code: str) -> str:
    """Accept a 12-digit statistical code or a 2/4/6/9-digit prefix (a 6-digit GB/T 2260 code)."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) > 12:
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


def region_full_name(code: str, *, down_from: str = "county") -> str:
    region = Region.objects.filter(code=code).first()
    if region is None:
        return code
    names = [
        r.name
        for r in region_chain(region)
        if list(PREFIX_LENGTH).index(r.level) >= list(PREFIX_LENGTH).index(down_from)
    ]
    return "".join(names) or region.name


def regions_under(prefix: str, level: str | None = None):
    qs = Region.objects.filter(code__startswith=prefix)
    if level:
        qs = qs.filter(level=level)
    return qs


def village_choices(prefixes, *, limit: int = 3000) -> list[tuple[str, list[tuple[str, str]]]] | None:
    """Villages under ``prefixes`` grouped by township, for a region picker; None when too many."""
    from django.db.models import Q

    from .models import Level

    if not prefixes:
        return []
    q = Q()
    for p in prefixes:
        q |= Q(code__startswith=p)
    villages = Region.objects.filter(q, level=Level.VILLAGE).order_by("code")
    if villages.count() > limit:
        return None
    rows = list(villages.values_list("code", "name", "parent_id"))
    townships = dict(Region.objects.filter(code__in={r[2] for r in rows}).values_list("code", "name"))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, parent in rows:
        groups.setdefault(townships.get(parent, parent), []).append((code, f"{name}（{code}）"))
    return list(groups.items())
