"""The demo city: 瑞安市 (温州市) with staff for every role at city, county and township level."""

from __future__ import annotations

from pathlib import Path

from pypinyin import lazy_pinyin

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.roles import standard_roles
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.demo import DemoCity, demo_steps
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.services import regions_import
from minzheng.foundation.registry.bulk import registry_analyze, registry_bulk_load
from minzheng.foundation.registry.models import Person
from minzheng.foundation.registry.synthetic import Population

DEMO_REGIONS = Path(__file__).resolve().parents[2] / "foundation" / "regions" / "fixtures" / "demo"
DEMO_PASSWORD = "Minzheng@2026"  # noqa: S105 — printed for the demo city, by design
CITY, COUNTY = "330300000000", "330381000000"
DEMO_TOWNSHIPS = ["330381001000", "330381101000"]  # 安阳街道, 塘下镇


def demo_users() -> list[dict]:
    """Every declared role (:func:`standard_roles`: the platform's and each line's, by their sort) at
    city (温州市), county (瑞安市) and township (安阳街道, 塘下镇) level."""
    levels = [("wz", CITY), ("ra", COUNTY)]
    for code in DEMO_TOWNSHIPS:
        region = Region.objects.get(code=code)
        levels.append(("".join(lazy_pinyin(region.name[:2])), code))
    rows = []
    for short, code in levels:
        place = Region.objects.get(code=code).name
        for role, label, _permissions in standard_roles():
            rows.append({"username": f"{short}_{role}", "name": f"{place}{label}", "role": role, "region": code})
    return rows


def demo_build(*, persons: int, seed: int = 2026, log=print, progress=None) -> dict:
    if not Region.objects.filter(code=COUNTY).exists():
        result = regions_import(source=DEMO_REGIONS)
        log(f"已导入示范区划 {result.rows} 条")
    created_users = []
    for u in demo_users():
        if not User.objects.filter(username=u["username"]).exists():
            user_create(
                username=u["username"],
                password=DEMO_PASSWORD,
                display_name=u["name"],
                grants=[(u["role"], u["region"])],
            )
            created_users.append(u["username"])
    existing = Person.objects.filter(region_code__startswith="330381").count()
    added = 0
    if existing < persons:
        villages = list(
            Region.objects.filter(code__startswith="330381", level=Level.VILLAGE).values_list("code", flat=True)
        )
        # the two demo townships get a larger share so their caseworkers see real lists
        focus = [v for v in villages if v[:12].startswith(tuple(t[:9] for t in DEMO_TOWNSHIPS))]
        population = Population(villages=focus * 4 + villages, hukou_region6="330381", seed=seed + existing)
        target = persons - existing
        households, loaded, batch, pending = 0, 0, [], 0
        if progress:
            progress(0, target)
        for h in population.households(target):
            batch.append(h)
            pending += len(h.members)
            if pending >= 20000:  # load in slices so memory stays flat and the bar moves
                loaded += registry_bulk_load(households=batch)["persons"]
                households, batch, pending = households + len(batch), [], 0
                if progress:
                    progress(loaded, target)
        if batch:
            loaded += registry_bulk_load(households=batch)["persons"]
            households += len(batch)
        if progress:
            progress(loaded, target)
        registry_analyze()
        added = loaded
        result = {"households": households}
        audit_record(action="import", object_type="registry.household", region_code=COUNTY,
                     summary=f"生成示范人口 {result['households']} 户 {added} 人")  # fmt: skip
        log(f"已生成示范人口 {result['households']} 户 {added} 人")
    townships = {code: "".join(lazy_pinyin(Region.objects.get(code=code).name[:2])) for code in DEMO_TOWNSHIPS}
    city = DemoCity(
        region_prefix=COUNTY[:6], townships=townships, county_user="ra", seed=seed, log=log, password=DEMO_PASSWORD
    )
    # each business line's share of the demo city, in order (foundation/demo.py)
    steps = {step.name: step.run(city) for step in demo_steps()}
    return {
        "users_created": created_users,
        "persons_added": added,
        "persons_total": existing + added,
        "steps": steps,
    }
