# ruff: noqa: S608  (detector SQL is fixed text; the only values spliced in are codes checked by sql_list/sql_int)
"""Monitoring rules of social assistance (低收入人口动态监测预警): the catalog of
:class:`~minzheng.engines.monitoring.models.MonitoringRule` rows, the detector SQL each runs, the
standard types of their thresholds with nationwide defaults, and the hook that opens a 复核 case.

Sources of the indicators: 2022 兜底通知 §三(三) (重病, 残疾, 就学, 失业; 死亡 and 火化 records),
2023 意见 §三(三) (人社 失业, 医保 重病, 残联 重度残疾, 教育 困难学生) and §三(四) (the four ways of
handling); local practice for the death chain, phase-out expiry and age milestones
(``shared/docs/domain/verification-monitoring.md`` §2.3); review cadence by class (民发〔2021〕57号
第三十一条, A/B yearly, C quarterly urban and half-yearly rural).

Every detector is DuckDB SQL over ``cohort`` (members × enrollments on a roll), the partner views
``src_<code>`` and ``thresholds`` (see :mod:`minzheng.engines.monitoring.detectors`). Decisions a
newcomer would otherwise guess:

- **"new" property** (vehicle, house, company) means registered after the later of the enrollment's
  start and its last review: what the last decision could not have known.
- **income over the line** compares family totals (民发〔2021〕57号 第二十三条 computes on totals):
  Σ members' monthly income > 低保标准 × ``monitoring_income_multiple`` × members. A member's
  monthly income is the larger of the latest social-insurance month in the last six (wage base,
  plus employee or public-service pension; the 城乡居民 pension is left out as mostly the excluded
  基础养老金) and the latest tax year's income ÷ 12 — wages appear in both, so they are not added.
  Programs: 低保 and 特困 (rule parameter ``programs``).
- **one alert per evidence identity**: a vehicle by plate and registration date, a house by
  certificate, a company by credit code, a death by the person; large medical bills, income over the
  line and students without aid once per person (family) and year; a review by the date it counted
  from. A closed alert is not raised again while that identity stands.
- **student aid**: the 教育 source lists students who *receive* aid, so the rule looks for its
  absence — a school-age member (6–17 by default, parameters ``min_age``/``max_age``) of a family on
  低保/特困 not on the current or last school year's list → 转办 to 教育 to deliver the policy. It
  runs only when a student-aid batch exists (otherwise it would fire for every child). A member on
  the list in 高等教育 graduating this year is a separate low-severity 复核 reminder (income may rise).
- **severe disability** (grade 1–2, certificate valid) of a member on a roll without an enrollment in
  a disability-allowance program (parameter ``allowance_programs``, default ``disability_living`` and
  ``disability_care``, the 两项补贴) → 落实政策. "New" is the evidence identity: a certificate seen
  before does not raise again.
- **discovery** (主动发现): a severely disabled person with no wage or pension in the last six months
  of social insurance, or a person with large out-of-pocket medical costs, on no roll at all; the
  registry person (if any) gives the region, household and name.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minzheng.engines.monitoring.detectors import detector, sql_int, sql_list
from minzheng.engines.monitoring.services import recheck_opener
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.parameters.standards import AMOUNT, DAYS, MULTIPLE, standard_type

LOW_INCOME = ["dibao", "tekun", "dibao_edge", "rigid_expense"]  # 低收入人口 on the platform's rolls
CASH = ["dibao", "tekun"]
ALLOWANCES = ["disability_living", "disability_care"]  # 困难残疾人生活补贴、重度残疾人护理补贴

standard_type("monitoring_income_multiple", "监测收入预警线（低保标准倍数）", MULTIPLE, "倍低保标准",
              program="dibao", help="家庭月收入超过 低保标准×倍数×人数 时预警")  # fmt: skip
standard_type("monitoring_medical_oop_annual", "大额医疗自付预警线", AMOUNT, "元/人·近12个月",
              program="temp_assistance", help="近12个月个人自付医疗费用达到此数时预警（支出型困难）")  # fmt: skip
standard_type("monitoring_age_notice_days", "年龄节点提前提醒", DAYS, "天", program="dibao",
              help="成员将满60、80、90周岁前多少天提醒（分类施保、高龄津贴）")  # fmt: skip

MONITORING_FROM = dt.date(2023, 1, 1)  # 2023 意见
NATIONWIDE = [
    (
        "monitoring_income_multiple",
        "",
        "",
        Decimal(1),
        "民发〔2021〕57号 第九条：收入高于低保标准（倍数为地方设定，默认1倍）",
    ),
    ("monitoring_medical_oop_annual", "", "", Decimal(20000), "2023 意见 §三(三)（地方设定，默认近12个月自付2万元）"),
    ("monitoring_age_notice_days", "", "", Decimal(30), "地方设定：提前30天提醒"),
]

# ---------------------------------------------------------------- SQL building blocks


def _roll(programs) -> str:
    """Members on the given programs' rolls, with ``since``: the later of the enrollment's start
    and its last review (what the last decision knew)."""
    return (
        "SELECT *, greatest(start_month, coalesce(last_review, start_month)) AS since, "
        f"township(region_code) AS township FROM cohort WHERE program IN ({sql_list(programs)})"
    )


def _household_subject(alias: str = "c") -> str:
    c = alias
    return (
        f"'h:' || {c}.household_id AS subject_key, {c}.household_id, {c}.person_id, {c}.id_index, {c}.name, "
        f"{c}.id_masked, {c}.region_code"
    )


def _threshold(alias: str, key: str, row: str = "c", mode: str = "''", hukou: str | None = None) -> str:
    hukou = hukou or f"{row}.hukou_type"
    return (
        f"JOIN thresholds {alias} ON {alias}.township = township({row}.region_code) AND {alias}.hukou_type = {hukou} "
        f"AND {alias}.key = '{key}' AND {alias}.mode = {mode}"
    )


def _programs(params, default) -> list[str]:
    return list(params.get("programs") or default)


# ---------------------------------------------------------------- detectors


def _deceased(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))}),
dead AS (
    SELECT id_index, 'death' AS record, death_date, NULL::DATE AS cremated_on FROM src_death
    UNION ALL SELECT id_index, 'cremation', death_date, cremated_on FROM src_cremation
    UNION ALL SELECT id_index, 'registry', death_date, NULL FROM cohort WHERE death_date IS NOT NULL
),
per AS (
    SELECT id_index, min(death_date) AS death_date, max(cremated_on) AS cremated_on,
           list_sort(list(DISTINCT record)) AS records
    FROM dead GROUP BY id_index
)
SELECT {_household_subject()},
    to_json(struct_pack(death_date := d.death_date, records := d.records, cremated_on := d.cremated_on,
        relation := c.relation, program := c.program, enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256('deceased|' || c.id_index) AS evidence_key
FROM roll c JOIN per d ON d.id_index = c.id_index
"""


def _new_vehicle(params) -> str:
    exempt = params.get("exempt_types") or []
    skip = f" AND v.vehicle_type NOT IN ({sql_list(exempt)})" if exempt else ""
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))})
SELECT {_household_subject()},
    to_json(struct_pack(source := 'vehicle', plate_no := v.plate_no, vehicle_type := v.vehicle_type,
        registered_on := v.registered_on, purchase_price := v.purchase_price, since := c.since,
        enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'vehicle', c.id_index, v.plate_no, v.registered_on)) AS evidence_key
FROM roll c JOIN src_vehicle v ON v.id_index = c.id_index
WHERE v.registered_on > c.since AND v.status = 'normal'{skip}
"""


def _new_house(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))})
SELECT {_household_subject()},
    to_json(struct_pack(source := 'real_estate', certificate_no := r.certificate_no, property_type := r.property_type,
        area := r.area, location := r.location, registered_on := r.registered_on, since := c.since,
        enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'real_estate', c.id_index, r.certificate_no)) AS evidence_key
FROM roll c JOIN src_real_estate r ON r.id_index = c.id_index
WHERE r.registered_on > c.since AND (r.cancelled_on IS NULL OR r.cancelled_on > run_on())
"""


def _new_business(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))})
SELECT {_household_subject()},
    to_json(struct_pack(source := 'business_registration', entity_name := b.entity_name, uscc := b.uscc,
        role := b.role, entity_type := b.entity_type, registered_capital := b.registered_capital,
        registered_on := b.registered_on, since := c.since, enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'business_registration', c.id_index, b.uscc, b.role)) AS evidence_key
FROM roll c JOIN src_business_registration b ON b.id_index = c.id_index
WHERE b.registered_on > c.since AND b.status = 'active'
"""


def _income(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, CASH))}),
si_month AS (
    SELECT id_index, month, max(coalesce(monthly_wage_base, 0)) AS wage,
        sum(CASE WHEN insurance_type IN ('employee_pension', 'public_pension') THEN coalesce(monthly_pension, 0)
            ELSE 0 END) AS pension
    FROM src_social_insurance WHERE month > add_months(run_on(), -6) AND month <= run_on() GROUP BY ALL
),
si AS (SELECT id_index, arg_max(wage + pension, month) AS monthly, max(month) AS month FROM si_month GROUP BY id_index),
tax_year AS (
    SELECT id_index, tax_year, sum(annual_income) AS annual FROM src_tax
    WHERE tax_year >= year(run_on()) - 2 GROUP BY ALL
),
tx AS (SELECT id_index, arg_max(annual, tax_year) AS annual, max(tax_year) AS tax_year FROM tax_year GROUP BY id_index),
members AS (
    SELECT DISTINCT household_id, person_id, id_index, name, id_masked, is_head, region_code, hukou_type FROM roll
),
fam AS (
    SELECT m.household_id, count(*) AS persons,
        arg_max(m.person_id, CASE WHEN m.is_head THEN 1 ELSE 0 END) AS head_id,
        sum(greatest(coalesce(si.monthly, 0), coalesce(tx.annual, 0) / 12)) AS income,
        list(struct_pack(name := m.name, social_insurance_monthly := si.monthly, social_insurance_month := si.month,
            tax_annual := tx.annual, tax_year := tx.tax_year) ORDER BY m.person_id)
            FILTER (WHERE coalesce(si.monthly, 0) > 0 OR coalesce(tx.annual, 0) > 0) AS earners,
        list_sort(list(m.id_index) FILTER (WHERE coalesce(si.monthly, 0) > 0 OR coalesce(tx.annual, 0) > 0)) AS earner_ids
    FROM members m LEFT JOIN si ON si.id_index = m.id_index LEFT JOIN tx ON tx.id_index = m.id_index
    GROUP BY m.household_id
)
SELECT {_household_subject()},
    to_json(struct_pack(persons := f.persons, income_monthly := CAST(f.income AS DECIMAL(16,2)),
        line_monthly := CAST(s.value * k.value * f.persons AS DECIMAL(16,2)),
        standard_monthly := CAST(s.value AS DECIMAL(16,2)), multiple := CAST(k.value AS DECIMAL(8,2)),
        earners := f.earners)) AS evidence_json,
    sha256(concat_ws('|', 'income', c.household_id, year(run_on()), array_to_string(f.earner_ids, ','))) AS evidence_key
FROM fam f JOIN members c ON c.household_id = f.household_id AND c.person_id = f.head_id
{_threshold("s", "dibao_monthly")}
{_threshold("k", "monitoring_income_multiple")}
WHERE f.income > s.value * k.value * f.persons
"""


_MEDICAL = """
SELECT id_index, any_value(name) AS name, any_value(id_masked) AS id_masked,
    sum(out_of_pocket) AS out_of_pocket, sum(total_cost) AS total_cost, count(*) AS settlements,
    count(*) FILTER (WHERE visit_type = 'inpatient') AS inpatient, max(settled_on) AS last_settled
FROM src_medical_expense WHERE settled_on > add_months(run_on(), -12) AND settled_on <= run_on()
GROUP BY id_index
"""


def _medical_evidence(m: str = "m") -> str:
    return (
        f"to_json(struct_pack(source := 'medical_expense', out_of_pocket := {m}.out_of_pocket, "
        f"total_cost := {m}.total_cost, settlements := {m}.settlements, inpatient := {m}.inpatient, "
        f"last_settled := {m}.last_settled, threshold := CAST(s.value AS DECIMAL(16,2)))) AS evidence_json, "
        f"sha256(concat_ws('|', 'medical', {m}.id_index, year(run_on()))) AS evidence_key"
    )


def _medical(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))}), med AS ({_MEDICAL})
SELECT {_household_subject()}, {_medical_evidence()}
FROM roll c JOIN med m ON m.id_index = c.id_index
{_threshold("s", "monitoring_medical_oop_annual")}
WHERE m.out_of_pocket >= s.value
"""


def _discovery_subject(src: str = "m") -> str:
    return (
        f"'p:' || {src}.id_index AS subject_key, k.household_id, k.person_id, {src}.id_index, "
        f"coalesce(k.name, {src}.name) AS name, coalesce(k.id_masked, {src}.id_masked) AS id_masked, k.region_code"
    )


_MEDICAL_CANDIDATES = f"""
WITH med AS ({_MEDICAL})
SELECT id_index FROM med
WHERE out_of_pocket >= (SELECT min(value) FROM threshold_floor WHERE key = 'monitoring_medical_oop_annual')
  AND id_index NOT IN (SELECT id_index FROM cohort WHERE id_index IS NOT NULL)
"""


def _medical_discovery(params) -> str:
    return f"""
WITH med AS ({_MEDICAL})
SELECT {_discovery_subject()}, {_medical_evidence()}
FROM med m JOIN known k ON k.id_index = m.id_index
{_threshold("s", "monitoring_medical_oop_annual", row="k", hukou="coalesce(k.hukou_type, 'urban')")}
WHERE m.out_of_pocket >= s.value AND m.id_index NOT IN (SELECT id_index FROM cohort WHERE id_index IS NOT NULL)
"""


_CERT = """
SELECT id_index, any_value(name) AS name, any_value(id_masked) AS id_masked, arg_min(kind, grade) AS kind,
    min(grade) AS grade, max(issued_on) AS issued_on
FROM src_disability_certificate WHERE grade <= 2 AND (valid_until IS NULL OR valid_until >= run_on())
GROUP BY id_index
"""


def _disability(params) -> str:
    allowances = params.get("allowance_programs") or ALLOWANCES
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))}), cert AS ({_CERT})
SELECT {_household_subject()},
    to_json(struct_pack(source := 'disability_certificate', kind := d.kind, grade := d.grade,
        issued_on := d.issued_on, registry_grade := c.disability_grade)) AS evidence_json,
    sha256(concat_ws('|', 'disability', c.id_index, d.kind, d.grade)) AS evidence_key
FROM roll c JOIN cert d ON d.id_index = c.id_index
WHERE NOT EXISTS (SELECT 1 FROM cohort a WHERE a.person_id = c.person_id AND a.program IN ({sql_list(allowances)}))
"""


_WORKING = """
SELECT DISTINCT id_index FROM src_social_insurance
WHERE month > add_months(run_on(), -6) AND (coalesce(monthly_wage_base, 0) > 0 OR coalesce(monthly_pension, 0) > 0)
"""

_DISABILITY_CANDIDATES = f"""
WITH cert AS ({_CERT})
SELECT id_index FROM cert
WHERE id_index NOT IN (SELECT id_index FROM cohort WHERE id_index IS NOT NULL)
  AND id_index NOT IN ({_WORKING})
"""


def _disability_discovery(params) -> str:
    return f"""
WITH cert AS ({_CERT})
SELECT {_discovery_subject("d")},
    to_json(struct_pack(source := 'disability_certificate', kind := d.kind, grade := d.grade, issued_on := d.issued_on,
        no_income := true)) AS evidence_json,
    sha256(concat_ws('|', 'disability', d.id_index, d.kind, d.grade)) AS evidence_key
FROM cert d JOIN known k ON k.id_index = d.id_index
WHERE d.id_index NOT IN (SELECT id_index FROM cohort WHERE id_index IS NOT NULL)
  AND d.id_index NOT IN ({_WORKING})
"""


def _unemployed(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))})
SELECT {_household_subject()},
    to_json(struct_pack(source := 'unemployment', registered_on := u.registered_on, benefit_until := u.benefit_until,
        monthly_benefit := u.monthly_benefit)) AS evidence_json,
    sha256(concat_ws('|', 'unemployment', c.id_index, u.registered_on)) AS evidence_key
FROM roll c JOIN src_unemployment u ON u.id_index = c.id_index
WHERE u.registered_on <= run_on() AND (u.cancelled_on IS NULL OR u.cancelled_on > run_on())
"""


_SCHOOL_YEAR = "(year(run_on()) - CASE WHEN month(run_on()) < 9 THEN 1 ELSE 0 END)"


def _student(params) -> str:
    low, high = sql_int(params.get("min_age"), 6), sql_int(params.get("max_age"), 17)
    return f"""
WITH roll AS ({_roll(_programs(params, CASH))})
SELECT {_household_subject()},
    to_json(struct_pack(age := age_at(c.birth_date, run_on()), school_year := {_SCHOOL_YEAR},
        program := c.program, enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'student', c.id_index, {_SCHOOL_YEAR})) AS evidence_key
FROM roll c
WHERE age_at(c.birth_date, run_on()) BETWEEN {low} AND {high}
  AND c.death_date IS NULL
  AND c.id_index NOT IN (SELECT id_index FROM src_student_aid WHERE school_year >= {_SCHOOL_YEAR} - 1)
"""


def _graduating(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, CASH))})
SELECT {_household_subject()},
    to_json(struct_pack(source := 'student_aid', school := a.school, stage := a.stage,
        graduation_year := a.graduation_year)) AS evidence_json,
    sha256(concat_ws('|', 'graduating', c.id_index, a.graduation_year)) AS evidence_key
FROM roll c JOIN src_student_aid a ON a.id_index = c.id_index
WHERE a.stage = 'higher' AND a.graduation_year = year(run_on())
"""


def _phase_out(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))})
SELECT {_household_subject()},
    to_json(struct_pack(phase_out_until := c.phase_out_until, days_left := date_diff('day', run_on(), c.phase_out_until),
        program := c.program, enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'phase_out', c.enrollment_id, c.phase_out_until)) AS evidence_key
FROM roll c {_threshold("s", "phase_out_reminder_days")}
WHERE c.state = 'phase_out' AND c.phase_out_until >= run_on()
  AND c.phase_out_until <= run_on() + CAST(s.value AS INTEGER)
"""


def _age(params) -> str:
    ages = [sql_int(a, 0) for a in (params.get("ages") or [60, 80, 90])]
    return f"""
WITH roll AS ({_roll(_programs(params, LOW_INCOME))}),
turning AS (
    SELECT c.*, a.age, CAST(c.birth_date + to_years(a.age) AS DATE) AS birthday
    FROM roll c CROSS JOIN (SELECT unnest([{", ".join(str(a) for a in ages) or "60"}]) AS age) a
    WHERE c.death_date IS NULL
)
SELECT {_household_subject()},
    to_json(struct_pack(age := c.age, birthday := c.birthday, program := c.program,
        enrollment_number := c.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'age', c.id_index, c.age)) AS evidence_key
FROM turning c {_threshold("s", "monitoring_age_notice_days")}
WHERE c.birthday > run_on() AND c.birthday <= run_on() + CAST(s.value AS INTEGER)
"""


def _review(params) -> str:
    return f"""
WITH roll AS ({_roll(_programs(params, CASH))}),
e AS (
    SELECT enrollment_id, any_value(household_id) AS household_id, any_value(region_code) AS region_code,
        any_value(hukou_type) AS hukou_type, any_value(review_class) AS review_class, any_value(program) AS program,
        any_value(enrollment_number) AS enrollment_number, any_value(start_month) AS start_month,
        any_value(last_review) AS last_review, arg_max(person_id, CASE WHEN is_head THEN 1 ELSE 0 END) AS head_id
    FROM roll GROUP BY enrollment_id
)
SELECT {_household_subject()},
    to_json(struct_pack(review_class := e.review_class, last_review := e.last_review, start_month := e.start_month,
        cadence_months := CAST(s.value AS INTEGER),
        due := add_months(coalesce(e.last_review, e.start_month), CAST(s.value AS INTEGER)),
        program := e.program, enrollment_number := e.enrollment_number)) AS evidence_json,
    sha256(concat_ws('|', 'review', e.enrollment_id, coalesce(e.last_review, e.start_month))) AS evidence_key
FROM e JOIN roll c ON c.enrollment_id = e.enrollment_id AND c.person_id = e.head_id
{_threshold("s", "review_cadence_months", row="e", mode="e.review_class")}
WHERE add_months(coalesce(e.last_review, e.start_month), CAST(s.value AS INTEGER)) < run_on()
"""


LABELS = {
    "records": "记录来源",
    "relation": "与户主关系",
    "program": "保障项目",
    "enrollment_number": "保障编号",
    "since": "上次认定（纳入或复核）",
    "persons": "家庭人数",
    "income_monthly": "家庭月收入（元）",
    "line_monthly": "预警线（元/月）",
    "standard_monthly": "低保标准（元/人·月）",
    "multiple": "倍数",
    "earners": "有收入的成员",
    "social_insurance_monthly": "社保月缴费基数/养老金（元）",
    "social_insurance_month": "社保所属月份",
    "tax_annual": "纳税年度收入（元）",
    "out_of_pocket": "近12个月个人自付（元）",
    "total_cost": "近12个月医疗总费用（元）",
    "settlements": "结算次数",
    "inpatient": "住院次数",
    "last_settled": "最近结算日期",
    "threshold": "预警线（元）",
    "registry_grade": "平台登记的残疾等级",
    "no_income": "近6个月无工资和养老金",
    "age": "年龄（周岁）",
    "birthday": "满周岁日期",
    "school_year": "学年",
    "phase_out_until": "渐退期截止",
    "days_left": "剩余天数",
    "review_class": "复核类别",
    "last_review": "上次复核",
    "start_month": "纳入月份",
    "cadence_months": "复核周期（月）",
    "due": "应复核日期",
    "cremated_on": "火化日期",
    "death_date": "死亡日期",
    "description": "困难情况",
    "address": "详细地址",
    "channel": "来源",
    "reporter": "报告人",
    "for_self": "为本人报告",
    "report_number": "受理编号",
}
VALUE_LABELS = {
    "records": {"death": "公安死亡登记", "cremation": "殡葬火化记录", "registry": "平台人员死亡日期"},
    "program": {"dibao": "低保", "tekun": "特困", "dibao_edge": "低保边缘", "rigid_expense": "刚性支出"},
    "relation": {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母"},
    "review_class": {"A": "A类（每年复核）", "B": "B类（每年复核）", "C": "C类（城市每季、农村每半年）"},
}


def _register(name: str, sql, **kw) -> None:
    detector(name, sql=sql, labels=LABELS, values=VALUE_LABELS, **kw)


_register("assistance.deceased", _deceased, sources=("death", "cremation"))
_register("assistance.new_vehicle", _new_vehicle, sources=("vehicle",))
_register("assistance.new_house", _new_house, sources=("real_estate",))
_register("assistance.new_business", _new_business, sources=("business_registration",))
_register("assistance.income_over_line", _income, sources=("social_insurance", "tax"),
          thresholds=(("dibao_monthly", ""), ("monitoring_income_multiple", "")))  # fmt: skip
_register("assistance.medical_expense", _medical, sources=("medical_expense",),
          thresholds=(("monitoring_medical_oop_annual", ""),))  # fmt: skip
_register("assistance.medical_discovery", _medical_discovery, sources=("medical_expense",), discovery=True,
          candidates=_MEDICAL_CANDIDATES, thresholds=(("monitoring_medical_oop_annual", ""),))  # fmt: skip
_register("assistance.disability_allowance", _disability, sources=("disability_certificate",))
_register("assistance.disability_discovery", _disability_discovery, discovery=True,
          sources=("disability_certificate", "social_insurance"), candidates=_DISABILITY_CANDIDATES)  # fmt: skip
_register("assistance.unemployed", _unemployed, sources=("unemployment",))
_register("assistance.student_without_aid", _student, sources=("student_aid",), requires=("student_aid",))
_register("assistance.student_graduating", _graduating, sources=("student_aid",))
_register("assistance.phase_out_ending", _phase_out, thresholds=(("phase_out_reminder_days", ""),))
_register("assistance.age_milestone", _age, thresholds=(("monitoring_age_notice_days", ""),))
_register("assistance.review_overdue", _review,
          thresholds=(("review_cadence_months", "A"), ("review_cadence_months", "B"), ("review_cadence_months", "C")))  # fmt: skip
_register("assistance.hardship_report", None)  # raised by hardship_report(), not by a run

# code, name, description, detector, sources, severity, handling, advice, cadence, due days, discovery, params
RULES = [
    ("member_deceased", "在保成员死亡", "在保家庭成员有公安死亡登记、殡葬火化记录或平台死亡日期，仍在保障名单中。",
     "assistance.deceased", ["death", "cremation"], "high", "recheck",
     "核实死亡信息，3个月内完成增发、减发或停发（2022 兜底通知）；户主死亡的办理停旧建新。", "daily", 10, False, {}),
    ("new_vehicle", "新增机动车", "在保家庭成员在上次认定（纳入或复核）之后新登记了机动车。",
     "assistance.new_vehicle", ["vehicle"], "medium", "recheck",
     "入户核实车辆用途和价值；不符合财产条件的按程序减发或停发。", "weekly", 15, False, {"exempt_types": []}),
    ("new_house", "新增房产", "在保家庭成员在上次认定之后新登记了不动产。",
     "assistance.new_house", ["real_estate"], "medium", "recheck",
     "核实房产性质和套数，按当地财产条件复核。", "weekly", 15, False, {}),
    ("new_business", "新增市场主体", "在保家庭成员在上次认定之后成为市场主体的法定代表人、经营者或出资人。",
     "assistance.new_business", ["business_registration"], "medium", "recheck",
     "核实经营状况和收入，按程序复核。", "weekly", 15, False, {}),
    ("income_over_line", "收入超过保障标准", "据社保缴费、养老金或纳税记录，家庭月收入超过 低保标准×倍数×家庭人数。",
     "assistance.income_over_line", ["social_insurance", "tax"], "medium", "recheck",
     "复核家庭收入；因就业收入增加的可给予渐退期（2022 兜底通知 §一(三)）。", "monthly", 15, False,
     {"programs": CASH}),
    ("medical_expense", "大额医疗支出", "在保家庭成员近12个月个人自付医疗费用达到预警线，可能出现支出型困难。",
     "assistance.medical_expense", ["medical_expense"], "high", "deliver",
     "落实医疗救助、临时救助（支出型）；需要其他部门帮扶的转办。", "weekly", 10, False, {}),
    ("medical_discovery", "大额医疗支出（未纳入保障）", "近12个月个人自付医疗费用达到预警线、未在任何保障名单中的人员。",
     "assistance.medical_discovery", ["medical_expense"], "high", "deliver",
     "入户走访，告知并协助申请医疗救助、临时救助或刚性支出困难家庭认定。", "weekly", 10, True, {}),
    ("disability_allowance", "重度残疾未享残疾人两项补贴", "在保家庭成员持一、二级残疾人证，未纳入残疾人两项补贴。",
     "assistance.disability_allowance", ["disability_certificate"], "medium", "deliver",
     "落实困难残疾人生活补贴和重度残疾人护理补贴；按规定计入分类施保。", "monthly", 15, False,
     {"allowance_programs": ALLOWANCES}),
    ("disability_discovery", "重度残疾无收入（未纳入保障）", "持一、二级残疾人证，近6个月无工资和养老金，未在任何保障名单中的人员。",
     "assistance.disability_discovery", ["disability_certificate", "social_insurance"], "medium", "deliver",
     "入户走访；符合条件的可参照单人户申请低保（2022 兜底通知）。", "monthly", 15, True, {}),
    ("unemployed_member", "成员登记失业", "低收入家庭成员在人社部门登记失业。",
     "assistance.unemployed", ["unemployment"], "medium", "refer",
     "转人社部门落实就业援助；核实失业保险金是否计入收入。", "monthly", 15, False, {}),
    ("student_without_aid", "困难家庭学生未获资助", "低保、特困家庭的学龄成员（默认6—17周岁）不在本学年或上学年的学生资助名单中。",
     "assistance.student_without_aid", ["student_aid"], "low", "refer",
     "转教育部门核实就学情况并落实学生资助政策。", "quarterly", 20, False, {"min_age": 6, "max_age": 17}),
    ("student_graduating", "在保成员应届毕业", "低保、特困家庭成员为本年度高校应届毕业生，毕业后就业收入可能变化。",
     "assistance.student_graduating", ["student_aid"], "low", "recheck",
     "毕业后跟进就业情况，必要时复核家庭收入。", "quarterly", 20, False, {}),
    ("phase_out_ending", "渐退期即将到期", "渐退期在提醒天数（渐退期到期提醒标准）内到期的家庭。",
     "assistance.phase_out_ending", [], "medium", "recheck",
     "到期前复核：收入仍高于标准的办理退出，否则恢复正常保障或认定为低保边缘家庭。", "daily", 5, False, {}),
    ("age_milestone", "成员将满60、80、90周岁", "在保家庭成员将在提醒天数内年满60、80或90周岁，分类施保、高龄津贴等类别可能变化。",
     "assistance.age_milestone", [], "low", "deliver",
     "核实并调整分类施保类别，落实高龄津贴。", "monthly", 10, False, {"ages": [60, 80, 90]}),
    ("review_overdue", "超期未复核", "在保家庭距上次复核（或纳入）已超过其复核类别的周期：A、B类每年，C类城市每季、农村每半年。",
     "assistance.review_overdue", [], "medium", "recheck",
     "尽快开展定期复核（民发〔2021〕57号 第三十一条）。", "weekly", 10, False, {"programs": CASH}),
    ("hardship_report", "一键报贫", "群众、网格员或12345热线报告的困难家庭或个人。",
     "assistance.hardship_report", [], "high", "deliver",
     "及时入户核实，符合条件的协助申请救助；急难情形可先行救助。", "daily", 5, False, {}),
]  # fmt: skip

FIXED = ("name", "description", "detector", "sources", "discovery", "sort")  # refreshed from the catalog


def monitoring_rules_ensure(*, using: str = "default") -> None:
    """Create the MonitoringRule rows of the catalog and refresh their names, descriptions,
    detectors and sources; what an administrator changed (enabled, severity, handling, advice,
    cadence, due days, parameters) is kept. Nationwide defaults of the thresholds are inserted once,
    as ``policy_ensure`` does."""
    from minzheng.engines.monitoring.models import MonitoringRule

    objects = MonitoringRule.objects.using(using)
    existing = {r.code: r for r in objects.all()}
    for sort, (code, name, desc, det, sources, severity, handling, advice, cadence, due, disc, params) in enumerate(
        RULES
    ):
        fixed = {
            "name": name,
            "description": desc,
            "detector": det,
            "sources": sources,
            "discovery": disc,
            "sort": sort,
        }
        row = existing.get(code)
        if row is None:
            objects.create(
                code=code, severity=severity, handling=handling, advice=advice, cadence=cadence, due_days=due,
                params=params, **fixed,
            )  # fmt: skip
        elif any(getattr(row, k) != v for k, v in fixed.items()):
            objects.filter(pk=code).update(**fixed)
    for key, hukou, mode, value, citation in NATIONWIDE:
        rows = Standard.objects.using(using)
        if not rows.filter(key=key, region_code="", hukou_type=hukou, mode=mode).exists():
            rows.create(
                key=key, region_code="", hukou_type=hukou, mode=mode, effective_from=MONITORING_FROM, value=value,
                source_document=citation,
            )  # fmt: skip


@recheck_opener
def review_case_open(*, user, alert) -> str:
    """复核认定: open an ``assistance_review`` case (救助对象定期复核) for the alert's household, by
    the office's own initiative (依职权发起); returns the case number."""
    from minzheng.engines.cases.services import case_open

    household = alert.household
    return case_open(
        user=user, case_type="assistance_review", region_code=household.region_code, household=household,
        applicant=household.head, channel="office", opinion=f"监测预警 {alert.number}：{alert.rule.name}",
    ).number  # fmt: skip
