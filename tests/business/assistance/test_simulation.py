"""提标测算: the SQL twin agrees with assess() household by household; the run, the report's region
scoping, the job and the command line."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from types import SimpleNamespace

import duckdb
import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.business.assistance import simulation as sim
from minzheng.business.assistance.assessment import assess
from minzheng.business.assistance.models import INCOME_FIELDS, INCOME_KINDS
from minzheng.business.assistance.policy import FAMILY_INCOME, NATIONWIDE_EXCLUSIONS, TEKUN_INCOME
from minzheng.foundation.parameters.exclusions import exclusions_given
from minzheng.foundation.parameters.standards import MissingStandard, Standards
from tests.conftest import ANYANG, ANYANG_VILLAGE, TANGXIA, TANGXIA_VILLAGE

AS_OF = dt.date(2027, 1, 1)
REGION = "330381001001"

# ---------------------------------------------------------------- strategies


def cents(lo, hi):
    return st.decimals(min_value=lo, max_value=hi, places=2, allow_nan=False, allow_infinity=False)


def amount4(lo, hi):
    """A standard's amount: whole yuan, fen, or the table's four decimals."""
    return st.one_of(
        st.integers(lo, hi).map(Decimal),
        cents(lo, hi),
        st.decimals(min_value=lo, max_value=hi, places=4, allow_nan=False, allow_infinity=False),
    )


@st.composite
def standards(draw):
    s = {
        "dibao_monthly": draw(amount4(300, 2000)),
        "edge_multiple": draw(st.sampled_from([Decimal("1.5"), Decimal("1.3"), Decimal(2), Decimal("1.25")])),
        "single_person_enabled": draw(st.booleans()),
        "category_topup_monthly": draw(amount4(0, 300)),
        "employment_cost_rate": draw(st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.15"), Decimal("0.2345")])),
        "rigid_expense_deductible": draw(st.booleans()),
        "financial_assets_months": draw(st.sampled_from([Decimal(0), Decimal(12), Decimal(24), Decimal("36.5")])),
        "houses_allowed": draw(st.integers(0, 2)),
        "non_residential_houses_allowed": draw(st.integers(0, 1)),
        "vehicles_allowed": draw(st.integers(0, 1)),
        "business_registrations_allowed": draw(st.integers(0, 1)),
        "rigid_expense_share": draw(st.sampled_from([Decimal("0.5"), Decimal("0.6"), Decimal("0.75")])),
        "rigid_expense_income_line_annual": draw(amount4(5000, 80000)),
        "rounding": draw(st.sampled_from(["ceil_yuan", "round_fen"])),
        "tekun_care_monthly": {t: draw(amount4(0, 1000)) for t in sim.CARE},
    }
    if draw(st.booleans()):
        s["tekun_basic_monthly"] = draw(amount4(500, 2500))
    else:
        s["tekun_basic_multiple"] = draw(st.sampled_from([Decimal("1.3"), Decimal("1.5"), Decimal("1.3333")]))
    return s


@st.composite
def changes(draw):
    out = [
        draw(
            st.one_of(
                st.integers(-20, 30).map(lambda v: sim.Change("dibao_monthly", "pct", Decimal(v))),
                st.decimals(-100, 300, places=2).map(lambda v: sim.Change("dibao_monthly", "add", v)),
            )
        )
    ]
    if draw(st.booleans()):
        out.append(sim.Change("category_topup_monthly", "pct", Decimal(draw(st.integers(0, 20)))))
    if draw(st.booleans()):
        out.append(sim.Change("edge_multiple", "set", draw(st.sampled_from([Decimal("1.5"), Decimal(2)]))))
    return out


KINDS = ["limb", "visual", "hearing", "speech", "intellectual", "mental", "multiple"]


def random_member(r: random.Random, pid: int) -> SimpleNamespace:
    # ages around the thresholds (16, 18, 60) often, birthdays on and around the day
    years = r.choice([r.randint(0, 100), r.choice([15, 16, 17, 18, 59, 60])])
    shift = r.choice([r.randint(-400, 400), r.choice([-1, 0, 1])])
    birth = min(AS_OF.replace(year=AS_OF.year - years) + dt.timedelta(days=shift), AS_OF)
    kind, grade = "", None
    roll = r.random()
    if roll < 0.3:
        kind, grade = r.choice(KINDS), r.randint(1, 4)
    elif roll < 0.33:
        grade = r.randint(1, 4)  # an inconsistent registry row: a grade without a kind
    return SimpleNamespace(
        person_id=pid,
        relation=r.choice(["head", "spouse", "child", "parent", "other"]),
        birth_date=birth,
        disability_kind=kind,
        disability_grade=grade,
        serious_illness=r.random() < 0.2,
        self_care=r.choice(["full", "partial", "none"]),
    )


def random_cents(r: random.Random, hi: int) -> Decimal:
    return Decimal(r.randint(0, hi * 100)) / 100


def random_household(r: random.Random, hid: int, std: dict):
    """A household of one of several profiles, each aimed at the edges of one rule."""
    profile = r.choice(["general", "general", "gap", "rigid", "tekun", "single"])
    n = r.choice([1, 1, 1, r.randint(1, 6)]) if profile in ("general", "gap", "rigid") else r.randint(2, 4)
    n = 1 if profile == "tekun" else n
    members = [random_member(r, hid * 100 + i) for i in range(n)]
    if r.random() < 0.7:  # usually one head, first
        for i, m in enumerate(members):
            m.relation = "head" if i == 0 else ("spouse" if m.relation == "head" else m.relation)
    dibao, rate, edge = std["dibao_monthly"], std["employment_cost_rate"], std["edge_multiple"]
    deductible = std["rigid_expense_deductible"]
    wages = r.choice([Decimal(0), random_cents(r, 150000)])
    rigid = r.choice([Decimal(0), random_cents(r, 60000)])
    clean = profile != "general"  # property that passes, so the income rules decide
    if profile == "gap":
        # the 低保 gap exactly k yuan, or k + 0.4 / 0.5 / 0.6 fen (ceil_yuan and round_fen ties)
        wages, rigid = Decimal(0), Decimal(0)
        k = r.randint(1, max(1, int(n * dibao)))
        gap = k + r.choice([Decimal(0), Decimal("0.004"), Decimal("0.005"), Decimal("0.006")])
        other = max(Decimal(0), 12 * n * dibao - 12 * gap)
    elif profile == "rigid":
        # rigid expenses exactly the configured share of the income, income above the 边缘 line
        share = std["rigid_expense_share"]
        wages = Decimal(0)
        annual = 12 * n * edge * dibao * Decimal(r.choice(["1", "1.1", "1.5"])) + r.choice([-1, 0, 1])
        gross = annual / (1 - share) if deductible else annual
        gross = Decimal(int(gross) // 4 * 4 + 4)
        other, rigid = gross, (gross * share).quantize(Decimal("0.01"))
        other = other + r.choice([Decimal(0), Decimal(0), Decimal("0.01")])
    elif profile == "tekun":
        m = members[0]
        m.birth_date = AS_OF.replace(year=AS_OF.year - r.choice([10, 15, 16, 30, 59, 60, 75]))
        m.birth_date += dt.timedelta(days=r.choice([-1, 0, 1]))
        m.disability_kind, m.disability_grade = r.choice(
            [("", None), ("visual", 1), ("visual", 2), ("limb", 2), ("limb", 3), ("multiple", 2), ("multiple", 3),
             ("intellectual", 3), ("mental", 4), ("hearing", 1)]
        )  # fmt: skip
        other = (12 * dibao * Decimal(r.choice(["0", "0.5", "1", "1.2"]))).quantize(Decimal("0.01"))
        other = max(Decimal(0), other + r.choice([Decimal("-0.01"), Decimal(0), Decimal("0.01")]))
        wages, rigid = Decimal(0), Decimal(0)
    else:
        if profile == "single":
            for m in members:
                m.birth_date = AS_OF.replace(year=AS_OF.year - r.choice([17, 18, 30, 45, 70]))
                m.disability_kind, m.disability_grade = r.choice([("", None), ("limb", 1), ("mental", 3)])
                m.serious_illness = r.random() < 0.3
        # aim the counted income at a line (低保, 边缘, 2 ×) ± a fen, or anywhere
        target = r.choice([None, 0, "0.5", 1, 1, "1.25", edge, edge, 2])
        if target is None:
            other = random_cents(r, 150000)
        else:
            aim = 12 * n * dibao * Decimal(target) + r.choice([Decimal("-0.01"), Decimal(0), Decimal("0.01")])
            other = aim - wages * (1 - rate) + (rigid if deductible else 0)
            other = max(Decimal(0), other).quantize(Decimal("0.01"))
    limit = (std["financial_assets_months"] * dibao * n).quantize(Decimal("0.01"))
    means = SimpleNamespace(
        wages_annual=wages,
        other_income_annual=other.quantize(Decimal("0.01")),
        excluded_income_annual=r.choice([Decimal(0), random_cents(r, 20000)]),
        rigid_expense_annual=rigid,
        financial_assets=r.choice([Decimal(0), random_cents(r, 300000), limit, limit + Decimal("0.01")]),
        houses=r.randint(0, 2),
        non_residential_houses=r.choice([0, 0, 0, 1]),
        vehicles=r.choice([0, 0, 0, 1]),
        business_registrations=r.choice([0, 0, 0, 1]),
        has_able_supporter=r.choice([None, True, False, False]),
    )
    if clean:
        means.financial_assets = r.choice([Decimal(0), limit])
        means.houses = min(means.houses, std["houses_allowed"])
        means.non_residential_houses = means.vehicles = means.business_registrations = 0
    if profile == "tekun":
        means.has_able_supporter = r.choice([None, True, False, False, False])
    return hid, means, members


NATIONWIDE_FAMILY = frozenset(k for scope, k, _ in NATIONWIDE_EXCLUSIONS if scope == FAMILY_INCOME)
NATIONWIDE_TEKUN = frozenset(k for scope, k, _ in NATIONWIDE_EXCLUSIONS if scope == TEKUN_INCOME)
OTHER_KINDS = [k for k in INCOME_KINDS if k != "wages"]


@st.composite
def exclusion_rules(draw):
    """One region's income exclusions: the nationwide lists with kinds added or counted again (a
    city's own items), 高龄津贴 for 低保 by the regional standard (or that standard missing)."""

    def varied(base):
        kinds = set(base)
        for kind in draw(st.lists(st.sampled_from(OTHER_KINDS), max_size=3)):
            kinds ^= {kind}
        if draw(st.integers(0, 19)) == 0:
            kinds.add("wages")  # a region may even leave out wages (the assessment allows it)
        return frozenset(kinds)

    nationwide = draw(st.integers(0, 2)) == 0
    family = NATIONWIDE_FAMILY if nationwide else varied(NATIONWIDE_FAMILY)
    own = NATIONWIDE_TEKUN if nationwide else varied(NATIONWIDE_TEKUN)
    longevity = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal(1), None]))  # None: not configured
    return family, own, longevity


REGIONS = [REGION, "330381001002", "330381101009"]


@st.composite
def cases(draw):
    """Standards and changes drawn by hypothesis, and up to three regions each with its own income
    exclusions; the households from a drawn seed (many per example, cheaply: a failure prints the
    household, and the seed reproduces it)."""
    std = draw(standards())
    rules = {region: draw(exclusion_rules()) for region in REGIONS[: draw(st.integers(1, 3))]}
    r = random.Random(draw(st.integers(0, 2**32)))
    households = []
    for i in range(draw(st.integers(1, 60))):
        region = r.choice(list(rules))
        hid, means, members = random_household(r, i + 1, std)
        households.append((hid, by_kind(r, means, region, rules[region]), members))
    return std, draw(changes()), draw(st.sampled_from(["urban", "rural"])), households, rules


def by_kind(r: random.Random, means, region: str, rules):
    """The household's income per kind, in ``region``: the counted income aimed at a line
    (``other_income_annual``) spread over kinds its 低保 rule counts, something in kinds it leaves
    out, often 高龄津贴 (counted or not for 低保, never for 特困). The split counted/excluded is left
    as saved under the nationwide lists (before the region's rule): the simulation must not read
    it. Means whose kinds are not recorded keep only that split, read as saved whatever the region's
    rules (the reference: the mapping's 转移净收入 / 救助款物 under the nationwide lists)."""
    family, _own, longevity = rules
    means.region_code = region
    if r.random() < 0.2:
        means.incomes_by_kind = False
        return means
    counted = [k for k in OTHER_KINDS if k not in family and not (k == "longevity_allowance" and longevity)]
    left_out = [k for k in OTHER_KINDS if k not in counted]
    kinds = dict.fromkeys(INCOME_KINDS, Decimal(0))
    kinds["wages"] = means.wages_annual
    other, spread = means.other_income_annual, r.sample(counted, min(len(counted), r.choice([1, 1, 2])))
    for kind in spread[:-1]:
        part = Decimal(r.randint(0, int(other * 100))) / 100
        kinds[kind] += part
        other -= part
    kinds[spread[-1] if spread else "transfer"] += other
    for kind in r.sample(left_out, min(len(left_out), r.choice([0, 1, 2]))):
        kinds[kind] += random_cents(r, 20000)
    if r.random() < 0.4:
        kinds["longevity_allowance"] += Decimal(r.choice([600, 1200, 3600]))
    means.incomes_by_kind = True
    for kind, field in INCOME_FIELDS.items():
        setattr(means, field, kinds[kind])
    means.other_income_annual = sum((v for k, v in kinds.items() if k != "wages" and k not in NATIONWIDE_FAMILY),
                                    Decimal(0))  # fmt: skip
    means.excluded_income_annual = sum((v for k, v in kinds.items() if k in NATIONWIDE_FAMILY), Decimal(0))
    return means


# ---------------------------------------------------------------- the twin


_duck = []


def _con():
    """One in-memory DuckDB for all examples (connecting costs ~90 ms)."""
    if not _duck:
        _duck.append(duckdb.connect())
    return _duck[0]


def memory_standards(values: dict, hukou: str, region: str = REGION, rules=None) -> Standards:
    """Standards and income exclusions held in memory (no database in the examples): the nationwide
    lists, or ``rules`` (:func:`exclusion_rules`: the kinds each rule leaves out, 高龄津贴 standard)."""
    if rules is None:
        rows = NATIONWIDE_EXCLUSIONS
    else:
        family, own, longevity = rules
        values = {k: v for k, v in values.items() if k != "longevity_allowance_excluded"}
        if longevity is not None:
            values["longevity_allowance_excluded"] = longevity
        # (a placeholder rule: an empty dict would send the view to the database)
        rows = [("placeholder", "-")] + [(FAMILY_INCOME, k) for k in family] + [(TEKUN_INCOME, k) for k in own]
    return Standards(region_code=region, hukou_type=hukou, as_of=AS_OF, overrides=dict(values), _rows={},
                     _exclusions=exclusions_given(rows, region_code=region, as_of=AS_OF))  # fmt: skip


def means_row(hid: int, region: str, hukou: str, m) -> list:
    """A row of the simulation's ``means`` table (:func:`~.simulation.means_columns`, every kind
    sent one by one: for means recorded per kind ``wages`` is the wages, ``other`` 0)."""
    by_kind = getattr(m, "incomes_by_kind", False)
    wages, other = (m.income_wages, Decimal(0)) if by_kind else (m.wages_annual, m.other_income_annual)
    return [hid, region, hukou, wages, other, m.rigid_expense_annual, m.financial_assets, m.houses,
            m.non_residential_houses, m.vehicles, m.business_registrations, m.has_able_supporter, by_kind,
            *(getattr(m, INCOME_FIELDS[k]) if by_kind else Decimal(0) for k in OTHER_KINDS)]  # fmt: skip


def sql_assess(std: dict, chg: list, hukou: str, households, rules: dict | None = None) -> dict:
    """Run the production SQL (member aggregation, standards and exclusions tables, assess_sql) on
    in-memory rows; ``rules``: region → :func:`exclusion_rules` (else one region, nationwide lists)."""
    rules = rules or {REGION: None}
    new_values = {**std, **sim.scenario_overrides(memory_standards(std, hukou), chg)}
    combos = []
    for i, (region, rule) in enumerate(rules.items()):
        base = memory_standards(std, hukou, region, rule)
        combos.append(sim.Combo(
            i + 1, region, hukou, base=sim.std_params(base),
            new=sim.std_params(memory_standards(new_values, hukou, region, rule)), excl=sim.excl_params(base),
        ))  # fmt: skip
    con = _con()
    con.execute("CREATE OR REPLACE TABLE means (" + ", ".join(f"{c} {t}" for c, t in sim.means_columns().items()) + ")")
    con.execute("CREATE OR REPLACE TABLE mem (" + ", ".join(f"{c} {t}" for c, t in sim.MEMBER_COLUMNS.items()) + ")")
    sim.insert_rows(
        con, "means", [means_row(hid, getattr(m, "region_code", REGION), hukou, m) for hid, m, _ in households]
    )
    sim.insert_rows(
        con,
        "mem",
        [
            [hid, p.person_id, p.relation == "head", p.birth_date, p.disability_kind or None, p.disability_grade,
             p.serious_illness, p.self_care]
            for hid, _, members in households for p in members
        ],
    )  # fmt: skip
    sim.members_aggregate(con, as_of=AS_OF)
    sim.assess_combos(con, mapping={(c.region_code, hukou): c.id for c in combos}, combos=combos)
    rows = con.execute("SELECT household_id, cls_b, amt_b, persons_b, cls_s, amt_s, persons_s FROM res").fetchall()
    return {r[0]: r[1:] for r in rows}, new_values


def reference(values: dict, hukou: str, means, members, rules=None) -> tuple[str, str, int]:
    region = getattr(means, "region_code", REGION)
    req = sim.assessment_request(region_code=region, hukou_type=hukou, as_of=AS_OF, means=means, members=members)
    # kinds not recorded: the split as saved (under the nationwide lists here), whatever the region's rules
    rule = (rules or {}).get(region) if getattr(means, "incomes_by_kind", False) else None
    out = assess(req, memory_standards(values, hukou, region, rule))
    if out["classification"] == "tekun":
        persons = len(out["tekun_members"])
    elif out["classification"] == "dibao_single_person":
        persons = sum(1 for c in out["components"] if c["item"] == "gap")
    else:
        persons = out["counted_members"]
    return out["classification"], out["monthly_amount"], persons


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_sql_twin_agrees_with_assess(case):
    """Households in regions whose income exclusions differ (kinds left out or counted again, 高龄津贴
    for 低保 or not, its standard missing), their income per kind: the SQL applies each region's
    rules as assess() does, never the split saved under other rules."""
    std, chg, hukou, households, rules = case
    got, new_values = sql_assess(std, chg, hukou, households, rules)
    assessable = set()
    for hid, means, members in households:
        where = f"household {hid}: {means} {members} {rules[means.region_code]}"
        try:
            before = reference(std, hukou, means, members, rules)
        except MissingStandard as exc:  # 高龄津贴 where its standard is missing: not assessed by either
            assert exc.key == "longevity_allowance_excluded" and hid not in got, where
            continue
        assessable.add(hid)
        cls_b, amt_b, persons_b, cls_s, amt_s, persons_s = got[hid]
        assert (cls_b, str(amt_b), persons_b) == before, f"before; {where}"
        assert (cls_s, str(amt_s), persons_s) == reference(new_values, hukou, means, members, rules), f"after; {where}"
    assert set(got) == assessable


def test_change_parsing_and_rounding():
    c = sim.change_parse("dibao_monthly", "8%")
    assert c.apply(Decimal(1180)) == Decimal(1274)  # 1,274.40 → announced as whole yuan
    assert sim.change_parse("dibao_monthly", "+100").apply(Decimal(1180)) == Decimal(1280)
    assert sim.change_parse("edge_multiple", "2").apply(Decimal("1.5")) == Decimal(2)
    assert sim.change_parse("employment_cost_rate", "10%").apply(Decimal("0.1")) == Decimal("0.11")
    assert c.describe() == "低保标准提高 8%"
    with pytest.raises(ValueError, match="不能测算调整"):
        sim.change_parse("houses_allowed", "2")
    with pytest.raises(ValueError, match="格式不正确"):
        sim.change_parse("dibao_monthly", "八%")


# ---------------------------------------------------------------- on the database


def make_means(households, seed=7):
    """HouseholdMeans for every household: a spread of incomes around the 1,180 元 standard; two in
    three with their income per kind (transfers, 高龄津贴, 基础养老金, 救助款物: kinds whose exclusion
    a region may change), the others saved before the kinds were recorded (the split only)."""
    from minzheng.business.assistance.models import HouseholdMeans

    r = random.Random(seed)
    rows = []
    for i, h in enumerate(households):
        n = h.memberships.filter(valid_to__isnull=True).count() or 1
        per_capita = r.choice([0, 300, 900, 1150, 1250, 1700, 2500, 6000])
        wages = Decimal(per_capita * 12 * n) * Decimal(r.choice(["0", "0.5", "1"]))
        other = Decimal(per_capita * 12 * n) - wages * Decimal("0.9")
        excluded = Decimal(r.choice([0, 1800]))
        means = HouseholdMeans(
            household=h, region_code=h.region_code, hukou_type=h.hukou_type, as_of=dt.date(2026, 10, 1),
            source="demo", wages_annual=wages, other_income_annual=other, excluded_income_annual=excluded,
            rigid_expense_annual=Decimal(r.choice([0, 0, 6000, 40000])),
            financial_assets=Decimal(r.choice([0, 5000, 80000])), houses=r.choice([0, 1, 1, 2]),
            vehicles=1 if i % 17 == 0 else 0, has_able_supporter=r.choice([None, True, False]),
        )  # fmt: skip
        if i % 3:
            longevity = min(other, Decimal(r.choice([0, 1200, 3600, 12 * 400])))
            means.incomes_by_kind = True
            means.income_wages, means.income_transfer = wages, other - longevity
            means.income_longevity_allowance = longevity
            means.income_basic_pension = excluded
            means.income_assistance = Decimal(r.choice([0, 0, 2400]))
            means.excluded_income_annual += means.income_assistance
        rows.append(means)
    HouseholdMeans.objects.bulk_create(rows)


@pytest.fixture
def roll(assistance_standards):
    """A synthetic population in 安阳街道 and 塘下镇, every household with means."""
    from minzheng.foundation.registry.bulk import registry_bulk_load
    from minzheng.foundation.registry.models import Household
    from minzheng.foundation.registry.synthetic import Population

    pop = Population(villages=[ANYANG_VILLAGE, TANGXIA_VILLAGE], hukou_region6="330381", seed=11)
    registry_bulk_load(households=list(pop.households(400)), workers=1)
    households = list(Household.objects.all())
    # one member of one household has died, one has moved out: neither is counted
    from minzheng.foundation.registry.models import Membership, Person

    Person.objects.filter(pk=households[0].head_id).update(death_date=dt.date(2026, 5, 1))
    moved = Membership.objects.filter(household=households[1]).order_by("-person_id").first()
    Membership.objects.filter(pk=moved.pk).update(valid_to=dt.date(2026, 6, 1))
    make_means(households)
    return households


def expected_by_township(as_of, changes, *, as_saved=False):
    """assess() through the ORM for every household with means: {(township, before, after): [h, pb, ps, ab, as]}
    (``as_saved``: every household read as if its kinds were not recorded, the split as saved)."""
    from minzheng.business.assistance.models import HouseholdMeans
    from minzheng.foundation.parameters.standards import standards_for
    from minzheng.foundation.registry.models import Membership

    out = {}
    for means in HouseholdMeans.objects.select_related("household"):
        h = means.household
        members = [
            SimpleNamespace(
                person_id=ms.person_id, relation=ms.relation, birth_date=ms.person.birth_date,
                disability_kind=ms.person.disability_kind, disability_grade=ms.person.disability_grade,
                serious_illness=ms.person.serious_illness, self_care=ms.person.self_care,
            )
            for ms in Membership.objects.filter(household=h, valid_to__isnull=True, person__death_date__isnull=True)
            .select_related("person")
        ]  # fmt: skip
        if not members:
            continue
        if as_saved:
            means.incomes_by_kind = False
        req = sim.assessment_request(
            region_code=h.region_code, hukou_type=h.hukou_type, as_of=as_of, means=means, members=members
        )
        base = standards_for(region_code=h.region_code, hukou_type=h.hukou_type, as_of=as_of)
        if not means.incomes_by_kind:  # the split as saved (under the nationwide lists here)
            base._exclusions = exclusions_given(NATIONWIDE_EXCLUSIONS, region_code=h.region_code, as_of=as_of)
        new = standards_for(
            region_code=h.region_code, hukou_type=h.hukou_type, as_of=as_of,
            overrides=sim.scenario_overrides(base, changes),
        )  # fmt: skip
        new._exclusions = base._exclusions
        b, s = assess(req, base), assess(req, new)
        key = (h.region_code[:9] + "000", b["classification"], s["classification"])
        acc = out.setdefault(key, [0, 0, 0, Decimal(0), Decimal(0)])
        acc[0] += 1
        acc[1] += _persons(b)
        acc[2] += _persons(s)
        acc[3] += Decimal(b["monthly_amount"])
        acc[4] += Decimal(s["monthly_amount"])
    return out


def _persons(out):
    if out["classification"] == "tekun":
        return 1
    if out["classification"] == "dibao_single_person":
        return sum(1 for c in out["components"] if c["item"] == "gap")
    return out["counted_members"]


def test_run_over_the_database_agrees_with_assess(roll, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    changes = [sim.change_parse("dibao_monthly", "8%")]
    outcome = sim.simulation_run(as_of=AS_OF, changes=changes)
    got = {
        (t, b, s): [h, pb, ps, Decimal(ab), Decimal(as_)] for t, b, s, h, pb, ps, ab, as_, _, _ in outcome.transitions
    }
    expected = expected_by_township(AS_OF, changes)
    assert got == expected
    from minzheng.foundation.registry.models import Person

    alive = Person.objects.filter(death_date__isnull=True).count()
    assert outcome.households == sum(v[0] for v in expected.values())
    assert outcome.persons == alive - 1  # the dead head and the member who moved out are not counted
    skipped = sum(s["households"] for s in outcome.skipped)  # a household left without members
    assert outcome.households + skipped == len(roll)
    assert {s["dibao_before"] for s in outcome.standards} == {"1180.0000"}
    assert {s["dibao_after"] for s in outcome.standards} == {"1274.0000"}
    assert not any(tmp_path.joinpath("tmp").iterdir())  # the exported files are gone
    report = sim.report_build(outcome.as_json())
    t = report["total"]
    assert t["paying_after"]["monthly"] > t["paying_before"]["monthly"]
    assert t["annual_diff"] == 12 * t["monthly_diff"]
    assert t["newly_paid"]["households"] > 0
    assert [r["code"] for r in report["rows"]] == ["330381000000", ANYANG, TANGXIA]


def test_each_region_its_exclusions_on_the_run_date(roll, settings, tmp_path):
    """Income exclusions per region and date (ADR 0017): 塘下镇 leaves 高龄津贴 out of 低保 family
    income from 2027-07 (its standard) and of 特困 income always; 安阳街道 counts 基础养老金 from
    2027-01 and leaves it out again from 2027-07, and counts 救助款物 throughout. The simulation of
    each month agrees with assess() of each household on that month's rules, and differs from the
    split the means were saved with."""
    from minzheng.foundation.parameters.models import Standard
    from minzheng.foundation.parameters.services import income_exclusion_set, standard_set

    settings.VAR_DIR = tmp_path
    July = dt.date(2027, 7, 1)
    standard_set(user=None, key="longevity_allowance_excluded", region_code=TANGXIA, hukou_type="", mode="",
                 value="1", effective_from=July, source_document="塘下镇 测试：高龄津贴不计入低保家庭收入")  # fmt: skip
    for kind, excluded, start in (("basic_pension", False, AS_OF), ("basic_pension", True, July),
                                  ("assistance", False, dt.date(2026, 1, 1))):  # fmt: skip
        income_exclusion_set(user=None, scope=FAMILY_INCOME, kind=kind, region_code=ANYANG, excluded=excluded,
                             effective_from=start, source_document="安阳街道 测试")  # fmt: skip
    assert Standard.objects.filter(key="longevity_allowance_excluded", region_code=TANGXIA).exists()
    # the kinds whose rule differs somewhere on the date travel one by one
    january, july = sim.export_plan(AS_OF), sim.export_plan(July)
    assert {"basic_pension", "assistance", "longevity_allowance"} <= set(january.sent)
    assert "basic_pension" in july.dropped and {"assistance", "longevity_allowance"} <= set(july.sent)
    assert "transfer" in july.summed and "award" in july.dropped
    changes = [sim.change_parse("dibao_monthly", "8%")]
    got = {}
    for as_of in (AS_OF, July):
        outcome = sim.simulation_run(as_of=as_of, changes=changes)
        got[as_of] = {
            (t, b, s): [h, pb, ps, Decimal(ab), Decimal(as_)]
            for t, b, s, h, pb, ps, ab, as_, _, _ in outcome.transitions
        }
        assert got[as_of] == expected_by_township(as_of, changes), as_of
        assert sum(s["households"] for s in outcome.as_saved) == legacy_assessed()
    assert got[AS_OF] != got[July]
    for as_of in (AS_OF, July):  # the split as saved would have been wrong on both dates
        assert got[as_of] != expected_by_township(as_of, changes, as_saved=True), as_of
    text = sim.report_text(sim.report_build(outcome.as_json()))
    assert f"其中 {legacy_assessed()} 户的经济状况未按收入类型记录" in text


def legacy_assessed() -> int:
    """Households with members whose means do not record the income kinds."""
    from minzheng.business.assistance.models import HouseholdMeans
    from minzheng.foundation.registry.models import Membership

    living = Membership.objects.filter(valid_to__isnull=True, person__death_date__isnull=True)
    return HouseholdMeans.objects.filter(incomes_by_kind=False, household_id__in=living.values("household_id")).count()


def test_report_is_scoped_to_the_users_regions(roll, make_user):
    changes = [sim.change_parse("dibao_monthly", "+200")]
    result = sim.simulation_run(as_of=AS_OF, changes=changes).as_json()
    township = make_user("ay_approver", ("approver", ANYANG))
    county = make_user("ra_leader", ("leader", "330381000000"))
    clerk = make_user("ay_acceptor", ("acceptor", ANYANG))  # no benefits.simulate
    mine = sim.report_build(result, user=township)
    assert [r["code"] for r in mine["rows"]] == [ANYANG]
    everything = sim.report_build(result, user=county)
    assert [r["code"] for r in everything["rows"]] == ["330381000000", ANYANG, TANGXIA]
    assert mine["total"]["paying_after"] == everything["rows"][1]["paying_after"]
    assert everything["total"]["paying_after"] == everything["rows"][0]["paying_after"]
    assert sim.report_build(result, user=clerk)["rows"] == []
    assert all(s["township"] == ANYANG for s in sim.report_build(result, user=township)["skipped"])


def test_job_and_selector(roll, make_user):
    from django.core.exceptions import PermissionDenied

    from minzheng.foundation.jobs.models import JobState
    from minzheng.foundation.jobs.services import job_run

    township = make_user("ay_approver", ("approver", ANYANG))
    job = sim.simulation_start(user=township, as_of=AS_OF, changes=[sim.change_parse("dibao_monthly", "8%")])
    assert job.params["region"] == "330381001"  # a single grant: only that township is simulated
    job = job_run(job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    assert {t[0] for t in job.result["transitions"]} == {ANYANG}
    assert job.progress == 3
    report = sim.simulation_report(user=township, job=job)
    assert [r["code"] for r in report["rows"]] == [ANYANG]
    tangxia = make_user("tx_approver", ("approver", TANGXIA))
    assert sim.simulation_runs(user=township) == [job]
    assert sim.simulation_runs(user=tangxia) == []  # a run over 安阳街道 only
    assert sim.simulation_report(user=tangxia, job=job)["rows"] == []
    with pytest.raises(PermissionDenied):
        sim.simulation_start(
            user=township, as_of=AS_OF, changes=[sim.change_parse("dibao_monthly", "8%")], region=TANGXIA[:9]
        )
    with pytest.raises(PermissionDenied):
        sim.simulation_start(user=make_user("clerk", ("acceptor", ANYANG)), as_of=AS_OF, changes=[])


def test_missing_standard_is_reported_not_guessed(roll):
    from minzheng.foundation.parameters.models import Standard

    Standard.objects.filter(key="category_topup_monthly").delete()
    outcome = sim.simulation_run(as_of=AS_OF, changes=[sim.change_parse("dibao_monthly", "8%")])
    assert outcome.transitions == []
    missing = [s for s in outcome.skipped if s["reason"] != "无现有家庭成员"]
    assert {s["township"] for s in missing} == {ANYANG, TANGXIA}
    assert all(s["reason"].endswith("未配置保障标准：分类施保加发（category_topup_monthly）") for s in missing)
    assert sum(s["households"] for s in missing) == outcome.households


def test_nothing_to_simulate(assistance_standards):
    outcome = sim.simulation_run(as_of=AS_OF, changes=[sim.change_parse("dibao_monthly", "8%")])
    assert (outcome.households, outcome.transitions, outcome.skipped) == (0, [], [])
    assert sim.report_build(outcome.as_json())["total"]["annual_diff"] == 0


@pytest.mark.django_db(transaction=True)
def test_command_line(roll, capsys):
    """Committed data (on PostgreSQL the export then runs over two connections in parallel)."""
    call_command("simulate", "--dibao-change", "8%", "--from", "2027-01", "--json")
    report = json.loads(capsys.readouterr().out)
    # the export outside a transaction (Arrow over two connections on PostgreSQL) agrees with assess()
    expected = expected_by_township(AS_OF, [sim.change_parse("dibao_monthly", "8%")])
    for cls in sim.CLASSES:
        for side, i, amount in (("before", 1, 3), ("after", 2, 4)):
            rows = [v for k, v in expected.items() if k[i] == cls]
            got = report["total"]["by_class"][cls][side]
            assert got["households"] == sum(v[0] for v in rows), (cls, side)
            assert got["persons"] == sum(v[i] for v in rows), (cls, side)
            assert Decimal(got["monthly"]) == sum((v[amount] for v in rows), Decimal(0)), (cls, side)
    assert report["changes"][0]["text"] == "低保标准提高 8%"
    assert report["total"]["annual_diff"] == str(Decimal(report["total"]["monthly_diff"]) * 12)
    call_command("simulate", "--dibao-change", "+100", "--change", "category_topup_monthly=10%", "--region", ANYANG)
    text = capsys.readouterr().out
    assert "低保标准增加 100" in text and "分类施保加发提高 10%" in text and "塘下镇" not in text
    assert "瑞安市（330381000000）" not in text  # a run over one township has no county row
    with pytest.raises(CommandError, match="不能测算调整"):
        call_command("simulate", "--change", "houses_allowed=2")
    with pytest.raises(CommandError, match="格式不正确"):
        call_command("simulate", "--dibao-change", "8%", "--from", "2027/01")


def test_twin_pays_the_family_gap_and_tests_tekun_for_one_person_means():
    """No 待遇倒挂 comparison in either twin (issue 13 item 14): a family of two just under the line
    with a seriously ill adult gets its gap on family totals + 分类施保, not the 单人户 amount. And
    the means hold one answer on an able supporter (kept for one-person households), so 特困 is
    tested for one-person households only; assess() tests it member by member."""
    std = {
        "dibao_monthly": Decimal(1000), "edge_multiple": Decimal("1.5"), "single_person_enabled": True,
        "category_topup_monthly": Decimal(100), "employment_cost_rate": Decimal(0), "rigid_expense_deductible": True,
        "financial_assets_months": Decimal(24), "houses_allowed": 1, "non_residential_houses_allowed": 0,
        "vehicles_allowed": 0, "business_registrations_allowed": 0, "rigid_expense_share": Decimal("0.6"),
        "rigid_expense_income_line_annual": Decimal(50000), "rounding": "round_fen",
        "tekun_care_monthly": {"full": Decimal(200), "partial": Decimal(300), "none": Decimal(600)},
        "tekun_basic_monthly": Decimal(1300),
    }  # fmt: skip

    def member(pid, years, **kw):
        fields = {"relation": "spouse", "disability_kind": "", "disability_grade": None, "serious_illness": False,
                  "self_care": "full", **kw}  # fmt: skip
        return SimpleNamespace(person_id=pid, birth_date=AS_OF.replace(year=AS_OF.year - years), **fields)

    def means(other, able=None):
        return SimpleNamespace(wages_annual=Decimal(0), other_income_annual=Decimal(other),
                               excluded_income_annual=Decimal(0), rigid_expense_annual=Decimal(0),
                               financial_assets=Decimal(0), houses=0, non_residential_houses=0, vehicles=0,
                               business_registrations=0, has_able_supporter=able)  # fmt: skip

    households = [
        (1, means(12 * 1990), [member(101, 45, relation="head"), member(102, 30, serious_illness=True)]),
        (2, means(0, able=False), [member(201, 75, relation="head"), member(202, 72)]),
        (3, means(0, able=False), [member(301, 75, relation="head")]),
    ]
    got, _ = sql_assess(std, [sim.Change("dibao_monthly", "add", Decimal(0))], "urban", households)
    for hid, m, members in households:
        assert (got[hid][0], str(got[hid][1]), got[hid][2]) == reference(std, "urban", m, members)
    assert (got[1][0], str(got[1][1])) == ("dibao", "110.00")  # 2,000 − 1,990 + 100 (not 1,000 + 100)
    assert (got[2][0], str(got[2][1])) == ("dibao", "2200.00")  # 2,000 + 2 × 100: no answer per member here
    assert (got[3][0], str(got[3][1]), got[3][2]) == ("tekun", "1500.00", 1)
