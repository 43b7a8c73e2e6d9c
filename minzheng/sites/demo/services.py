"""The demo city: 瑞安市 (温州市) with staff for every role at city, county and township level."""

from __future__ import annotations

from pathlib import Path

from pypinyin import lazy_pinyin

from minzheng.foundation.accounts.models import User
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.regions.models import Level, Region
from minzheng.foundation.regions.services import regions_import
from minzheng.foundation.registry.bulk import registry_bulk_load
from minzheng.foundation.registry.models import Person
from minzheng.foundation.registry.synthetic import Population

DEMO_REGIONS = Path(__file__).resolve().parents[2] / "foundation" / "regions" / "fixtures" / "demo"
DEMO_PASSWORD = "Minzheng@2026"  # noqa: S105 — printed for the demo city, by design
CITY, COUNTY = "330300000000", "330381000000"
DEMO_TOWNSHIPS = ["330381001000", "330381101000"]  # 安阳街道, 塘下镇


def demo_users() -> list[dict]:
    """(username, name, role, region) for the demo staff."""
    rows = [
        ("admin", "系统管理员", "admin", CITY),
        ("wz_leader", "温州市民政局领导", "leader", CITY),
        ("ra_approver", "瑞安市审批员", "approver", COUNTY),
        ("ra_reviewer", "瑞安市审核员", "reviewer", COUNTY),
        ("ra_finance", "瑞安市财务", "finance", COUNTY),
        ("ra_leader", "瑞安市民政局领导", "leader", COUNTY),
    ]
    for code in DEMO_TOWNSHIPS:
        region = Region.objects.get(code=code)
        short = "".join(lazy_pinyin(region.name[:2]))
        for role, label in (("acceptor", "受理员"), ("investigator", "调查员"), ("reviewer", "审核员")):
            rows.append((f"{short}_{role}", f"{region.name}{label}", role, code))
    return [{"username": u, "name": n, "role": r, "region": c} for u, n, r, c in rows]


def demo_build(*, persons: int, seed: int = 2026, log=print) -> dict:
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
        households = list(population.households(persons - existing))
        result = registry_bulk_load(households=households)
        added = result["persons"]
        audit_record(action="import", object_type="registry.household", region_code=COUNTY,
                     summary=f"生成示范人口 {result['households']} 户 {added} 人")  # fmt: skip
        log(f"已生成示范人口 {result['households']} 户 {added} 人")
    return {"users_created": created_users, "persons_added": added, "persons_total": existing + added}
