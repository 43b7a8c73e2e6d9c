"""提标测算 (policy simulation): "if the 低保 standard rises 8 % from next January, how many more
households qualify and what does it cost per year?"

Every household with a :class:`~.models.HouseholdMeans` row is assessed twice — under the standards
in force in the month the change takes effect, and under the same standards with the change
applied — and the two results are compared by township and county.

It runs set-based in DuckDB, not household by household in Python:

1. **export** — the means rows (with the household's current region and hukou type) and the
   current members (open membership, alive: birth date, disability, illness, self-care) are copied
   into DuckDB (:func:`export_into`). On PostgreSQL they stream as Arrow from
   ``adbc-driver-postgresql`` (binary ``COPY`` in C) over two connections: for the whole registry
   four plain table scans, joined in DuckDB; for a region two queries joined in the database. On
   SQLite, or inside a transaction, they go through CSV files in a private temporary directory
   (``COPY (SELECT …) TO STDOUT`` / the ``sqlite3`` cursor). Money travels as integer fen. No
   DuckDB extension is used (none can be downloaded on a government intranet). The incomes per
   kind travel by an :class:`ExportPlan` of the run date: kinds every rule counts are summed in the
   database, kinds every rule leaves out stay behind, only kinds whose rule differs somewhere (or
   between 低保 and 特困) travel one by one.
2. **standards** — resolved in Python with :func:`~minzheng.foundation.parameters.standards.standards_for`,
   once per hukou type and *standards signature* of a region (the ancestors that carry standard
   or income exclusion rows), i.e. a handful of combinations however many villages there are,
   with the income exclusions of each (:func:`excl_params`); the change is applied as what-if
   overrides, exactly as an assessment request's ``standards`` are.
3. **assess** — :func:`assess_sql` is :func:`~.assessment.assess` rewritten as SQL over household
   aggregates (counted members, members with a 分类施保 reason, adults who would be covered as
   单人户, the one member of a single-person household), in exact ``DECIMAL`` arithmetic: divisions
   by 12 or by the number of members become multiplications of the other side, and the two
   roundings (``ceil_yuan`` / ``round_fen`` of a gap) are integer divisions. ``tests/business/assistance/test_simulation.py``
   checks it against ``assess()`` (the reference) on many random households.

The household → assessment-request mapping (:func:`assessment_request`) is the one both sides use:
every current member is counted; all income is attributed to the head (the member with relation
``head``, else the lowest person id), so the 单人户 rule sees the head's own income and no own
income for the others; the rigid expense is one ``medical`` item; 特困 is assessed ``dispersed``,
for one-person households only (the means hold one household-level answer on an able supporter,
recorded for a one-person household; :func:`~.assessment.assess` tests 特困 member by member, which
needs each member's own answer).

Income exclusions are applied as the assessment applies them, per household region on ``as_of``:
the means hold the counted members' income per kind (``income_<kind>``), and the kinds left out of
低保 family income (the ``family_income`` exclusions and 高龄津贴 by the regional standard,
:func:`~.assessment.excluded_kinds`) and of a 特困 or 单人户 member's own income (``tekun_income``)
are resolved with the standards, once per combination (the signature counts the regions that carry
exclusion rows as well as standard rows), and joined to the households as flags per kind
(:func:`excl_params`): no household is split in Python. Means saved before the kinds were recorded
(``incomes_by_kind`` false) hold only the split counted/excluded of the day they were saved; they
are simulated on that split, never on guessed kinds, and the report counts them (``as_saved``).

A household whose region and hukou type lack a standard the assessment can read is not assessed
and is reported with the missing standard, never guessed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from minzheng.foundation.accounts.scoping import ALL, user_prefixes
from minzheng.foundation.money import yuan
from minzheng.foundation.olap import cents_sql, duck_connect, insert_rows, range_sql, tables_into
from minzheng.foundation.parameters.exclusions import exclusion_regions
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.parameters.standards import TYPES, MissingStandard, Standards, ancestor_codes, standards_for
from minzheng.foundation.regions.models import Region
from minzheng.foundation.validation import is_digits

from .assessment import CENT, _round, excluded_kinds, tekun_excluded_kinds
from .models import INCOME_FIELDS, INCOME_KINDS
from .schemas import AssessmentIn, ExpenseIn, IncomeIn, MemberIn, PropertyIn

CLASSES = ["tekun", "dibao", "dibao_single_person", "dibao_edge", "rigid_expense", "not_eligible"]
CLASS_LABELS = {
    "tekun": "特困",
    "dibao": "低保",
    "dibao_single_person": "低保（单人户）",
    "dibao_edge": "低保边缘",
    "rigid_expense": "刚性支出困难家庭",
    "not_eligible": "不符合条件",
}
PAYING = ("tekun", "dibao", "dibao_single_person")  # classifications with a monthly cash amount
CHANGEABLE = {  # keys a simulation may change (amounts are rounded to the yuan after a percentage)
    "dibao_monthly": True,
    "category_topup_monthly": True,
    "tekun_basic_monthly": True,
    "tekun_care_monthly": True,
    "rigid_expense_income_line_annual": True,
    "edge_multiple": False,
    "tekun_basic_multiple": False,
    "employment_cost_rate": False,
    "financial_assets_months": False,
    "rigid_expense_share": False,
}
CARE = ("full", "partial", "none")
TEKUN_MODE = "dispersed"


# ---------------------------------------------------------------- changes


@dataclass(frozen=True)
class Change:
    """One change of a standard: ``kind`` is ``pct`` (percent), ``add`` (amount added) or ``set``."""

    key: str
    kind: str
    value: Decimal

    def apply(self, old: Decimal) -> Decimal:
        if self.kind == "set":
            new = self.value
        elif self.kind == "add":
            new = old + self.value
        else:
            new = old * (1 + self.value / 100)
            if CHANGEABLE[self.key]:  # an announced standard is whole yuan (四舍五入到元)
                new = new.quantize(Decimal(1), ROUND_HALF_UP)
        if new < 0:
            raise ValueError(f"{label(self.key)}调整后为负数")
        return new.quantize(Decimal("0.0001"), ROUND_HALF_UP)

    def describe(self) -> str:
        v = f"{self.value.normalize():f}"
        if self.kind == "pct":
            return f"{label(self.key)}{'提高' if self.value >= 0 else '降低'} {v.lstrip('-')}%"
        if self.kind == "add":
            return f"{label(self.key)}{'增加' if self.value >= 0 else '减少'} {v.lstrip('-')}"
        return f"{label(self.key)}调整为 {v}"

    def as_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "value": str(self.value), "text": self.describe()}


def label(key: str) -> str:
    t = TYPES.get(key)
    return t.label if t else key


def change_parse(key: str, text: str) -> Change:
    """``8%`` / ``-5%`` (percent), ``+100`` / ``-50`` (amount added), ``1300`` (new value)."""
    if key not in CHANGEABLE:
        raise ValueError(f"不能测算调整的标准：{key}（可调整：{'、'.join(CHANGEABLE)}）")
    raw = str(text).strip().replace("％", "%")
    try:
        if raw.endswith("%"):
            change = Change(key, "pct", Decimal(raw[:-1]))
        elif raw[:1] in "+-":
            change = Change(key, "add", Decimal(raw))
        else:
            change = Change(key, "set", Decimal(raw))
    except ArithmeticError:
        raise ValueError(f"{label(key)}的调整“{text}”格式不正确，应为 8%、+100 或 1300") from None
    if not change.value.is_finite() or change.value.as_tuple().exponent < -4:
        raise ValueError(f"{label(key)}的调整“{text}”最多保留4位小数")
    return change


def change_from_json(d: dict) -> Change:
    return Change(d["key"], d["kind"], Decimal(d["value"]))


# ---------------------------------------------------------------- the household → request mapping


def registry_members(household_ids) -> dict[int, list]:
    """Household id → its living current members, as :func:`assessment_request` takes them
    (the registry's relation, birth date, disability, illness and self-care)."""
    from types import SimpleNamespace

    from minzheng.foundation.registry.models import Membership

    out = defaultdict(list)
    rows = (
        Membership.objects.filter(household_id__in=household_ids, valid_to__isnull=True, person__death_date__isnull=True)
        .values_list(
            "household_id", "person_id", "relation", "person__birth_date", "person__disability_kind",
            "person__disability_grade", "person__serious_illness", "person__self_care",
        )
    )  # fmt: skip
    for hid, pid, rel, birth, dkind, dgrade, ill, care in rows.iterator(chunk_size=5000):
        out[hid].append(
            SimpleNamespace(
                person_id=pid, relation=rel, birth_date=birth, disability_kind=dkind, disability_grade=dgrade,
                serious_illness=ill, self_care=care,
            )
        )  # fmt: skip
    return out


def assessment_request(*, region_code: str, hukou_type: str, as_of: dt.date, means, members) -> AssessmentIn:
    """The assessment request the simulation makes of one household (see the module docstring).

    A **simplification for 提标测算 only**: the household-level means are put on the head, every
    current member is counted, 特困 only for one-person households. It estimates how many households
    a change of standards moves and what it costs; it decides nothing about anyone. Nothing binding
    calls it — a case is assessed on its investigation's per-member facts (ADR 0011), a 先行救助
    estimate before a visit on the registry's members (``temporary._registry_request``) — and
    ``tests/business/assistance/test_simulation_mapping.py`` fails on any module outside the simulation (and the
    synthetic demo roll, which is assessed the simulation's way) that imports it.

    The incomes are the means' kinds where recorded. Means without kinds give their split as 转移净收入
    (counted) and 政府救助款物 (left out): that is the split as saved — what the SQL reads for them —
    only where the rules treat those two kinds as the nationwide lists do (the tests read such means
    under the nationwide lists).

    ``means`` has the fields of :class:`~.models.HouseholdMeans`; ``members`` are the current
    members, each with ``relation``, ``person_id``, ``birth_date``, ``disability_kind``,
    ``disability_grade``, ``serious_illness`` and ``self_care``."""
    ordered = sorted(members, key=lambda m: (m.relation != "head", m.person_id))
    out = []
    for m in ordered:
        disabled = bool(m.disability_kind) and m.disability_grade is not None
        out.append(
            MemberIn(
                relation="head" if m is ordered[0] else "other",
                birth_date=m.birth_date,
                disability_kind=m.disability_kind if disabled else None,
                disability_grade=m.disability_grade if disabled else None,
                serious_illness=bool(m.serious_illness),
                self_care=m.self_care or "full",
                # the means record one household-level answer, kept for a one-person household only
                # (household_means_save): 特困 is tested member by member, which needs each member's
                # own answer (the case's facts), so a larger household is not tested here
                has_able_supporter=means.has_able_supporter if len(ordered) == 1 else None,
            )
        )
    if getattr(means, "incomes_by_kind", False):
        pairs = [(kind, getattr(means, field)) for kind, field in INCOME_FIELDS.items()]
    else:  # kinds not recorded: the split as saved (other counted income, income left out)
        pairs = [
            ("wages", means.wages_annual),
            ("transfer", means.other_income_annual),
            ("assistance", means.excluded_income_annual),
        ]
    incomes = [IncomeIn(member=0, kind=kind, annual_amount=amount) for kind, amount in pairs if amount]
    expenses = (
        [ExpenseIn(kind="medical", annual_amount=means.rigid_expense_annual)] if means.rigid_expense_annual else []
    )
    return AssessmentIn(
        region_code=region_code,
        hukou_type=hukou_type,
        as_of=as_of,
        tekun_mode=TEKUN_MODE,
        members=out,
        incomes=incomes,
        expenses=expenses,
        property=PropertyIn(
            financial_assets=means.financial_assets,
            houses=means.houses,
            non_residential_houses=means.non_residential_houses,
            vehicles=means.vehicles,
            business_registrations=means.business_registrations,
        ),
    )


# ---------------------------------------------------------------- standards per combination

STD_COLUMNS = [
    # column, DuckDB type
    ("dibao", "DECIMAL(14,4)"),
    ("edge", "DECIMAL(14,4)"),
    ("single_on", "BOOLEAN"),
    ("topup", "DECIMAL(14,4)"),
    ("rate", "DECIMAL(14,4)"),
    ("deductible", "BOOLEAN"),
    ("months", "DECIMAL(14,4)"),
    ("houses_ok", "INTEGER"),
    ("nonres_ok", "INTEGER"),
    ("vehicles_ok", "INTEGER"),
    ("biz_ok", "INTEGER"),
    ("share", "DECIMAL(14,4)"),
    ("line", "DECIMAL(14,4)"),
    ("ceil", "BOOLEAN"),
    ("gap0", "DECIMAL(14,2)"),  # 单人户 gap of a member without own income: round(standard)
    ("tk_full", "DECIMAL(14,2)"),
    ("tk_partial", "DECIMAL(14,2)"),
    ("tk_none", "DECIMAL(14,2)"),
]


def std_params(std: Standards) -> dict:
    """The values the SQL reads, from one :class:`Standards` view; raises :class:`MissingStandard`
    for the first one missing (the household would not be assessable by ``assess()`` either)."""
    d = std.decimal
    dibao = d("dibao_monthly")
    if std.has("tekun_basic_monthly", TEKUN_MODE):
        basic = d("tekun_basic_monthly", TEKUN_MODE)
    else:
        basic = dibao * d("tekun_basic_multiple", TEKUN_MODE)
    rule = std.get("rounding")
    p = {
        "dibao": dibao,
        "edge": d("edge_multiple"),
        "single_on": bool(std.get("single_person_enabled")),
        "topup": d("category_topup_monthly"),
        "rate": d("employment_cost_rate"),
        "deductible": bool(std.get("rigid_expense_deductible")),
        "months": d("financial_assets_months"),
        "houses_ok": int(std.get("houses_allowed")),
        "nonres_ok": int(std.get("non_residential_houses_allowed")),
        "vehicles_ok": int(std.get("vehicles_allowed")),
        "biz_ok": int(std.get("business_registrations_allowed")),
        "share": d("rigid_expense_share"),
        "line": d("rigid_expense_income_line_annual"),
        "ceil": rule != "round_fen",
        "gap0": _round(dibao, rule),
    }
    for tier in CARE:
        p[f"tk_{tier}"] = (basic + d("tekun_care_monthly", tier)).quantize(CENT, ROUND_HALF_UP)
    for key in ("dibao", "edge", "topup", "rate", "months", "share", "line"):
        if p[key].as_tuple().exponent < -4:  # the SQL is exact at 4 decimals (the table's scale)
            raise ValueError(f"{label(key)} {p[key]} 超过4位小数")
    return p


OTHER_KINDS = tuple(k for k in INCOME_KINDS if k != "wages")
EXCL_COLUMNS = [
    # per income kind: left out of 低保 family income (fx_) and of a member's own income (tx_), and
    # whether the 高龄津贴 standard is missing (a household with 高龄津贴 cannot be assessed then)
    *((f"fx_{k}", "BOOLEAN") for k in INCOME_KINDS),
    *((f"tx_{k}", "BOOLEAN") for k in INCOME_KINDS),
    ("lg_missing", "BOOLEAN"),
]


def excl_params(std: Standards) -> dict:
    """The income exclusions of one :class:`Standards` view as the SQL reads them: the kinds left
    out of 低保 family income (:func:`~.assessment.excluded_kinds`, 高龄津贴 by the regional
    standard) and of a 特困 / 单人户 member's own income (:func:`~.assessment.tekun_excluded_kinds`).
    A change of standards does not touch them (no :data:`CHANGEABLE` key does)."""
    try:
        family, missing = excluded_kinds(std), False
    except MissingStandard:  # assess() fails only for a household with 高龄津贴
        family, missing = excluded_kinds(std, longevity=False), True
    own = tekun_excluded_kinds(std)
    return {
        **{f"fx_{k}": k in family for k in INCOME_KINDS},
        **{f"tx_{k}": k in own for k in INCOME_KINDS},
        "lg_missing": missing,
    }


def scenario_overrides(base: Standards, changes: list[Change]) -> dict:
    """What-if overrides that apply ``changes`` to the values of ``base``."""
    out: dict = {}
    for c in changes:
        t = TYPES.get(c.key)
        if t is not None and t.modes:
            values = {mode: c.apply(base.decimal(c.key, mode)) for mode, _ in t.modes if base.has(c.key, mode)}
            if values:
                out[c.key] = values
        elif base.has(c.key):
            out[c.key] = c.apply(base.decimal(c.key))
    return out


@dataclass
class Combo:
    id: int
    region_code: str  # a representative region
    hukou_type: str
    base: dict | None = None
    new: dict | None = None
    excl: dict | None = None
    missing: str = ""
    dibao_before: Decimal | None = None
    dibao_after: Decimal | None = None


def standard_regions() -> set[str]:
    """The regions that carry rows the assessment resolves by region: standards and income
    exclusions."""
    return set(Standard.objects.values_list("region_code", flat=True).distinct()) | exclusion_regions()


def standards_signature(region_code: str, with_rows: set[str]) -> tuple[str, ...]:
    """The ancestors of a region that carry standard or exclusion rows: regions with the same
    signature resolve every standard and exclusion identically (for the same hukou type and date)."""
    return tuple(c for c in ancestor_codes(region_code) if c in with_rows)


def combos_resolve(pairs: list[tuple[str, str]], as_of: dt.date, changes: list[Change]) -> tuple[dict, list[Combo]]:
    """Map each (region_code, hukou_type) to a combination of identical standards and resolve it.

    Two regions resolve identically when the same ancestors carry standard rows, so the lookup is
    done once per such signature and hukou type."""
    with_rows = standard_regions()
    by_sig: dict[tuple, Combo] = {}
    mapping = {}
    for region_code, hukou in pairs:
        sig = (standards_signature(region_code, with_rows), hukou)
        combo = by_sig.get(sig)
        if combo is None:
            combo = by_sig[sig] = Combo(id=len(by_sig) + 1, region_code=region_code, hukou_type=hukou)
            base = standards_for(region_code=region_code, hukou_type=hukou, as_of=as_of)
            combo.excl = excl_params(base)
            try:
                combo.base = std_params(base)
                new = standards_for(
                    region_code=region_code, hukou_type=hukou, as_of=as_of, overrides=scenario_overrides(base, changes)
                )
                combo.new = std_params(new)
                combo.dibao_before, combo.dibao_after = combo.base["dibao"], combo.new["dibao"]
            except MissingStandard as exc:
                # said without the representative region: the combination stands for many
                t = TYPES.get(exc.key)
                what = f"{t.label if t else exc.key}（{exc.key}{'〔' + exc.mode + '〕' if exc.mode else ''}）"
                hukou_zh = {"urban": "城镇", "rural": "农村"}.get(hukou, "")
                combo.missing = f"{hukou_zh}户籍在 {as_of.isoformat()} 未配置保障标准：{what}"
        mapping[(region_code, hukou)] = combo.id
    return mapping, list(by_sig.values())


# ---------------------------------------------------------------- the assessment in SQL


def _round_sql(x: str, ceil: str) -> str:
    """``_round(x / 12, rule)`` for a positive ``x`` of scale ≤ 6, exactly: ``ceil_yuan`` rounds
    the twelfth up to the yuan, ``round_fen`` half up to the fen (integer division, no DOUBLE)."""
    u = f"CAST(({x}) * 1000000 AS HUGEINT)"  # x in millionths of a yuan
    return (
        f"(CASE WHEN {ceil} THEN CAST(({u} + 11999999) // 12000000 AS DECIMAL(18,0)) * 1.00 "
        f"ELSE CAST((2 * {u} + 120000) // 240000 AS DECIMAL(18,0)) * 0.01 END)"
    )


# One household per row of ``hh`` (means + member aggregates + combination), both scenarios side by
# side: the standards before (``b``) and after (``s``) the change are joined as columns ``b_dibao``,
# ``s_dibao`` …, and every step below is written once, for the prefix ``{p}``. Comments give the
# line of ``assess()`` each step mirrors.
_STEP1 = """
    -- annual = max(0, gross − employment cost − rigid expenses when deductible); before_expenses
    greatest(0, wages + other - wages * {p}_rate - CASE WHEN {p}_deductible THEN rigid ELSE 0 END) AS annual_{p},
    greatest(0, wages + other - wages * {p}_rate) AS before_{p},
    -- the head's own counted income for 单人户 (_single_persons: wages × (1 − rate) + other), the
    -- kinds of a member's own income (wages_t, other_t)
    wages_t * (1 - {p}_rate) + other_t AS own_{p},
    -- _tekun of a one-person household: own income less the rigid expenses deducted
    greatest(0, wages_t * (1 - {p}_rate) + other_t - CASE WHEN {p}_deductible THEN rigid ELSE 0 END) AS tk_own_{p},
    -- _property_test
    (fa <= {p}_months * {p}_dibao * n AND houses <= {p}_houses_ok AND nonres <= {p}_nonres_ok
        AND vehicles <= {p}_vehicles_ok AND biz <= {p}_biz_ok) AS prop_{p}"""
_STEP2 = """
    -- _tekun: one member without labour capacity, has_able_supporter false, monthly < standard
    (n = 1 AND tekun_reason AND able IS NOT DISTINCT FROM false AND tk_own_{p} < 12 * {p}_dibao AND prop_{p})
        AS is_tekun_{p},
    -- per_capita < dibao  ⇔  annual < 12 × n × dibao (exact: no division)
    (prop_{p} AND annual_{p} < 12 * n * {p}_dibao) AS below_{p},
    (prop_{p} AND annual_{p} < 12 * n * {p}_edge * {p}_dibao) AS below_edge_{p},
    -- _rigid
    (prop_{p} AND rigid > 0 AND rigid >= {p}_share * before_{p} AND annual_{p} < {p}_line * n) AS rigid_ok_{p},
    -- _single_persons: the head when own monthly income < standard; the others have no own income
    ({p}_single_on AND holder_single AND own_{p} < 12 * {p}_dibao) AS holder_q_{p},
    CASE WHEN {p}_single_on THEN single_adults - CAST(holder_single AS INTEGER) ELSE 0 END AS others_q_{p}"""
_STEP3 = """
    CASE WHEN is_tekun_{p} THEN CASE self_care WHEN 'none' THEN {p}_tk_none WHEN 'partial' THEN {p}_tk_partial
                                 ELSE {p}_tk_full END END AS tekun_amt_{p},
    -- gap on family totals, rounded once (第二十三条), + 分类施保 per qualifying member
    CASE WHEN below_{p} THEN {gap} + n_topup * {p}_topup END AS family_amt_{p},
    others_q_{p} + CAST(holder_q_{p} AS INTEGER) AS single_n_{p},
    others_q_{p} * {p}_gap0 + CASE WHEN holder_q_{p} THEN {holder_gap} ELSE 0 END
        + (others_q_{p} + CAST(holder_q_{p} AS INTEGER)) * {p}_topup AS single_amt_{p}"""
_STEP4 = """
    CASE WHEN is_tekun_{p} THEN 'tekun'
         WHEN below_{p} THEN 'dibao'
         WHEN below_edge_{p} AND single_n_{p} > 0 THEN 'dibao_single_person'
         WHEN below_edge_{p} THEN 'dibao_edge'
         WHEN rigid_ok_{p} THEN 'rigid_expense'
         ELSE 'not_eligible' END AS cls_{p},
    -- money(): half up to the fen
    CAST(round(CASE WHEN is_tekun_{p} THEN tekun_amt_{p}
                    WHEN below_{p} THEN family_amt_{p}
                    WHEN below_edge_{p} AND single_n_{p} > 0 THEN single_amt_{p}
                    ELSE 0 END, 2) AS DECIMAL(18,2)) AS amt_{p},
    CASE WHEN is_tekun_{p} THEN 1
         WHEN NOT below_{p} AND below_edge_{p} AND single_n_{p} > 0 THEN single_n_{p}
         ELSE n END AS persons_{p}"""


def _both(template: str, **extra: str) -> str:
    return ",".join(template.format(p=p, **{k: v.format(p=p) for k, v in extra.items()}) for p in ("b", "s"))


def assess_sql() -> str:
    """The SQL twin of :func:`~.assessment.assess` over table ``hh`` and ``std`` → table ``res``."""
    std_cols = ", ".join(f"{p}.{c} AS {p}_{c}" for p in ("b", "s") for c, _ in STD_COLUMNS)
    gap = _round_sql("12 * n * {p}_dibao - annual_{p}", "{p}_ceil")
    holder_gap = _round_sql("12 * {p}_dibao - own_{p}", "{p}_ceil")
    return f"""
CREATE OR REPLACE TABLE res AS
WITH s0 AS (
  SELECT h.*, {std_cols}
  FROM hh h JOIN std b ON b.combo = h.combo AND b.scenario = 'b'
            JOIN std s ON s.combo = h.combo AND s.scenario = 's'
  WHERE NOT h.lg_skip
), s1 AS (SELECT *, {_both(_STEP1)} FROM s0
), s2 AS (SELECT *, {_both(_STEP2)} FROM s1
), s3 AS (SELECT *, {_both(_STEP3, gap=gap, holder_gap=holder_gap)} FROM s2
)
SELECT household_id, township, hukou, b_dibao AS dibao_b, s_dibao AS dibao_s, {_both(_STEP4)} FROM s3
"""  # noqa: S608 — built from the fixed templates above, no input


MEMBER_AGG_SQL = """
CREATE OR REPLACE TABLE agg AS
WITH m AS (
  SELECT household_id, person_id, is_head, self_care,
         year(DATE '{as_of}') - year(birth)
           - CASE WHEN month(birth) > {month} OR (month(birth) = {month} AND day(birth) > {day}) THEN 1 ELSE 0 END
           AS age,
         coalesce(dkind, '') <> '' AND dgrade IS NOT NULL AS disabled,
         dkind, dgrade, ill
  FROM mem
), f AS (
  SELECT *,
    disabled AND (dgrade <= 2 OR (dgrade = 3 AND dkind IN ('intellectual', 'mental'))) AS severe_topup,
    disabled AND ((dkind IN ('intellectual', 'mental') AND dgrade <= 3) OR (dkind IN ('limb', 'multiple') AND dgrade <= 2)
                  OR (dkind = 'visual' AND dgrade = 1)) AS severe_tekun,
    CASE WHEN is_head THEN person_id ELSE person_id + 4611686018427387904 END AS holder_key
  FROM m
)
SELECT household_id,
  count(*) AS n,
  count_if(age >= 60 OR age < 18 OR severe_topup OR ill) AS n_topup,
  count_if(age >= 18 AND (severe_topup OR ill)) AS single_adults,
  arg_min(age >= 18 AND (severe_topup OR ill), holder_key) AS holder_single,
  bool_or(age >= 60 OR age < 16 OR severe_tekun) AS tekun_reason,
  any_value(self_care) AS self_care
FROM f GROUP BY household_id
"""

MEANS_COLUMNS = {
    "household_id": "BIGINT",
    "region_code": "VARCHAR",
    "hukou": "VARCHAR",
    "wages": "DECIMAL(14,2)",
    "other": "DECIMAL(14,2)",
    "rigid": "DECIMAL(14,2)",
    "fa": "DECIMAL(16,2)",
    "houses": "INTEGER",
    "nonres": "INTEGER",
    "vehicles": "INTEGER",
    "biz": "INTEGER",
    "able": "BOOLEAN",
    "by_kind": "BOOLEAN",
}


def means_columns(sent=None) -> dict:
    """The ``means`` table's columns: :data:`MEANS_COLUMNS` and the income kinds ``sent`` one by one
    (``i_<kind>``; default every kind but wages). For means recorded per kind, ``wages`` is the
    wages and ``other`` the sum of the kinds counted everywhere (:func:`export_plan`); for the
    others the split as saved."""
    return {**MEANS_COLUMNS, **{f"i_{k}": "DECIMAL(14,2)" for k in (OTHER_KINDS if sent is None else sent)}}


MEMBER_COLUMNS = {
    "household_id": "BIGINT",
    "person_id": "BIGINT",
    "is_head": "BOOLEAN",
    "birth": "DATE",
    "dkind": "VARCHAR",
    "dgrade": "INTEGER",
    "ill": "BOOLEAN",
    "self_care": "VARCHAR",
}


# ---------------------------------------------------------------- export from the database


_range_sql = range_sql


# Money leaves the database as integer fen (exact for two decimals; a NUMERIC would travel as
# text) and becomes DECIMAL again in DuckDB.
CENTS = {
    "wages": "CENTS",
    "other": "CENTS",
    "rigid": "CENTS",
    "fa": "CENTS",
    **{f"i_{k}": "CENTS" for k in INCOME_KINDS},
}


@dataclass(frozen=True)
class ExportPlan:
    """Which income kinds travel one by one (``sent``: their exclusion differs between regions or
    between the 低保 and 特困 rules on the date), which are summed in the database into ``other``
    (``summed``: counted everywhere by both rules) and which stay behind (left out everywhere by
    both). Fewer columns to copy; :func:`_assess` checks every combination against it."""

    sent: tuple[str, ...] = OTHER_KINDS
    summed: tuple[str, ...] = ()

    @property
    def dropped(self) -> tuple[str, ...]:
        return tuple(k for k in OTHER_KINDS if k not in self.sent and k not in self.summed)


def export_plan(as_of: dt.date) -> ExportPlan:
    """The :class:`ExportPlan` for a run on ``as_of``: the values a kind's exclusion can take in any
    region are those of the rows in force (and 'counted' where no nationwide row is); 高龄津贴 for
    低保 also by the values of its standard in force (sent where it may be missing)."""
    from django.db.models import Q

    from minzheng.foundation.parameters.models import IncomeExclusion

    from .policy import FAMILY_INCOME, TEKUN_INCOME

    in_force = Q(effective_from__lte=as_of) & (Q(effective_to__isnull=True) | Q(effective_to__gt=as_of))
    values: dict[tuple[str, str], set] = defaultdict(set)
    nationwide = set()
    for scope, kind, region, excluded in IncomeExclusion.objects.filter(in_force).values_list(
        "scope", "kind", "region_code", "excluded"
    ):
        values[(scope, kind)].add(bool(excluded))
        if not region:
            nationwide.add((scope, kind))

    def possible(scope: str, kind: str) -> set:
        return values[(scope, kind)] | (set() if (scope, kind) in nationwide else {False})

    flags: set = set()
    for region, hukou, value in Standard.objects.filter(in_force, key="longevity_allowance_excluded").values_list(
        "region_code", "hukou_type", "value"
    ):
        flags.add(bool(value))
        if not region and not hukou:
            flags.add("nationwide")
    sent, summed = [], []
    for kind in OTHER_KINDS:
        family = possible(FAMILY_INCOME, kind)
        if kind == "longevity_allowance":
            if "nationwide" not in flags:  # the standard may be missing: the households must be seen
                family = {None}
            else:
                family = {d or f for d in family for f in flags - {"nationwide"}}
        own = possible(TEKUN_INCOME, kind)
        if family == own == {False}:
            summed.append(kind)
        elif not (family == own == {True}):
            sent.append(kind)
    return ExportPlan(sent=tuple(sent), summed=tuple(summed))


_cents = cents_sql


def _pg_cents(column: str, alias: str) -> str:
    """:func:`~minzheng.foundation.olap.cents_sql` on PostgreSQL, for ``NUMERIC(…, 2)`` columns: × 100 is
    whole, so the cast alone is exact (no ``ROUND``, a tenth less time for the means scan)."""
    return f"CAST({column} * 100 AS BIGINT) AS {alias}"


def _income_sql(alias: str, plan: ExportPlan, cents=_cents) -> str:
    """The income columns of :func:`means_columns` from ``assistance_householdmeans`` (integer fen):
    ``wages``, ``other`` (recorded per kind: wages and the kinds ``plan.summed``; else the split as
    saved), ``by_kind`` and the kinds ``plan.sent``."""
    a = f"{alias}." if alias else ""
    summed = " + ".join(f"{a}{INCOME_FIELDS[k]}" for k in plan.summed) or "0"
    return ", ".join(
        [
            cents(f"CASE WHEN {a}incomes_by_kind THEN {a}income_wages ELSE {a}wages_annual END", "wages"),
            cents(f"CASE WHEN {a}incomes_by_kind THEN {summed} ELSE {a}other_income_annual END", "other"),
            f"CASE WHEN {a}incomes_by_kind THEN 1 ELSE 0 END AS by_kind",
        ]
        + [cents(f"{a}{INCOME_FIELDS[k]}", f"i_{k}") for k in plan.sent]
    )


def _joined_queries(prefix: str, plan: ExportPlan) -> dict[str, tuple[str, dict]]:
    """Two queries that join in the database: for a region (the indexes find its households), and
    on SQLite."""
    hh_range = _range_sql("h.region_code", prefix)
    means = (
        "SELECT m.household_id, h.region_code, h.hukou_type AS hukou, "  # noqa: S608 — column expressions of the fixed kinds, no input
        + _cents("m.rigid_expense_annual", "rigid")
        + ", "
        + _cents("m.financial_assets", "fa")
        + ", m.houses, "
        "m.non_residential_houses AS nonres, m.vehicles, m.business_registrations AS biz, "
        "CASE WHEN m.has_able_supporter THEN 1 WHEN NOT m.has_able_supporter THEN 0 END AS able, "
        + _income_sql("m", plan)
        + " FROM assistance_householdmeans m JOIN registry_household h ON h.id = m.household_id "
        "WHERE 1 = 1" + hh_range
    )
    members = (
        "SELECT ms.household_id, ms.person_id, CASE WHEN ms.relation = 'head' THEN 1 ELSE 0 END AS is_head, "
        "p.birth_date AS birth, p.disability_kind AS dkind, p.disability_grade AS dgrade, "
        "CASE WHEN p.serious_illness THEN 1 ELSE 0 END AS ill, p.self_care "
        "FROM registry_membership ms JOIN registry_person p ON p.id = ms.person_id "
        "JOIN assistance_householdmeans m ON m.household_id = ms.household_id "
        + ("JOIN registry_household h ON h.id = ms.household_id " if prefix else "")
        + "WHERE ms.valid_to IS NULL AND p.death_date IS NULL"
        + hh_range
    )
    return {"means": (means, _means_types(plan)), "mem": (members, MEMBER_COLUMNS)}


def _means_types(plan: ExportPlan, *, without=()) -> dict:
    """The exported means columns in the queries' order, money as integer fen."""
    order = ["household_id", "region_code", "hukou", "rigid", "fa", "houses", "nonres", "vehicles", "biz", "able",
             "wages", "other", "by_kind", *(f"i_{k}" for k in plan.sent)]  # fmt: skip
    types = {**means_columns(plan.sent), **CENTS}
    return {c: types[c] for c in order if c not in without}


def plain_queries(plan: ExportPlan) -> dict[str, tuple[str, dict]]:
    """:data:`PLAIN_QUERIES` and the means of the whole registry (``means_raw``) by ``plan``."""
    means = (
        "SELECT household_id, " + _pg_cents("rigid_expense_annual", "rigid") + ", " + _pg_cents("financial_assets", "fa")  # noqa: S608 — column expressions of the fixed kinds, no input
        + ", houses, non_residential_houses AS nonres, vehicles, business_registrations AS biz, "
        "CASE WHEN has_able_supporter THEN 1 WHEN NOT has_able_supporter THEN 0 END AS able, "
        + _income_sql("", plan, _pg_cents) + " FROM assistance_householdmeans"
    )  # fmt: skip
    return {**PLAIN_QUERIES, "means_raw": (means, _means_types(plan, without=("region_code", "hukou")))}


# The whole registry on PostgreSQL: four plain sequential scans, the biggest first, joined in
# DuckDB. (Joined in PostgreSQL, the 10 M-row hash join of persons spills in batches under the
# stock work_mem: 70–95 s at 4 M households against ~25 s for the scans.)
PLAIN_QUERIES = {
    "person": (
        "SELECT id, birth_date AS birth, disability_kind AS dkind, disability_grade AS dgrade, "
        "CASE WHEN serious_illness THEN 1 ELSE 0 END AS ill, self_care FROM registry_person WHERE death_date IS NULL",
        {
            "id": "BIGINT",
            "birth": "DATE",
            "dkind": "VARCHAR",
            "dgrade": "INTEGER",
            "ill": "BOOLEAN",
            "self_care": "VARCHAR",
        },
    ),
    "household": (
        "SELECT id, region_code, hukou_type AS hukou FROM registry_household",
        {"id": "BIGINT", "region_code": "VARCHAR", "hukou": "VARCHAR"},
    ),
    "membership": (
        "SELECT household_id, person_id, CASE WHEN relation = 'head' THEN 1 ELSE 0 END AS is_head "
        "FROM registry_membership WHERE valid_to IS NULL",
        {"household_id": "BIGINT", "person_id": "BIGINT", "is_head": "BOOLEAN"},
    ),
}  # fmt: skip  (and ``means_raw``: :func:`plain_queries`)


def export_into(con, workdir: Path, prefix: str = "", *, plan: ExportPlan | None = None) -> None:
    """Copy what the simulation reads into DuckDB tables ``raw_<name>`` (see :func:`plain_queries`
    for the whole registry on PostgreSQL, or ``raw_means`` / ``raw_mem`` from :func:`_joined_queries`
    for a region and on SQLite) through :func:`~minzheng.foundation.olap.tables_into`; the income
    kinds by ``plan`` (:func:`export_plan`; default every kind one by one), kept in table ``plan``."""
    plan = plan or ExportPlan()
    pg = connection.vendor == "postgresql"
    queries = plain_queries(plan) if pg and not prefix else _joined_queries(prefix, plan)
    tables_into(con, queries, workdir, table_prefix="raw_")
    con.execute("CREATE OR REPLACE TABLE plan (kind VARCHAR, way VARCHAR)")
    insert_rows(con, "plan", [[k, "summed"] for k in plan.summed] + [[k, "dropped"] for k in plan.dropped])


def assemble(con) -> None:
    """``raw_*`` → ``means`` (:data:`MEANS_COLUMNS`) and ``mem`` (:data:`MEMBER_COLUMNS`), members
    only of households with means."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "raw_means" in tables:
        con.execute("CREATE OR REPLACE TABLE means AS SELECT * FROM raw_means")
        con.execute("CREATE OR REPLACE VIEW mem AS SELECT * FROM raw_mem")
    else:
        con.execute(
            """CREATE OR REPLACE TABLE means AS
            SELECT m.household_id, h.region_code, h.hukou, m.* EXCLUDE (household_id)
            FROM raw_means_raw m JOIN raw_household h ON h.id = m.household_id"""
        )
        # a view: the member aggregation reads the join once, never materialised
        con.execute(
            """CREATE OR REPLACE VIEW mem AS
            SELECT ms.household_id, ms.person_id, ms.is_head, p.birth, p.dkind, p.dgrade, p.ill, p.self_care
            FROM raw_membership ms JOIN raw_person p ON p.id = ms.person_id
            SEMI JOIN means m ON m.household_id = ms.household_id"""
        )
        con.execute("DROP TABLE raw_means_raw")
        con.execute("DROP TABLE raw_household")


# ---------------------------------------------------------------- the run


@dataclass
class Outcome:
    """The figures of one run; ``as_json`` is what the job stores."""

    as_of: dt.date
    changes: list[Change]
    region: str
    transitions: list = field(default_factory=list)
    standards: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    as_saved: list = field(default_factory=list)  # households whose income kinds are not recorded
    households: int = 0
    persons: int = 0
    seconds: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "changes": [c.as_json() for c in self.changes],
            "region": self.region,
            "households": self.households,
            "persons": self.persons,
            "transitions": self.transitions,
            "standards": self.standards,
            "skipped": self.skipped,
            "as_saved": self.as_saved,
            "seconds": self.seconds,
        }


def duckdb_connect(workdir: Path):
    return duck_connect(workdir)


def load_standards(con, combos: list[Combo]) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in STD_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE std (combo INTEGER, scenario VARCHAR, {cols})")
    rows = []
    for combo in combos:
        if combo.missing:
            continue
        for scenario, p in (("b", combo.base), ("s", combo.new)):
            rows.append([combo.id, scenario, *(p[c] for c, _ in STD_COLUMNS)])
    insert_rows(con, "std", rows)
    cols = ", ".join(f"{c} {t}" for c, t in EXCL_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE excl (combo INTEGER, {cols})")
    insert_rows(con, "excl", [[combo.id, *(combo.excl[c] for c, _ in EXCL_COLUMNS)] for combo in combos])


def _counted_sql(prefix: str, kinds) -> str:
    """The sum of the income kinds ``kinds`` not left out by the flags ``{prefix}_<kind>``."""
    return "".join(f" + CASE WHEN e.{prefix}_{k} THEN 0 ELSE m.i_{k} END" for k in kinds)


def hh_sql(sent) -> str:
    """One row per household: the means with the exclusions of its combination applied (kinds
    recorded: wages by its flag, ``other`` — the kinds counted everywhere — and each kind ``sent``
    by its flag), or the split as saved (kinds not recorded): counted wages and other income of
    the family (``wages``, ``other``) and of a member's own income (``wages_t``, ``other_t``)."""
    lg = "m.i_longevity_allowance > 0" if "longevity_allowance" in sent else "false"
    return f"""
CREATE OR REPLACE TABLE hh AS
SELECT m.household_id, m.region_code, m.hukou, m.rigid, m.fa, m.houses, m.nonres, m.vehicles, m.biz, m.able,
       m.by_kind,
       CAST(CASE WHEN m.by_kind AND e.fx_wages THEN 0 ELSE m.wages END AS DECIMAL(16,2)) AS wages,
       CAST(CASE WHEN m.by_kind THEN m.other{_counted_sql("fx", sent)} ELSE m.other END AS DECIMAL(16,2)) AS other,
       CAST(CASE WHEN m.by_kind AND e.tx_wages THEN 0 ELSE m.wages END AS DECIMAL(16,2)) AS wages_t,
       CAST(CASE WHEN m.by_kind THEN m.other{_counted_sql("tx", sent)} ELSE m.other END AS DECIMAL(16,2)) AS other_t,
       coalesce(e.lg_missing AND m.by_kind AND {lg}, false) AS lg_skip,
       a.n, a.n_topup, a.single_adults, a.holder_single, a.tekun_reason, a.self_care, r.combo,
       substr(m.region_code, 1, 9) || '000' AS township
FROM means m JOIN agg a USING (household_id) JOIN regmap r USING (region_code, hukou) JOIN excl e USING (combo)
"""  # noqa: S608 — built from the fixed kinds, no input


def _plan_check(con, combos: list[Combo]) -> None:
    """Every combination leaves out what the export plan dropped and counts what it summed."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "plan" not in tables:
        return
    for kind, way in con.execute("SELECT kind, way FROM plan").fetchall():
        for combo in combos:
            flags = {combo.excl[f"fx_{kind}"], combo.excl[f"tx_{kind}"]}
            if flags != {way == "dropped"} or (kind == "longevity_allowance" and combo.excl["lg_missing"]):
                raise RuntimeError(f"收入类型 {kind} 的不计入规则与导出计划不符（{way}）")


def members_aggregate(con, *, as_of: dt.date) -> None:
    """Table ``mem`` → ``agg``: one row per household of what the assessment reads of its members."""
    con.execute(MEMBER_AGG_SQL.format(as_of=as_of.isoformat(), month=as_of.month, day=as_of.day))


def assess_combos(con, *, mapping: dict, combos: list[Combo]) -> None:
    """Tables ``means`` and ``agg`` with the resolved standards (``mapping``: (region_code, hukou)
    → combination id) → ``hh`` → ``res`` (both scenarios)."""
    con.execute("CREATE OR REPLACE TABLE regmap (region_code VARCHAR, hukou VARCHAR, combo INTEGER)")
    insert_rows(con, "regmap", [[r, h, c] for (r, h), c in mapping.items()])
    _assess(con, combos)


def _assess(con, combos: list[Combo]) -> None:
    load_standards(con, combos)
    _plan_check(con, combos)
    sent = [c[0][2:] for c in con.execute("DESCRIBE means").fetchall() if c[0].startswith("i_")]
    con.execute(hh_sql(sent))
    con.execute(assess_sql())


def _regions_by_signature(con) -> list[tuple[str, str, str]]:
    """Table ``regsig``: every (region_code, hukou) of ``means`` with its standards signature
    (:func:`standards_signature`, computed in SQL: there may be tens of thousands of villages);
    returns one representative region per (signature, hukou)."""
    codes = sorted(c for c in standard_regions() if c)
    if any(not is_digits(c) for c in codes):
        raise ValueError("保障标准的区划代码须为数字")
    listed = ", ".join(f"'{c}'" for c in codes) or "NULL"
    parts = []
    for n in (12, 9, 6, 4, 2):
        ancestor = f"rpad(left(region_code, {n}), 12, '0')"
        parts.append(f"CASE WHEN {ancestor} IN ({listed}) THEN {ancestor} END")
    con.execute(
        f"""CREATE OR REPLACE TABLE regsig AS
        SELECT region_code, hukou, concat_ws(',', {", ".join(parts)}) AS sig
        FROM (SELECT DISTINCT region_code, hukou FROM means)"""  # noqa: S608 — digits checked above
    )
    return con.execute("SELECT sig, hukou, min(region_code) FROM regsig GROUP BY ALL ORDER BY 1, 2").fetchall()


def assess_loaded(con, *, as_of: dt.date, changes: list[Change], outcome: Outcome | None = None) -> list[Combo]:
    """Given tables ``means`` and ``mem`` in ``con``, resolve the standards and assess every
    household under both scenarios into table ``res`` (one row per assessable household)."""
    members_aggregate(con, as_of=as_of)
    con.execute("DROP VIEW IF EXISTS mem")  # (the raw tables behind it are no longer needed)
    for name in ("raw_membership", "raw_person", "raw_mem", "raw_means"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    reps = _regions_by_signature(con)
    mapping, combos = combos_resolve([(region, hukou) for _, hukou, region in reps], as_of, changes)
    con.execute("CREATE OR REPLACE TABLE sigmap (sig VARCHAR, hukou VARCHAR, combo INTEGER)")
    insert_rows(con, "sigmap", [[sig, hukou, mapping[(region, hukou)]] for sig, hukou, region in reps])
    con.execute(
        """CREATE OR REPLACE TABLE regmap AS
        SELECT r.region_code, r.hukou, s.combo FROM regsig r JOIN sigmap s USING (sig, hukou)"""
    )
    _assess(con, combos)
    if outcome is not None:
        missing = {c.id: c.missing for c in combos if c.missing}
        if missing:
            con.execute("CREATE OR REPLACE TEMP TABLE missing_combo (combo INTEGER, why VARCHAR)")
            insert_rows(con, "missing_combo", [[k, v] for k, v in missing.items()])
            rows = con.execute(
                """SELECT h.township, h.hukou, x.why, count(*), sum(h.n) FROM hh h JOIN missing_combo x USING (combo)
                   GROUP BY ALL ORDER BY 1, 2"""
            ).fetchall()
            outcome.skipped += [
                {"township": t, "hukou_type": hk, "reason": why, "households": int(nh), "persons": int(np_)}
                for t, hk, why, nh, np_ in rows
            ]
        rows = con.execute(
            """SELECT substr(m.region_code, 1, 9) || '000', m.hukou, count(*) FROM means m ANTI JOIN agg a USING (household_id)
               GROUP BY ALL ORDER BY 1, 2"""
        ).fetchall()
        outcome.skipped += [
            {"township": t, "hukou_type": hk, "reason": "无现有家庭成员", "households": int(nh), "persons": 0}
            for t, hk, nh in rows
        ]
        rows = con.execute(
            """SELECT h.township, h.hukou, count(*), sum(h.n) FROM hh h SEMI JOIN std s USING (combo)
               WHERE h.lg_skip GROUP BY ALL ORDER BY 1, 2"""
        ).fetchall()
        why = f"有高龄津贴，{as_of.isoformat()} 未配置保障标准：{label('longevity_allowance_excluded')}（longevity_allowance_excluded）"
        outcome.skipped += [
            {"township": t, "hukou_type": hk, "reason": why, "households": int(nh), "persons": int(np_)}
            for t, hk, nh, np_ in rows
        ]
        rows = con.execute(
            """SELECT h.township, h.hukou, count(*) FROM hh h SEMI JOIN res r USING (household_id)
               WHERE NOT h.by_kind GROUP BY ALL ORDER BY 1, 2"""
        ).fetchall()
        outcome.as_saved = [{"township": t, "hukou_type": hk, "households": int(nh)} for t, hk, nh in rows]
    return combos


TRANSITIONS_SQL = """
SELECT township, cls_b, cls_s, count(*) AS households, sum(persons_b), sum(persons_s), sum(amt_b), sum(amt_s),
       count_if(amt_s > amt_b AND cls_b IN ('tekun', 'dibao', 'dibao_single_person')
                AND cls_s IN ('tekun', 'dibao', 'dibao_single_person')) AS up,
       count_if(amt_s < amt_b AND cls_b IN ('tekun', 'dibao', 'dibao_single_person')
                AND cls_s IN ('tekun', 'dibao', 'dibao_single_person')) AS down
FROM res GROUP BY ALL ORDER BY 1, 2, 3
"""


def simulation_run(
    *, as_of: dt.date, changes: list[Change], region: str = "", progress=None, workdir: Path | None = None
) -> Outcome:
    """Run the simulation for every household with means (under ``region``, a code prefix, if
    given). ``as_of`` is the first month the change applies; ages are taken on that day."""
    if as_of.day != 1:
        raise ValueError("生效月份须为某月1日")
    outcome = Outcome(as_of=as_of, changes=changes, region=region)
    step = progress or (lambda done, message: None)
    base = Path(workdir or settings.VAR_DIR / "tmp")
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="simulation-", dir=base))  # 0700: birth dates and disabilities
    t0 = time.perf_counter()
    try:
        step(0, "导出家庭经济状况与家庭成员")
        con = duckdb_connect(tmp)
        try:
            export_into(con, tmp, region, plan=export_plan(as_of))
            t1 = time.perf_counter()
            outcome.seconds["export"] = round(t1 - t0, 2)
            assemble(con)
            t2 = time.perf_counter()
            outcome.seconds["load"] = round(t2 - t1, 2)
            step(1, "按区划与户籍类型确定保障标准并测算")
            combos = assess_loaded(con, as_of=as_of, changes=changes, outcome=outcome)
            t3 = time.perf_counter()
            outcome.seconds["assess"] = round(t3 - t2, 2)
            step(2, "汇总")
            outcome.transitions = [
                [t, b, s, int(h), int(pb), int(ps), str(ab), str(as_), int(up), int(down)]
                for t, b, s, h, pb, ps, ab, as_, up, down in con.execute(TRANSITIONS_SQL).fetchall()
            ]
            outcome.standards = [
                {"township": t, "hukou_type": hk, "households": int(n), "dibao_before": str(b), "dibao_after": str(s)}
                for t, hk, b, s, n in con.execute(
                    "SELECT township, hukou, dibao_b, dibao_s, count(*) FROM res GROUP BY ALL ORDER BY 1, 2, 3"
                ).fetchall()
            ]
            outcome.households, outcome.persons = (
                int(v or 0) for v in con.execute("SELECT count(*), sum(n) FROM hh").fetchone()
            )
            outcome.seconds["aggregate"] = round(time.perf_counter() - t3, 2)
            outcome.seconds["total"] = round(time.perf_counter() - t0, 2)
            outcome.combos = len(combos)  # type: ignore[attr-defined]
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    step(3, f"完成：{outcome.households} 户，用时 {outcome.seconds.get('total', 0)} 秒")
    return outcome


# ---------------------------------------------------------------- the report (selector)


def _zero() -> dict:
    return {"households": 0, "persons": 0, "monthly": Decimal(0)}


def _row(code: str, level: str) -> dict:
    return {
        "code": code,
        "level": level,
        "name": "",
        "by_class": {
            c: {"before": _zero(), "after": _zero(), "entering": _zero(), "leaving": _zero()} for c in CLASSES
        },
        "paying_before": _zero(),
        "paying_after": _zero(),
        "newly_paid": _zero(),
        "no_longer_paid": _zero(),
        "newly_eligible": _zero(),
        "no_longer_eligible": _zero(),
        "amount_up": 0,
        "amount_down": 0,
    }


def _add(target: dict, households: int, persons: int, monthly: Decimal) -> None:
    target["households"] += households
    target["persons"] += persons
    target["monthly"] += monthly


def _visible(code: str, level_len: int, prefixes) -> bool:
    if prefixes is ALL:
        return True
    return any(len(p) <= level_len and code[:level_len].startswith(p) for p in prefixes)


def report_build(result: dict, *, user=None, permission: str = "benefits.simulate") -> dict:
    """The report of a stored run for ``user``: township and county rows inside the user's
    regions only (a county row only for users whose grant covers the whole county), and the total
    of the townships the user sees. ``user=None`` sees everything (command line)."""
    prefixes = ALL if user is None else user_prefixes(user, permission)
    rows: dict[str, dict] = {}
    total = _row("", "total")
    for t, b, s, h, pb, ps, ab, as_, up, down in result.get("transitions", []):
        if not _visible(t, 9, prefixes):
            continue
        ab, as_ = Decimal(ab), Decimal(as_)
        county = t[:6] + "000000"
        targets = [total, rows.setdefault(t, _row(t, "township"))]
        # a county row only when the run covered the whole county and the user sees all of it
        if len(result.get("region", "")) <= 6 and _visible(county, 6, prefixes):
            targets.append(rows.setdefault(county, _row(county, "county")))
        for r in targets:
            _add(r["by_class"][b]["before"], h, pb, ab)
            _add(r["by_class"][s]["after"], h, ps, as_)
            if b != s:
                _add(r["by_class"][s]["entering"], h, ps, as_)
                _add(r["by_class"][b]["leaving"], h, pb, ab)
            if b in PAYING:
                _add(r["paying_before"], h, pb, ab)
            if s in PAYING:
                _add(r["paying_after"], h, ps, as_)
            if s in PAYING and b not in PAYING:
                _add(r["newly_paid"], h, ps, as_)
            if b in PAYING and s not in PAYING:
                _add(r["no_longer_paid"], h, pb, ab)
            if b == "not_eligible" and s != "not_eligible":
                _add(r["newly_eligible"], h, ps, as_)
            if s == "not_eligible" and b != "not_eligible":
                _add(r["no_longer_eligible"], h, pb, ab)
            r["amount_up"] += up
            r["amount_down"] += down
    names = dict(Region.objects.filter(code__in=list(rows)).values_list("code", "name"))
    ordered = sorted(rows.values(), key=lambda r: (r["code"][:6], r["level"] != "county", r["code"]))
    for r in [*ordered, total]:
        r["name"] = names.get(r["code"], "合计" if r["level"] == "total" else r["code"])
        diff = r["paying_after"]["monthly"] - r["paying_before"]["monthly"]
        r["monthly_diff"] = diff
        r["annual_diff"] = diff * 12
    standards = [s for s in result.get("standards", []) if _visible(s["township"], 9, prefixes)]
    skipped = [s for s in result.get("skipped", []) if _visible(s["township"], 9, prefixes)]
    as_saved = sum(s["households"] for s in result.get("as_saved", []) if _visible(s["township"], 9, prefixes))
    return {
        "as_of": result.get("as_of"),
        "changes": result.get("changes", []),
        "region": result.get("region", ""),
        "rows": ordered,
        "total": total,
        "standards": _standards_summary(standards),
        "skipped": skipped,
        "as_saved": as_saved,
        "seconds": result.get("seconds", {}),
    }


def _standards_summary(rows: list[dict]) -> list[dict]:
    """Distinct before → after 低保 standards with the households they apply to."""
    acc: dict[tuple, dict] = defaultdict(lambda: {"households": 0, "townships": set()})
    for s in rows:
        key = (s["hukou_type"], s["dibao_before"], s["dibao_after"])
        acc[key]["households"] += s["households"]
        acc[key]["townships"].add(s["township"])
    return [
        {"hukou_type": k[0], "dibao_before": Decimal(k[1]).quantize(CENT), "dibao_after": Decimal(k[2]).quantize(CENT),
         "households": v["households"], "townships": len(v["townships"])}
        for k, v in sorted(acc.items())
    ]  # fmt: skip


def report_json(report: dict) -> dict:
    """Decimals as strings with two places, for ``--json`` and the API."""

    def conv(v):
        if isinstance(v, Decimal):
            return str(v.quantize(CENT, ROUND_HALF_UP))
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    return conv(report)


def report_text(report: dict) -> str:
    """The report as plain Chinese text (the command line)."""

    def y(v: Decimal) -> str:
        return yuan(v)

    lines = [f"提标测算：自 {report['as_of'][:7]} 起，" + "；".join(c["text"] for c in report["changes"])]
    if report["region"]:
        lines.append(f"范围：区划代码前缀 {report['region']}")
    for s in report["standards"]:
        hk = {"urban": "城镇", "rural": "农村"}.get(s["hukou_type"], s["hukou_type"])
        lines.append(
            f"  低保标准（{hk}，{s['townships']} 个乡镇街道，{s['households']} 户）：{y(s['dibao_before'])} → {y(s['dibao_after'])} 元/人·月"
        )
    t = report["total"]
    lines += [
        "",
        f"合计：测算 {sum(t['by_class'][c]['before']['households'] for c in CLASSES):,} 户",
        f"  有月保障金的家庭：{t['paying_before']['households']:,} 户 {t['paying_before']['persons']:,} 人 → "
        f"{t['paying_after']['households']:,} 户 {t['paying_after']['persons']:,} 人",
        f"  新增纳入：{t['newly_paid']['households']:,} 户 {t['newly_paid']['persons']:,} 人；"
        f"不再符合：{t['no_longer_paid']['households']:,} 户 {t['no_longer_paid']['persons']:,} 人；"
        f"金额提高 {t['amount_up']:,} 户，降低 {t['amount_down']:,} 户",
        f"  月支出：{y(t['paying_before']['monthly'])} → {y(t['paying_after']['monthly'])} 元，"
        f"每月增加 {y(t['monthly_diff'])} 元，全年增加 {y(t['annual_diff'])} 元",
        "",
        "按类别（户 / 人 / 月金额，测算前 → 测算后；新增 / 退出户数）：",
    ]
    for c in CLASSES:
        bc = t["by_class"][c]
        b, a = bc["before"], bc["after"]
        if not (b["households"] or a["households"]):
            continue
        lines.append(
            f"  {CLASS_LABELS[c]}：{b['households']:,} 户 {b['persons']:,} 人 {y(b['monthly'])} 元 → "
            f"{a['households']:,} 户 {a['persons']:,} 人 {y(a['monthly'])} 元；"
            f"新增 {bc['entering']['households']:,}，退出 {bc['leaving']['households']:,}"
        )
    lines += ["", "按区划（有月保障金的户数 测算前 → 后，新增户/人，月增加，年增加；略去前后均无保障金的乡镇街道）："]
    for r in report["rows"]:
        if r["level"] == "township" and not (r["paying_before"]["households"] or r["paying_after"]["households"]):
            continue
        indent = "  " if r["level"] == "county" else "    "
        lines.append(
            f"{indent}{r['name']}（{r['code']}）：{r['paying_before']['households']:,} → {r['paying_after']['households']:,} 户，"
            f"新增 {r['newly_paid']['households']:,} 户 {r['newly_paid']['persons']:,} 人，"
            f"月增加 {y(r['monthly_diff'])} 元，年增加 {y(r['annual_diff'])} 元"
        )
    for s in report["skipped"]:
        lines.append(f"未测算：{s['township']} {s['hukou_type']} {s['households']} 户 — {s['reason']}")
    if report.get("as_saved"):
        lines.append(
            f"其中 {report['as_saved']:,} 户的经济状况未按收入类型记录，按保存时计入、不计入的收入测算"
            "（未按测算月份所在地的不计入收入项目重新认定）"
        )
    return "\n".join(lines)


def simulation_start(*, user, as_of: dt.date, changes: list[Change], region: str = "", run: bool = True):
    """Queue a simulation job (permission ``benefits.simulate``). Without ``region`` a user with a
    single grant simulates that region; the report is scoped to the user's regions in any case."""
    from minzheng.foundation.jobs.services import job_enqueue

    from .jobs import SIMULATE

    if user is not None:
        prefixes = user_prefixes(user, "benefits.simulate")
        if not prefixes:
            raise PermissionDenied("无权进行提标测算")
        if prefixes is not ALL:
            if not region and len(prefixes) == 1:
                region = prefixes[0]
            elif region and not any(region.startswith(p) for p in prefixes):
                raise PermissionDenied("无权对该区划进行提标测算")
    if as_of.day != 1:
        raise ValidationError({"as_of": "生效月份须为某月1日"})
    if not changes:
        raise ValidationError({"changes": "至少调整一项标准"})
    text = "；".join(c.describe() for c in changes)
    return job_enqueue(
        kind=SIMULATE,
        title=f"提标测算：自{as_of:%Y-%m}起{text}" + (f"（{region}）" if region else ""),
        params={"as_of": as_of.isoformat(), "changes": [c.as_json() for c in changes], "region": region},
        user=user,
        region_code=region.ljust(12, "0") if region else "",
        run=run,
    )


def simulation_runs(*, user, limit: int = 50) -> list:
    """The latest simulation jobs a user may open: over the whole registry, or over a region that
    overlaps the user's (the report itself is scoped in :func:`simulation_report`)."""
    from minzheng.foundation.jobs.models import JobRun

    from .jobs import SIMULATE

    prefixes = user_prefixes(user, "benefits.simulate")
    if not prefixes:
        return []
    runs = JobRun.objects.filter(kind=SIMULATE).order_by("-created_at")[: limit * 4]
    if prefixes is ALL:
        return list(runs[:limit])
    out = []
    for job in runs:
        region = (job.params or {}).get("region", "")
        if not region or any(region.startswith(p) or p.startswith(region) for p in prefixes):
            out.append(job)
    return out[:limit]


def simulation_report(*, user, job) -> dict:
    """The selector for the workbench: the stored run's report, scoped to ``user``'s regions."""
    return report_build(job.result or {}, user=user)
