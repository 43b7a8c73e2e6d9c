"""The region picker of portal forms (一键报贫, the notice board): province → … → village as plain
selects that work without JavaScript (each choice lists the next level on reload; a script may
fill the next level in place)."""

from __future__ import annotations

from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.selectors import region_chain

LEVEL_LABELS = {
    Level.PROVINCE: "省（自治区、直辖市）",
    Level.CITY: "市（地区、州）",
    Level.COUNTY: "县（市、区）",
    Level.TOWNSHIP: "乡镇（街道）",
    Level.VILLAGE: "村（社区）",
}


def region_children(parent: str | None) -> list[tuple[str, str, str]]:
    qs = Region.objects.filter(parent_id=parent) if parent else Region.objects.filter(parent__isnull=True)
    return list(qs.order_by("code").values_list("code", "name", "level"))


def region_picker(chosen: dict[str, str]) -> tuple[list[dict], str]:
    """The picker's rows from the top down: each level's options under the choice above it, with
    the choice kept only when it is one of them (a changed township drops its old village); a level
    with one option is chosen by itself. Returns the rows and the deepest code chosen."""
    rows: list[dict] = []
    parent = None
    deepest = ""
    for _ in range(len(LEVEL_LABELS)):
        options = region_children(parent)
        if not options:
            break
        level = options[0][2]
        codes = {c for c, _, _ in options}
        selected = chosen.get(level, "")
        if selected not in codes:
            selected = options[0][0] if len(options) == 1 else ""
        rows.append({"level": level, "label": LEVEL_LABELS.get(level, "区划"), "selected": selected,
                     "options": [(c, n) for c, n, _ in options]})  # fmt: skip
        if not selected:
            break
        deepest = parent = selected
    return rows, deepest


def region_chosen_from(code: str) -> dict[str, str]:
    """The picker's choices leading to ``code`` (e.g. the signed-in citizen's village)."""
    region = Region.objects.filter(code=code).first() if code else None
    return {r.level: r.code for r in region_chain(region)} if region else {}
