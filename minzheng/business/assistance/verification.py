"""What partner data means for social assistance (家庭经济状况核对): the finding SQL of every source
of the catalog (:mod:`.sources`), the comparison of a household's findings with its standards
(低保标准, 财产限额), and taking a report into the assessment and the household's means.

Findings (see :mod:`minzheng.engines.verification.findings` for the columns and the placeholders):

===========================  ===============================================================
source                       finding
===========================  ===============================================================
social_insurance             wage base × months paid in the last 12 months → ``wages``;
                             pension received: 城乡居民养老保险 → ``basic_pension`` (not
                             counted, 民发〔2021〕57号 第十三条), 职工/机关事业 → ``transfer``
tax                          the latest tax year's income by item: 工资薪金/劳务 → ``wages``,
                             经营 → ``business``, 财产/利息股息 → ``property``, 其他 → ``transfer``
housing_fund                 an account paying in: deposit wage base × 12 → ``wages`` (evidence)
bank                         balances → ``financial_assets`` (存款, 证券, 商业保险 by item)
vehicle                      vehicles registered to the person → ``vehicles`` (count, price)
real_estate                  houses held → ``houses`` / ``non_residential_houses`` (count, area)
business_registration        active market entities → ``business_registrations``
medical_expense              out-of-pocket costs of the last 12 months → rigid expense ``medical``
unemployment                 status: registered unemployed (and the benefit, if paid)
disability_certificate       status: kind (``item``) and grade (``count``) of a valid certificate
student_aid                  status: aided student, school and expected graduation
death, cremation             status: deceased
===========================  ===============================================================

The same wage shown by 社保, 个税 and 公积金 counts once, at the highest amount (the engine's rule).
The property test and the income test follow :func:`~.assessment.assess`: counted income = counted
kinds − employment cost (rate × wages) − rigid expenses where deductible (第十三条); per-capita
income against the program's line (低保标准; 低保边缘: edge multiple × 标准; 刚性支出: the annual
income line); financial assets against months × 标准 × members, and the counts against the limits
(第十四条).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from minzheng.engines.verification.adoption import ReportUse, report_use_register
from minzheng.engines.verification.batch import batch_scope
from minzheng.engines.verification.findings import Judge, finding, judge_register
from minzheng.foundation.accounts.scoping import has_permission
from minzheng.foundation.audit.services import audit_record
from minzheng.foundation.parameters.standards import MissingStandard, Standards, standards_for
from minzheng.foundation.regions.selectors import region_names
from minzheng.foundation.validation import Refused

from .assessment import INCOME_LABELS, excluded_kinds, tekun_excluded_kinds
from .models import MeansSource

TWELVE_MONTHS_AGO = "CAST({as_of} - INTERVAL 12 MONTH AS DATE)"


def _choice(source: str, column: str, expr: str | None = None) -> str:
    """``CASE`` mapping a choice column's values to their Chinese labels, from the catalog."""
    from .sources import SOURCES

    expr = expr or column
    spec = next(s for s in SOURCES if s["code"] == source)
    col = next(c for c in spec["columns"] if c["name"] == column)
    whens = " ".join(f"WHEN '{v}' THEN '{label}'" for v, label in col["choices"])
    return f"(CASE {expr} {whens} ELSE {expr} END)"


def _day(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%d')"


def _since(column: str) -> str:
    return f"{column} > {TWELVE_MONTHS_AGO} AND {column} <= {{as_of}}"


# ---------------------------------------------------------------- findings: income


@finding("social_insurance", title="社会保险缴费工资与养老金")
def social_insurance():
    """Wages: per month the highest wage base of the employee schemes (the same wage is the base
    of every scheme), summed over the months of the last 12; pensions received likewise."""
    return f"""
WITH m AS (
  SELECT id_index, month, max(monthly_wage_base) AS base, arg_max(employer, monthly_wage_base) AS employer
  FROM {{src}}
  WHERE insurance_type <> 'resident_pension' AND monthly_wage_base > 0 AND {_since("month")}
  GROUP BY id_index, month
), p AS (
  SELECT id_index, insurance_type, month, monthly_pension FROM {{src}}
  WHERE monthly_pension > 0 AND {_since("month")}
)
SELECT id_index, 'insured_wages' AS item, '社保缴费工资' AS label, 'income' AS category, 'wages' AS income_kind,
       NULL AS property_kind, sum(base) AS annual_amount, NULL AS value, count(*) AS count,
       '近12个月缴费 ' || count(*) || ' 个月，月缴费基数 ' || CASE WHEN min(base) = max(base) THEN CAST(max(base) AS VARCHAR)
         ELSE min(base) || '–' || max(base) END || ' 元' || coalesce('，' || arg_max(employer, month), '') AS detail,
       max(month) AS on_date
FROM m GROUP BY id_index
UNION ALL
SELECT id_index, 'pension', CASE WHEN insurance_type = 'resident_pension' THEN '城乡居民基础养老金' ELSE '基本养老金' END,
       'income', CASE WHEN insurance_type = 'resident_pension' THEN 'basic_pension' ELSE 'transfer' END, NULL,
       sum(monthly_pension), NULL, count(*),
       {_choice("social_insurance", "insurance_type")} || '，近12个月领取 ' || count(*) || ' 个月，月养老金 '
         || arg_max(monthly_pension, month) || ' 元',
       max(month)
FROM p GROUP BY id_index, insurance_type
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("tax", title="个人所得税收入")
def tax():
    """The latest tax year up to the verification date, per income item."""
    return f"""
WITH y AS (SELECT id_index, max(tax_year) AS tax_year FROM {{src}} WHERE tax_year <= year({{as_of}}) GROUP BY id_index)
SELECT t.id_index, 'tax_' || t.income_type AS item, '纳税申报：' || {_choice("tax", "income_type", "t.income_type")} AS label,
       'income' AS category,
       CASE t.income_type WHEN 'wages' THEN 'wages' WHEN 'labour' THEN 'wages' WHEN 'business' THEN 'business'
         WHEN 'property' THEN 'property' WHEN 'interest' THEN 'property' ELSE 'transfer' END AS income_kind,
       NULL AS property_kind, sum(t.annual_income) AS annual_amount, NULL AS value, NULL AS count,
       t.tax_year || ' 年度' || coalesce('，' || string_agg(DISTINCT t.withholder, '、'), '') AS detail,
       make_date(CAST(t.tax_year AS BIGINT), 12, 31) AS on_date
FROM {{src}} t JOIN y ON y.id_index = t.id_index AND y.tax_year = t.tax_year
GROUP BY t.id_index, t.income_type, t.tax_year
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("housing_fund", title="住房公积金缴存")
def housing_fund():
    """An account paying in: the deposit wage base × 12 is evidence of the wage."""
    return f"""
SELECT id_index, 'housing_fund_wages' AS item, '公积金缴存工资' AS label, 'income' AS category, 'wages' AS income_kind,
       NULL AS property_kind, wage_base * 12 AS annual_amount, NULL AS value, NULL AS count,
       '正常缴存，月缴存基数 ' || wage_base || ' 元' || coalesce('，月缴存额 ' || monthly_deposit || ' 元', '')
         || coalesce('，' || employer, '') AS detail,
       last_paid_month AS on_date
FROM {{src}}
WHERE status = 'paying' AND wage_base > 0 AND (last_paid_month IS NULL OR {_since("last_paid_month")})
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


# ---------------------------------------------------------------- findings: property and expenses


@finding("bank", title="金融资产")
def bank():
    return f"""
SELECT id_index, product_type AS item, {_choice("bank", "product_type")} AS label, 'property' AS category,
       NULL AS income_kind, 'financial_assets' AS property_kind, NULL AS annual_amount, balance AS value, 1 AS count,
       institution || coalesce(' ' || account_no_masked, '') AS detail, NULL AS on_date
FROM {{src}}
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("vehicle", title="机动车")
def vehicle():
    return f"""
SELECT id_index, 'vehicle' AS item, '机动车' AS label, 'property' AS category, NULL AS income_kind,
       'vehicles' AS property_kind, NULL AS annual_amount, purchase_price AS value, 1 AS count,
       plate_no || '（' || {_choice("vehicle", "vehicle_type")} || '）' AS detail, registered_on AS on_date
FROM {{src}}
WHERE status = 'normal' AND registered_on <= {{as_of}} AND (cancelled_on IS NULL OR cancelled_on > {{as_of}})
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("real_estate", title="房产")
def real_estate():
    return """
SELECT id_index, property_type AS item,
       CASE property_type WHEN 'residential' THEN '住宅' ELSE '非住宅房产' END AS label, 'property' AS category,
       NULL AS income_kind,
       CASE property_type WHEN 'residential' THEN 'houses' ELSE 'non_residential_houses' END AS property_kind,
       NULL AS annual_amount, NULL AS value, 1 AS count,
       coalesce(location || '，', '') || area || '㎡'
         || CASE WHEN share IS NOT NULL AND share < 100 THEN '，份额 ' || share || '%' ELSE '' END
         || '，' || certificate_no AS detail,
       registered_on AS on_date
FROM {src}
WHERE registered_on <= {as_of} AND (cancelled_on IS NULL OR cancelled_on > {as_of})
"""


@finding("business_registration", title="市场主体登记")
def business_registration():
    return f"""
SELECT id_index, 'business' AS item, '市场主体' AS label, 'property' AS category, NULL AS income_kind,
       'business_registrations' AS property_kind, NULL AS annual_amount, registered_capital AS value, 1 AS count,
       entity_name || '（' || {_choice("business_registration", "entity_type")} || '，'
         || {_choice("business_registration", "role")} || '，' || uscc || '）' AS detail,
       registered_on AS on_date
FROM {{src}}
WHERE status = 'active' AND registered_on <= {{as_of}} AND (cancelled_on IS NULL OR cancelled_on > {{as_of}})
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("medical_expense", title="医疗费用个人自付")
def medical_expense():
    """Out-of-pocket costs of the last 12 months: a rigid expense (2025 刚性支出办法)."""
    return f"""
SELECT id_index, 'medical' AS item, '医疗费用个人自付' AS label, 'expense' AS category, NULL AS income_kind,
       NULL AS property_kind, sum(out_of_pocket) AS annual_amount, NULL AS value, count(*) AS count,
       '近12个月结算 ' || count(*) || ' 次，医疗总费用 ' || sum(total_cost) || ' 元，个人自付 '
         || sum(out_of_pocket) || ' 元' AS detail,
       max(settled_on) AS on_date
FROM {{src}} WHERE {_since("settled_on")}
GROUP BY id_index
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


# ---------------------------------------------------------------- findings: status


@finding("unemployment", title="登记失业")
def unemployment():
    return f"""
SELECT id_index, 'unemployed' AS item, '登记失业' AS label, 'status' AS category, NULL AS income_kind,
       NULL AS property_kind, NULL AS annual_amount, NULL AS value, NULL AS count,
       '失业登记 ' || {_day("registered_on")}
         || CASE WHEN benefit_until >= {{as_of}} THEN '，领取失业保险金至 ' || {_day("benefit_until")}
              || coalesce('，每月 ' || monthly_benefit || ' 元', '') ELSE '' END AS detail,
       registered_on AS on_date
FROM {{src}}
WHERE registered_on <= {{as_of}} AND (cancelled_on IS NULL OR cancelled_on > {{as_of}})
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("disability_certificate", title="残疾人证")
def disability_certificate():
    """A valid certificate: ``item`` is the kind, ``count`` the grade."""
    return f"""
SELECT id_index, kind AS item, '残疾人证' AS label, 'status' AS category, NULL AS income_kind, NULL AS property_kind,
       NULL AS annual_amount, NULL AS value, grade AS count,
       {_choice("disability_certificate", "kind")} || grade || '级（发证 ' || {_day("issued_on")}
         || coalesce('，有效期至 ' || {_day("valid_until")}, '') || '）' AS detail,
       issued_on AS on_date
FROM {{src}}
WHERE issued_on <= {{as_of}} AND (valid_until IS NULL OR valid_until >= {{as_of}})
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("student_aid", title="家庭经济困难学生资助")
def student_aid():
    return f"""
SELECT id_index, 'student_aid' AS item, '家庭经济困难学生资助' AS label, 'status' AS category, NULL AS income_kind,
       NULL AS property_kind, NULL AS annual_amount, NULL AS value, NULL AS count,
       school || '，' || {_choice("student_aid", "stage")} || '，' || {_choice("student_aid", "aid_type")}
         || coalesce('，' || annual_amount || ' 元/年', '') || '，' || school_year || ' 学年'
         || coalesce('，预计 ' || graduation_year || ' 年毕业', '') AS detail,
       make_date(CAST(school_year AS BIGINT), 9, 1) AS on_date
FROM {{src}}
WHERE school_year >= year({{as_of}}) - 1
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("death", title="死亡登记")
def death():
    return f"""
SELECT id_index, 'deceased' AS item, '死亡登记' AS label, 'status' AS category, NULL AS income_kind,
       NULL AS property_kind, NULL AS annual_amount, NULL AS value, NULL AS count,
       '死亡日期 ' || {_day("death_date")} || coalesce('，户口注销 ' || {_day("cancelled_on")}, '') AS detail,
       death_date AS on_date
FROM {{src}} WHERE death_date <= {{as_of}}
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


@finding("cremation", title="火化记录")
def cremation():
    return f"""
SELECT id_index, 'deceased' AS item, '火化记录' AS label, 'status' AS category, NULL AS income_kind,
       NULL AS property_kind, NULL AS annual_amount, NULL AS value, NULL AS count,
       '死亡日期 ' || {_day("death_date")} || '，火化日期 ' || {_day("cremated_on")}
         || coalesce('，' || funeral_home, '') AS detail,
       death_date AS on_date
FROM {{src}} WHERE death_date <= {{as_of}}
"""  # noqa: S608 — fixed SQL of this module; the engine fills {src} and {as_of}


# ---------------------------------------------------------------- the comparison with the standards

PROPERTY_LABELS = {
    "financial_assets": "金融资产",
    "houses": "住房",
    "non_residential_houses": "非住宅房产",
    "vehicles": "机动车",
    "business_registrations": "市场主体登记",
}
EXPENSE_LABELS = {"medical": "医疗费用个人自付"}
LINE_LABELS = {
    "": "低保标准",
    "dibao": "低保标准",
    "tekun": "低保标准",
    "dibao_edge": "低保边缘收入线",
    "rigid_expense": "刚性支出困难家庭收入线",
}

JUDGE_COLUMNS = [
    ("dibao", "DECIMAL(14,4)"),
    ("line_annual", "DECIMAL(30,8)"),  # per-capita annual income line of the program, exact
    ("rate", "DECIMAL(14,4)"),
    ("deductible", "BOOLEAN"),
    ("months", "DECIMAL(14,4)"),
    ("houses_ok", "INTEGER"),
    ("nonres_ok", "INTEGER"),
    ("vehicles_ok", "INTEGER"),
    ("biz_ok", "INTEGER"),
    ("line_text", "VARCHAR"),
    ("fa_text", "VARCHAR"),
    ("houses_text", "VARCHAR"),
    ("nonres_text", "VARCHAR"),
    ("vehicles_text", "VARCHAR"),
    ("biz_text", "VARCHAR"),
    ("excluded", "VARCHAR[]"),  # income kinds left out here (the exclusions in force, ADR 0017)
]


def _yuan(v: Decimal) -> str:
    return f"{v.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def _num(v: Decimal) -> str:
    return f"{v.normalize():f}"


def _where(std: Standards, key: str) -> str:
    used = std.used.get((key, ""))
    if not used or used[0] == "override":
        return ""
    row = used[0]
    where = region_names([row.region_code]).get(row.region_code, row.region_code) if row.region_code else "全国"
    return f"（{where} 自 {row.effective_from.isoformat()} 起）"


def judge_params(*, region_code: str, hukou_type: str, as_of: dt.date, program: str = "") -> dict:
    """The standard values of one (region, hukou type, program) the checks read, with the text
    shown beside each limit. Raises :class:`~minzheng.foundation.parameters.standards.MissingStandard`."""
    std = standards_for(region_code=region_code, hukou_type=hukou_type, as_of=as_of)
    d = std.decimal
    excluded = sorted(_excluded_kinds(std, program))
    dibao = d("dibao_monthly")
    dibao_text = f"低保标准 {_yuan(dibao)} 元/人·月{_where(std, 'dibao_monthly')}"
    if program == "dibao_edge":
        edge = d("edge_multiple")
        line_annual = 12 * edge * dibao
        line_text = f"低保边缘收入线 {_num(edge)} × {_yuan(dibao)} = {_yuan(edge * dibao)} 元/人·月（{dibao_text}）"
    elif program == "rigid_expense":
        line_annual = d("rigid_expense_income_line_annual")
        line_text = (
            f"刚性支出困难家庭收入线 {_yuan(line_annual)} 元/人·年 = {_yuan(line_annual / 12)} 元/人·月"
            f"{_where(std, 'rigid_expense_income_line_annual')}"
        )
    else:
        line_annual = 12 * dibao
        line_text = dibao_text
    months = d("financial_assets_months")
    limits = {k: int(std.get(k)) for k in ("houses_allowed", "non_residential_houses_allowed", "vehicles_allowed",
                                           "business_registrations_allowed")}  # fmt: skip
    return {
        "dibao": dibao,
        "line_annual": line_annual.quantize(Decimal("0.00000001"), ROUND_HALF_UP),  # exact: 4 + 4 decimals
        "rate": d("employment_cost_rate"),
        "deductible": bool(std.get("rigid_expense_deductible")),
        "months": months,
        "houses_ok": limits["houses_allowed"],
        "nonres_ok": limits["non_residential_houses_allowed"],
        "vehicles_ok": limits["vehicles_allowed"],
        "biz_ok": limits["business_registrations_allowed"],
        "line_text": line_text,
        "fa_text": f"{_num(months)} 个月 × {dibao_text} × 家庭人数{_where(std, 'financial_assets_months')}",
        "houses_text": f"住房不超过 {limits['houses_allowed']} 套{_where(std, 'houses_allowed')}",
        "nonres_text": f"非住宅房产不超过 {limits['non_residential_houses_allowed']} 套"
        f"{_where(std, 'non_residential_houses_allowed')}",
        "vehicles_text": f"机动车不超过 {limits['vehicles_allowed']} 辆{_where(std, 'vehicles_allowed')}",
        "biz_text": f"市场主体登记不超过 {limits['business_registrations_allowed']} 户"
        f"{_where(std, 'business_registrations_allowed')}",
        "excluded": excluded,
    }


def _excluded_kinds(std: Standards, program: str = "") -> set[str]:
    """The income kinds the judge leaves out, as the assessment does: a 特困 person's own income
    for 特困, else 低保 family income (高龄津贴 by the regional standard)."""
    if program == "tekun":
        return tekun_excluded_kinds(std)
    try:
        return excluded_kinds(std)
    except MissingStandard:
        return excluded_kinds(std, longevity=False)


def excluded_income_kinds(*, region_code: str, hukou_type: str, as_of: dt.date, program: str = "") -> set[str]:
    """:func:`_excluded_kinds` for a region, hukou type and date (the report's means items)."""
    return _excluded_kinds(standards_for(region_code=region_code, hukou_type=hukou_type, as_of=as_of), program)


# One row per unit and limit. The income test is exact: per-capita < line ⇔ counted < n × line
# (no division); the per-capita figure is for display.
JUDGE_SQL = """
WITH a AS (
  -- the kinds left out are the unit's region's, as of the day (std.excluded: a parameter, not a list here)
  SELECT unit_id,
    coalesce(sum(amount) FILTER (WHERE category = 'income' AND NOT list_contains(s.excluded, kind)), 0) AS gross,
    coalesce(sum(amount) FILTER (WHERE category = 'income' AND kind = 'wages'), 0) AS wages,
    coalesce(sum(amount) FILTER (WHERE category = 'expense'), 0) AS rigid,
    coalesce(sum(amount) FILTER (WHERE category = 'property' AND kind = 'financial_assets'), 0) AS fa,
    coalesce(sum(count) FILTER (WHERE category = 'property' AND kind = 'houses'), 0) AS houses,
    coalesce(sum(count) FILTER (WHERE category = 'property' AND kind = 'non_residential_houses'), 0) AS nonres,
    coalesce(sum(count) FILTER (WHERE category = 'property' AND kind = 'vehicles'), 0) AS vehicles,
    coalesce(sum(count) FILTER (WHERE category = 'property' AND kind = 'business_registrations'), 0) AS biz
  FROM amounts JOIN units USING (unit_id) JOIN std s USING (combo) GROUP BY unit_id
), b AS (
  SELECT u.unit_id, greatest(u.n, 1) AS n, s.*,
    coalesce(a.gross, 0) AS gross,
    coalesce(a.wages, 0) AS wages, coalesce(a.rigid, 0) AS rigid,
    coalesce(a.fa, 0) AS fa, coalesce(a.houses, 0) AS houses, coalesce(a.nonres, 0) AS nonres,
    coalesce(a.vehicles, 0) AS vehicles, coalesce(a.biz, 0) AS biz
  FROM units u JOIN std s USING (combo) LEFT JOIN a USING (unit_id)
), c AS (
  -- 民发〔2021〕57号 第十三条: counted = counted kinds − employment cost − rigid expenses when deductible
  -- (exact: fen × a rate of four decimals has six)
  SELECT *, CAST(greatest(0, gross - wages * rate - CASE WHEN deductible THEN rigid ELSE 0 END) AS DECIMAL(28,6))
    AS counted FROM b
)
SELECT unit_id, 1 AS sort, 'income' AS code, '家庭人均月收入' AS label,
       -- counted ÷ 12 ÷ n half up to the fen, in integers (as assess() shows it)
       CAST((2 * CAST(counted * 1000000 AS HUGEINT) + 120000 * n) // (240000 * n) AS DECIMAL(18,0)) * 0.01 AS actual, round(CAST(line_annual AS DOUBLE) / 12, 2) AS limit_value,
       '元/人·月' AS unit, counted >= n * line_annual AS over, line_text AS standard,
       '计入收入 ' || CAST(CAST(counted AS DECIMAL(18,2)) AS VARCHAR) || ' 元/年 ÷ 12 ÷ ' || n || ' 人' AS note
FROM c
UNION ALL
SELECT unit_id, 2, 'financial_assets', '金融资产', fa, months * dibao * n, '元', fa > months * dibao * n, fa_text,
       '限额 ' || CAST(CAST(months * dibao * n AS DECIMAL(18,2)) AS VARCHAR) || ' 元（' || n || ' 人）'
FROM c
UNION ALL
SELECT unit_id, 3, 'houses', '住房', houses, houses_ok, '套', houses > houses_ok, houses_text, NULL FROM c
UNION ALL
SELECT unit_id, 4, 'non_residential_houses', '非住宅房产', nonres, nonres_ok, '套', nonres > nonres_ok, nonres_text, NULL
FROM c
UNION ALL
SELECT unit_id, 5, 'vehicles', '机动车', vehicles, vehicles_ok, '辆', vehicles > vehicles_ok, vehicles_text, NULL FROM c
UNION ALL
SELECT unit_id, 6, 'business_registrations', '市场主体登记', biz, biz_ok, '户', biz > biz_ok, biz_text, NULL FROM c
"""

judge_register(
    Judge(
        columns=JUDGE_COLUMNS,
        params=judge_params,
        sql=JUDGE_SQL,
        labels={**INCOME_LABELS, **EXPENSE_LABELS, **PROPERTY_LABELS},
        excluded_column="excluded",
    )
)


# ---------------------------------------------------------------- into the assessment and the means


def _d(v) -> Decimal:
    return Decimal(str(v)) if v not in (None, "") else Decimal(0)


def report_assessment_input(report) -> dict:
    """The report's incomes, rigid expenses and property as an assessment request
    (:class:`~.schemas.AssessmentIn`, as JSON): every current member of the household (from the
    registry; a valid 残疾人证 fills a missing disability; a deceased member is not counted), each
    member's income per kind at the highest amount one source shows, medical costs as the rigid
    expense, the property totals; the region and hukou type of the household, the report date."""
    from minzheng.engines.verification.report import members_of

    from .schemas import AssessmentIn

    household = report.request.household
    as_of = timezone.localtime(report.issued_at).date() if report.issued_at else timezone.localdate()
    memberships = members_of(household)
    index = {m.person_id: i for i, m in enumerate(memberships)}
    certificates: dict[int, tuple[str, int]] = {}
    deceased: set[int] = set()
    per_source: dict[tuple[int, str, str], Decimal] = {}
    expenses: dict[str, Decimal] = {}
    for block in report.findings:
        pid = block.get("person_id")
        for row in block.get("rows", []):
            if row["category"] == "income" and row.get("income_kind") and pid in index:
                key = (pid, row["income_kind"], block["source"])
                per_source[key] = per_source.get(key, Decimal(0)) + _d(row.get("annual_amount"))
            elif row["category"] == "expense":
                expenses[row["item"]] = expenses.get(row["item"], Decimal(0)) + _d(row.get("annual_amount"))
            elif row["category"] == "status" and row["item"] == "deceased":
                deceased.add(pid)
            elif row["category"] == "status" and block["source"] == "disability_certificate" and row.get("count"):
                certificates[pid] = (row["item"], int(row["count"]))
    incomes: dict[tuple[int, str], Decimal] = {}
    for (pid, kind, _source), amount in per_source.items():
        incomes[(pid, kind)] = max(incomes.get((pid, kind), Decimal(0)), amount)
    members = []
    for m in memberships:
        p = m.person
        kind, grade = (p.disability_kind or None), p.disability_grade
        if not (kind and grade) and p.pk in certificates:
            kind, grade = certificates[p.pk]
        if not (kind and grade):
            kind = grade = None
        members.append(
            {
                "name": p.name,
                "birth_date": p.birth_date.isoformat(),
                "relation": "head" if m is memberships[0] else (m.relation if m.relation != "head" else "other"),
                "counted": p.death_date is None and p.pk not in deceased,
                "disability_kind": kind,
                "disability_grade": grade,
                "serious_illness": bool(p.serious_illness),
                "self_care": p.self_care or "full",
            }
        )
    prop = {p["kind"]: p for p in report.summary.get("property", [])}
    data = {
        "region_code": household.region_code,
        "hukou_type": household.hukou_type,
        "as_of": as_of.isoformat(),
        "members": members,
        "incomes": [
            {"member": index[pid], "kind": kind, "annual_amount": str(amount)}
            for (pid, kind), amount in sorted(incomes.items(), key=lambda kv: (index[kv[0][0]], kv[0][1]))
            if amount > 0
        ],
        "expenses": [
            {
                "kind": kind if kind in ("medical", "education", "rehabilitation") else "other_rigid",
                "annual_amount": str(amount),
            }
            for kind, amount in expenses.items()
            if amount > 0
        ],
        "property": {
            "financial_assets": str(_d(prop.get("financial_assets", {}).get("value"))),
            "houses": int(prop.get("houses", {}).get("count") or 0),
            "non_residential_houses": int(prop.get("non_residential_houses", {}).get("count") or 0),
            "vehicles": int(prop.get("vehicles", {}).get("count") or 0),
            "business_registrations": int(prop.get("business_registrations", {}).get("count") or 0),
        },
    }
    return AssessmentIn.model_validate(data).model_dump(mode="json")


# ---------------------------------------------------------------- adoption, item by item

EXCLUDED = "excluded"  # MEANS_ITEMS: the kinds left out of income, per report

# The household's means item by item (HouseholdMeans), with the sources whose findings make the
# report's figure and which findings count: (category, kinds). 有无法定义务人 is no partner data.
MEANS_ITEMS = [
    # field, label, unit, sources, category, kinds (None: every kind of the category not listed elsewhere;
    # EXCLUDED: the income kinds the report left out, those of the household's region on its date)
    ("wages_annual", "工资性收入", "元/年", ("social_insurance", "tax", "housing_fund"), "income", {"wages"}),
    ("other_income_annual", "其他计入收入", "元/年", ("social_insurance", "tax"), "income", None),
    ("excluded_income_annual", "不计入收入", "元/年", ("social_insurance",), "income", EXCLUDED),
    ("rigid_expense_annual", "刚性支出", "元/年", ("medical_expense",), "expense", None),
    ("financial_assets", "金融资产", "元", ("bank",), "property", {"financial_assets"}),
    ("houses", "住房", "套", ("real_estate",), "property", {"houses"}),
    ("non_residential_houses", "非住宅房产", "套", ("real_estate",), "property", {"non_residential_houses"}),
    ("vehicles", "机动车", "辆", ("vehicle",), "property", {"vehicles"}),
    ("business_registrations", "市场主体登记", "户", ("business_registration",), "property",
     {"business_registrations"}),
]  # fmt: skip
MEANS_ITEM_LABELS = {f: label for f, label, *_ in MEANS_ITEMS}
NO_DATA = "核对来源无该户数据"


def report_excluded(report) -> set[str]:
    """The income kinds the report left out of income: as its income summary recorded each kind it
    found, and for any other kind the exclusions in force for the household's region on the
    report's date."""
    summary = report.summary or {}
    excluded: set[str] = set()
    if summary.get("as_of") and summary.get("region_code"):
        excluded = excluded_income_kinds(
            region_code=summary["region_code"], hukou_type=summary.get("hukou_type") or "",
            as_of=dt.date.fromisoformat(summary["as_of"]),
        )  # fmt: skip
    for item in summary.get("income") or []:
        (excluded.discard if item.get("counted", True) else excluded.add)(item["kind"])
    return excluded


def _counts_for(row: dict, category: str, kinds, excluded: set[str]) -> bool:
    if row.get("category") != category:
        return False
    if category == "income":
        kind = row.get("income_kind") or ""
        if kinds is None:  # other counted income: not wages, not excluded
            return kind != "wages" and kind not in excluded
        return kind in (excluded if kinds == EXCLUDED else kinds)
    if category == "property":
        return (row.get("property_kind") or "") in kinds
    return True


def report_evidence(report) -> dict[str, dict]:
    """Per means item, what the report's figure rests on: ``state`` ``found`` (findings of a
    source count for it, or a 复议 correction decided it), ``zero`` (a source has rows of a member
    but nothing that counts for the item: data found, amount 0), ``no_data`` (no source has data on
    the household: not loaded, or no row of any member — no record is not zero); ``sources``: per
    source what it said, ``[{"source", "name", "said"}]``."""
    from minzheng.engines.verification.report import source_coverage

    corrected = {c.get("source") for c in (report.summary or {}).get("corrections") or []}
    excluded = report_excluded(report)
    by_source: dict[str, list[dict]] = {}
    for block in report.findings:
        by_source.setdefault(block["source"], []).append(block)
    out = {}
    for field, _label, _unit, sources, category, kinds in MEANS_ITEMS:
        state, said = "no_data", []
        for code in sources:
            blocks = by_source.get(code)
            if not blocks:
                continue  # not requested
            name = blocks[0]["source_name"]
            hits = [b["name"] for b in blocks if any(_counts_for(r, category, kinds, excluded) for r in b["rows"])]
            covered = [b["name"] for b in blocks if source_coverage(b) == "records"]
            if hits:
                state = "found"
                said.append({"source": code, "name": name, "said": f"有数据（{'、'.join(hits)}）"})
            elif code in corrected:
                state = "found"
                said.append({"source": code, "name": name, "said": "经复议更正"})
            elif covered:
                state = "zero" if state == "no_data" else state
                said.append({"source": code, "name": name, "said": f"有记录，此项为 0（{'、'.join(covered)}）"})
            elif not blocks[0]["batch_id"]:
                said.append({"source": code, "name": name, "said": "暂无数据"})
            else:
                said.append({"source": code, "name": name, "said": "无该户人员记录"})
        out[field] = {"state": state, "sources": said}
    return out


def _means_dict(value) -> dict:
    """Means figures from a means dict (the ``MEANS_FIELDS``) or an ``AssessmentIn``-shaped dict."""
    from .schemas import AssessmentIn
    from .services import means_values

    if value is None:
        return {}
    if "members" in value:
        return means_values(AssessmentIn.model_validate(value), has_able_supporter=None)
    return dict(value)


def _fmt(value, unit: str) -> str | None:
    if value is None:
        return None
    if unit.startswith("元"):
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP):.2f}"
    return str(int(value))


def means_compare(investigated, reported, evidence: dict | None = None) -> list[dict]:
    """The investigated figures and the report's side by side, item by item (:data:`MEANS_ITEMS`).

    ``investigated`` and ``reported``: means dicts (``MEANS_FIELDS``) or ``AssessmentIn``-shaped
    dicts (turned into means as the assessment counts them); ``investigated`` may be None (nothing
    recorded yet). ``evidence`` (:func:`report_evidence`) says which report figures rest on data;
    without it a non-zero figure counts as found and a zero as unknown. Each row: ``field``,
    ``label``, ``unit``, ``investigated``, ``reported`` (text, money to the fen), ``differs``,
    ``state``, ``sources``, ``adoptable`` (the report has data for it) and ``default`` (adopt unless
    the caseworker says otherwise: only what the report actually found)."""
    inv, rep = _means_dict(investigated), _means_dict(reported)
    rows = []
    for field, label, unit, *_ in MEANS_ITEMS:
        old, new = inv.get(field), rep.get(field)
        if evidence is not None:
            ev = evidence.get(field, {"state": "no_data", "sources": []})
        else:
            ev = {"state": "found" if new else "unknown", "sources": []}
        differs = old is None or new is None or Decimal(str(old)) != Decimal(str(new))
        rows.append(
            {
                "field": field, "label": label, "unit": unit,
                "investigated": _fmt(old, unit), "reported": _fmt(new, unit) if ev["state"] != "no_data" else None,
                "differs": differs, "state": ev["state"], "sources": ev["sources"],
                "adoptable": ev["state"] != "no_data", "default": ev["state"] == "found",
            }
        )  # fmt: skip
    return rows


def report_adoption(report) -> dict:
    """What the adoption page shows: the household's means as recorded (``current``, or None), the
    report's means, and :func:`means_compare` of the two with the report's evidence."""
    from .models import HouseholdMeans
    from .schemas import AssessmentIn
    from .services import MEANS_FIELDS, means_values

    household = report.request.household
    current = HouseholdMeans.objects.filter(household=household).first()
    recorded = {f: getattr(current, f) for f in MEANS_FIELDS} if current else None
    reported = means_values(AssessmentIn.model_validate(report_assessment_input(report)), has_able_supporter=None)
    return {
        "current": current,
        "reported": reported,
        "rows": means_compare(recorded, reported, report_evidence(report)),
    }


def _adopted_kinds(report, current, reported: dict, items: list[str]) -> dict:
    """The incomes per kind after adopting ``items``: the report's kinds for the adopted income
    items, the recorded ones for the rest — known only where the recorded kinds split as recorded
    under the report's exclusions (else the kinds are left unknown, never guessed)."""
    from .models import INCOME_FIELDS
    from .schemas import AssessmentIn
    from .services import SPLIT_FIELDS, _excluded_for, means_kinds, means_split

    adopted = [f for f in SPLIT_FIELDS if f in items]
    if not adopted:
        return {}  # the recorded kinds (or their absence) stand
    new = means_kinds(reported)
    if len(adopted) < len(SPLIT_FIELDS):
        old = means_kinds(current) if current is not None else dict.fromkeys(INCOME_FIELDS, Decimal(0))
        excluded = _excluded_for(AssessmentIn.model_validate(report_assessment_input(report)))
        recorded = {f: (getattr(current, f) if current is not None else Decimal(0)) for f in SPLIT_FIELDS}
        if old is None or means_split(old, excluded) != recorded:
            return {"incomes_by_kind": False}
        groups = {"wages_annual": {"wages"} - excluded, "excluded_income_annual": set(excluded),
                  "other_income_annual": set(INCOME_FIELDS) - excluded - {"wages"}}  # fmt: skip
        taken = set().union(*(groups[f] for f in adopted))
        new = {k: (new[k] if k in taken else old[k]) for k in INCOME_FIELDS}
    return {"incomes_by_kind": True, **{INCOME_FIELDS[k]: v for k, v in new.items()}}


def report_adopt(*, user, report, items: list[str] | None = None):
    """采用核对结果, item by item: the chosen items of the report's figures replace the household's
    recorded means (source 核对); the others, and whether there is an able supporter (no partner data
    tells), stay as investigated. ``items`` None: the items the report found data for. An item the
    report has no data on is refused — no record in a source is not zero income. Only the latest
    version of a report can be adopted; needs ``verification.view`` and ``benefits.change`` in the
    household's region. Audited: the means change (before/after), and the adoption with the report
    number and each adopted item's old and new value. Returns the means."""

    from minzheng.engines.verification.models import VerificationReport

    from .services import MEANS_FIELDS, household_means_write

    region = report.region_code
    if not has_permission(user, "verification.view", region):
        raise PermissionDenied("无权采用该核对报告")
    latest = VerificationReport.objects.filter(request_id=report.request_id).order_by("-version").first()
    if latest is not None and latest.pk != report.pk:
        raise Refused(f"该报告已被第 {latest.version} 版（{latest.number}）更正，只能采用最新版本")
    view = report_adoption(report)
    rows = {r["field"]: r for r in view["rows"]}
    if items is None:
        items = [f for f, r in rows.items() if r["default"]]
    unknown = [f for f in items if f not in rows]
    if unknown:
        raise Refused(f"不能采用的项目：{'、'.join(unknown)}")
    items = [f for f in rows if f in set(items)]  # the page's order, once each
    no_data = [rows[f]["label"] for f in items if not rows[f]["adoptable"]]
    if no_data:
        raise Refused(f"{'、'.join(no_data)}：{NO_DATA}，不能采用（没有记录不等于没有收入或财产）")
    if not items:
        raise Refused("请至少选择一项要采用的核对结果")
    household = report.request.household
    current = view["current"]
    values = {f: getattr(current, f) for f in MEANS_FIELDS} if current else {
        f: (None if f == "has_able_supporter" else Decimal(0)) for f in MEANS_FIELDS}  # fmt: skip
    for f in items:
        values[f] = view["reported"][f]
    values.update(_adopted_kinds(report, current, view["reported"], items))
    as_of = dt.date.fromisoformat(report.summary["as_of"]) if report.summary.get("as_of") else timezone.localdate()
    means = household_means_write(
        user=user, household=household, values=values, as_of=as_of, source=MeansSource.VERIFICATION
    )
    adopted = [{"item": f, "label": rows[f]["label"], "old": rows[f]["investigated"], "new": rows[f]["reported"]}
               for f in items]  # fmt: skip
    audit_record(
        action="update", object_type="verification.verificationreport", object_id=report.pk, region_code=region,
        summary=f"采用核对报告 {report.number} 的{'、'.join(a['label'] for a in adopted)}作为家庭 {household.number} 的经济状况",
        changes={"report": report.number, "version": report.version, "items": adopted},
    )  # fmt: skip
    return means


# the verification pages and the API read the report's means through the engine's plug point
report_use_register(
    ReportUse(
        assessment_input=report_assessment_input, evidence=report_evidence, adoption=report_adoption, adopt=report_adopt
    )
)


# the programs a batch verification may cover (核对范围), in this order before the engine's own scopes
for _program, _label in (("dibao", "低保"), ("tekun", "特困"), ("dibao_edge", "低保边缘"),
                         ("rigid_expense", "刚性支出困难家庭")):  # fmt: skip
    batch_scope(_program, _label)
