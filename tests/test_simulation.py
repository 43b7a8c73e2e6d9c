"""提标测算: the SQL twin agrees with assess() household by household; the run, the report's region
scoping, the job and the command line."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from types import SimpleNamespace

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.business.assistance import simulation as sim
from minzheng.business.assistance.assessment import assess
from minzheng.engines.benefits.standards import Standards

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


@st.composite
def cases(draw):
    """Standards and changes drawn by hypothesis; the households from a drawn seed (many per example,
    cheaply: a failure prints the household, and the seed reproduces it)."""
    std = draw(standards())
    r = random.Random(draw(st.integers(0, 2**32)))
    households = [random_household(r, i + 1, std) for i in range(draw(st.integers(1, 60)))]
    return std, draw(changes()), draw(st.sampled_from(["urban", "rural"])), households


# ---------------------------------------------------------------- the twin


_duck = []


def _con():
    """One in-memory DuckDB for all examples (connecting costs ~90 ms)."""
    if not _duck:
        _duck.append(duckdb.connect())
    return _duck[0]


def memory_standards(values: dict, hukou: str) -> Standards:
    return Standards(region_code=REGION, hukou_type=hukou, as_of=AS_OF, overrides=dict(values), _rows={})


def sql_assess(std: dict, chg: list, hukou: str, households) -> dict:
    """Run the production SQL (member aggregation, standards table, assess_sql) on in-memory rows."""
    base = memory_standards(std, hukou)
    new_values = {**std, **sim.scenario_overrides(memory_standards(std, hukou), chg)}
    combo = sim.Combo(
        1, REGION, hukou, base=sim.std_params(base), new=sim.std_params(memory_standards(new_values, hukou))
    )
    con = _con()
    con.execute("CREATE OR REPLACE TABLE means (" + ", ".join(f"{c} {t}" for c, t in sim.MEANS_COLUMNS.items()) + ")")
    con.execute("CREATE OR REPLACE TABLE mem (" + ", ".join(f"{c} {t}" for c, t in sim.MEMBER_COLUMNS.items()) + ")")
    sim.insert_rows(
        con,
        "means",
        [
            [hid, REGION, hukou, m.wages_annual, m.other_income_annual, m.rigid_expense_annual, m.financial_assets,
             m.houses, m.non_residential_houses, m.vehicles, m.business_registrations, m.has_able_supporter]
            for hid, m, _ in households
        ],
    )  # fmt: skip
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
    sim.assess_combos(con, mapping={(REGION, hukou): 1}, combos=[combo])
    rows = con.execute("SELECT household_id, cls_b, amt_b, persons_b, cls_s, amt_s, persons_s FROM res").fetchall()
    return {r[0]: r[1:] for r in rows}, new_values


def reference(values: dict, hukou: str, means, members) -> tuple[str, str, int]:
    req = sim.assessment_request(region_code=REGION, hukou_type=hukou, as_of=AS_OF, means=means, members=members)
    out = assess(req, memory_standards(values, hukou))
    if out["classification"] == "tekun":
        persons = 1
    elif out["classification"] == "dibao_single_person":
        persons = sum(1 for c in out["components"] if c["item"] == "gap")
    else:
        persons = out["counted_members"]
    return out["classification"], out["monthly_amount"], persons


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_sql_twin_agrees_with_assess(case):
    std, chg, hukou, households = case
    got, new_values = sql_assess(std, chg, hukou, households)
    assert set(got) == {hid for hid, _, _ in households}
    for hid, means, members in households:
        cls_b, amt_b, persons_b, cls_s, amt_s, persons_s = got[hid]
        where = f"household {hid}: {means} {members}"
        assert (cls_b, str(amt_b), persons_b) == reference(std, hukou, means, members), f"before; {where}"
        assert (cls_s, str(amt_s), persons_s) == reference(new_values, hukou, means, members), f"after; {where}"


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
