"""Monitoring rules of social assistance: every rule fires on data that should raise it and stays
silent on data that must not. Partner rows are loaded through ``batch_load`` (the real path),
households and enrollments through the registry and benefits services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from minzheng.business.assistance.sources import SOURCES
from minzheng.engines.benefits import services as benefits
from minzheng.engines.monitoring.models import Alert, MonitoringRule
from minzheng.engines.monitoring.services import monitoring_run
from minzheng.engines.verification.store import batch_load
from minzheng.foundation.codes.idnumbers import make_id_number
from minzheng.foundation.codes.uscc import check_character
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.registry import services as registry
from tests.conftest import ANYANG_VILLAGE, TANGXIA_VILLAGE

D = dt.date
BIRTH = D(1975, 3, 4)
COLUMNS = {s["code"]: [c["name"] for c in s["columns"]] for s in SOURCES}


def uscc(n: int) -> str:
    body = f"91330381MA{n:07d}"
    return body + check_character(body)


def today() -> D:
    return timezone.localdate()


def month_start(d: D) -> D:
    return d.replace(day=1)


def months_ago(n: int) -> D:
    d = month_start(today())
    y, m = divmod(d.month - 1 - n, 12)
    return D(d.year + y, m + 1, 1)


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"


def load(source: str, rows: list[dict], *, as_of: D | None = None):
    """A batch of ``source`` with these rows (columns not given are empty), through ``batch_load``."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS[source], lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    batch = batch_load(source=source, data=out.getvalue().encode(), file_name=f"{source}.csv", user=None,
                       channel="cli", as_of=as_of)  # fmt: skip
    assert batch.state == "accepted", batch.errors
    return batch


class World:
    """Households made through the services; ``id_of[person.pk]`` is the plain ID number."""

    def __init__(self, user, county):
        self.user, self.county, self.n, self.id_of = user, county, 0, {}

    def person(self, name: str, birth: D = BIRTH, *, region=ANYANG_VILLAGE, male=True, **extra):
        self.n += 1
        number = make_id_number("330381", birth, (self.n * 2 - (1 if male else 0)) % 1000)
        p = registry.person_create(
            user=self.user,
            data={"name": name, "id_number": number, "hukou_type": "urban", "region_code": region, **extra},
        )
        self.id_of[p.pk] = number
        return p

    def family(self, *names, program="dibao", start=None, births=None, region=ANYANG_VILLAGE, review_class="B",
               enrol=True):  # fmt: skip
        births = births or {}
        people = [self.person(n, births.get(n, D(1975, 3, 4)), region=region) for n in names]
        h = registry.household_create(
            user=self.user, data={"region_code": region, "hukou_type": "urban"}, head=people[0],
            members=[(p, "spouse" if i == 0 else "child") for i, p in enumerate(people[1:])],
        )  # fmt: skip
        e = None
        if enrol:
            e = benefits.enrollment_create(
                user=self.county, program=program, household=h, monthly_amount="500", persons_covered=len(people),
                start_month=start or months_ago(6), review_class=review_class,
            )  # fmt: skip
        return h, people, e

    def id(self, person) -> str:
        return self.id_of[person.pk]


@pytest.fixture
def world(assistance_standards, make_user, county_user):
    staff = make_user("staff_all", ("acceptor", "330381000000"))
    return World(staff, county_user)


def run(*rules, on=None) -> dict:
    return monitoring_run(rules=list(rules), on=on or today())


def alerts(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule_id=rule).order_by("subject_key", "evidence_key"))


# ---------------------------------------------------------------- 在保成员死亡


@pytest.mark.django_db
def test_member_deceased_fires_for_death_or_cremation_record_on_roll(world):
    h, (_head, wife), _ = world.family("王大明", "李小花")
    h2, (other,), _ = world.family("赵四", enrol=False)  # not on a roll
    h3, (cremated,), _ = world.family("钱五")
    load("death", [
        {"id_number": world.id(wife), "name": wife.name, "death_date": today() - dt.timedelta(days=20)},
        {"id_number": world.id(other), "name": other.name, "death_date": today() - dt.timedelta(days=20)},
    ])  # fmt: skip
    load("cremation", [
        {"id_number": world.id(cremated), "name": cremated.name, "death_date": today() - dt.timedelta(days=5),
         "cremated_on": today() - dt.timedelta(days=3), "funeral_home": "瑞安市殡仪馆"},
        {"id_number": world.id(wife), "name": wife.name, "death_date": today() - dt.timedelta(days=20),
         "cremated_on": today() - dt.timedelta(days=18)},
    ])  # fmt: skip
    result = run("member_deceased")
    assert result["by_rule"] == {"member_deceased": 2}
    got = {(a.household_id, a.person_id) for a in alerts("member_deceased")}
    assert got == {(h.pk, wife.pk), (h3.pk, cremated.pk)}  # one alert for the wife, from both records
    wife_alert = Alert.objects.get(rule_id="member_deceased", person=wife)
    assert wife_alert.evidence["records"] == ["cremation", "death"]
    assert wife_alert.subject_name == "李小花" and wife_alert.subject_masked.startswith("330381")
    assert wife_alert.severity == "high" and wife_alert.office_code == "330381001000"
    assert h2.pk not in {a.household_id for a in Alert.objects.all()}


# ---------------------------------------------------------------- 新增车辆、房产、市场主体


@pytest.mark.django_db
def test_new_vehicle_house_company_after_the_last_decision_fire_older_or_gone_do_not(world):
    start = months_ago(6)
    h, (a, b), e = world.family("孙一", "周二", start=start)
    before, after = start - dt.timedelta(days=30), start + dt.timedelta(days=40)
    load("vehicle", [
        {"id_number": world.id(a), "name": a.name, "plate_no": "浙C12345", "vehicle_type": "small_passenger",
         "registered_on": after, "purchase_price": "98000.00", "status": "normal"},
        {"id_number": world.id(a), "name": a.name, "plate_no": "浙C00001", "vehicle_type": "small_passenger",
         "registered_on": before, "status": "normal"},  # known at enrolment
        {"id_number": world.id(b), "name": b.name, "plate_no": "浙C99999", "vehicle_type": "truck",
         "registered_on": after, "status": "transferred"},  # no longer theirs
    ])  # fmt: skip
    load("real_estate", [
        {"id_number": world.id(b), "name": b.name, "certificate_no": "浙(2026)瑞安市不动产权第0001号",
         "property_type": "residential", "area": "89.50", "registered_on": after},
        {"id_number": world.id(b), "name": b.name, "certificate_no": "浙(2020)瑞安市不动产权第0002号",
         "property_type": "residential", "area": "60.00", "registered_on": before},
    ])  # fmt: skip
    load("business_registration", [
        {"id_number": world.id(a), "name": a.name, "role": "legal_rep", "entity_name": "瑞安市某某贸易有限公司",
         "uscc": uscc(1), "entity_type": "company", "status": "active", "registered_on": after},
        {"id_number": world.id(b), "name": b.name, "role": "operator", "entity_name": "周二小吃店",
         "uscc": uscc(2), "entity_type": "individual", "status": "cancelled", "registered_on": after},
    ])  # fmt: skip
    result = run("new_vehicle", "new_house", "new_business")
    assert result["by_rule"] == {"new_vehicle": 1, "new_house": 1, "new_business": 1}
    (car,) = alerts("new_vehicle")
    assert car.evidence["plate_no"] == "浙C12345" and car.evidence["purchase_price"] == "98000.00"
    assert car.household_id == h.pk and car.person_id == a.pk
    assert alerts("new_house")[0].evidence["area"] == "89.50"
    # after a review on a later date, an older registration is no longer new (a fresh rule run)
    benefits.enrollment_review(user=world.county, enrollment=e, outcome="unchanged", reviewed_on=today())
    Alert.objects.all().delete()
    assert run("new_vehicle", "new_house", "new_business")["alerts_new"] == 0


# ---------------------------------------------------------------- 收入超过保障标准


@pytest.mark.django_db
def test_income_over_the_line_from_social_insurance_or_tax(world):
    # 低保 1,180 元/人·月 (温州 demo standard), multiple 1: a family of two is over above 2,360 a month
    rich, (r1, _r2), _ = world.family("吴高", "郑低")
    _poor, (p1, p2), _ = world.family("冯一", "陈二")
    taxed, (t1,), _ = world.family("褚三")
    _edge, (x1,), _ = world.family("卫四", program="dibao_edge")  # not a cash program: not checked
    m = months_ago(1)
    load("social_insurance", [
        {"id_number": world.id(r1), "name": r1.name, "insurance_type": "employee_pension", "month": m.strftime("%Y-%m"),
         "monthly_wage_base": "4000.00"},
        {"id_number": world.id(r1), "name": r1.name, "insurance_type": "unemployment", "month": m.strftime("%Y-%m"),
         "monthly_wage_base": "4000.00"},  # the same wage again, not added
        {"id_number": world.id(p1), "name": p1.name, "insurance_type": "employee_pension", "month": m.strftime("%Y-%m"),
         "monthly_wage_base": "2000.00"},
        {"id_number": world.id(p2), "name": p2.name, "insurance_type": "resident_pension", "month": m.strftime("%Y-%m"),
         "monthly_pension": "300.00"},  # 城乡居民养老金 left out
        {"id_number": world.id(x1), "name": x1.name, "insurance_type": "employee_pension", "month": m.strftime("%Y-%m"),
         "monthly_wage_base": "9000.00"},
    ])  # fmt: skip
    load("tax", [
        {"id_number": world.id(t1), "name": t1.name, "tax_year": today().year - 1, "income_type": "labour",
         "annual_income": "24000.00"},  # 2,000 a month for one person
    ])  # fmt: skip
    assert run("income_over_line")["by_rule"] == {"income_over_line": 2}
    got = {a.household_id: a.evidence for a in alerts("income_over_line")}
    assert set(got) == {rich.pk, taxed.pk}
    assert got[rich.pk]["income_monthly"] == "4000.00" and got[rich.pk]["line_monthly"] == "2360.00"
    assert got[taxed.pk]["earners"][0]["tax_annual"] == "24000.00"
    # a higher multiple for 瑞安市 lifts the line above both
    standard_set(user=None, key="monitoring_income_multiple", region_code="330381000000", value="2",
                          effective_from=today() - dt.timedelta(days=1))  # fmt: skip
    Alert.objects.all().delete()
    assert run("income_over_line")["alerts_new"] == 0


# ---------------------------------------------------------------- 大额医疗支出


@pytest.mark.django_db
def test_large_medical_expenses_on_a_roll_and_discovered_off_any_roll(world):
    sick, (s1,), _ = world.family("蒋病")
    _well, (w1,), _ = world.family("沈好")
    _, (nobody,), _ = world.family("韩未保", enrol=False, region=TANGXIA_VILLAGE)
    old = today() - dt.timedelta(days=400)
    rows = [
        {"id_number": world.id(s1), "name": s1.name, "settled_on": today() - dt.timedelta(days=30),
         "visit_type": "inpatient", "total_cost": "80000.00", "fund_paid": "55000.00", "out_of_pocket": "25000.00"},
        {"id_number": world.id(w1), "name": w1.name, "settled_on": today() - dt.timedelta(days=30),
         "visit_type": "outpatient", "total_cost": "3000.00", "out_of_pocket": "1000.00"},
        {"id_number": world.id(w1), "name": w1.name, "settled_on": old, "visit_type": "inpatient",
         "total_cost": "90000.00", "out_of_pocket": "40000.00"},  # more than 12 months ago
        {"id_number": world.id(nobody), "name": nobody.name, "settled_on": today() - dt.timedelta(days=60),
         "visit_type": "inpatient", "total_cost": "60000.00", "out_of_pocket": "21000.00"},
        {"id_number": make_id_number("330381", D(1960, 1, 1), 901), "name": "不在平台", "settled_on": today(),
         "visit_type": "inpatient", "total_cost": "60000.00", "out_of_pocket": "30000.00"},  # region unknown
    ]  # fmt: skip
    load("medical_expense", rows)
    result = run("medical_expense", "medical_discovery")
    assert result["by_rule"] == {"medical_expense": 1, "medical_discovery": 1}
    (roll,) = alerts("medical_expense")
    assert roll.household_id == sick.pk and roll.evidence["out_of_pocket"] == "25000.00"
    (found,) = alerts("medical_discovery")
    assert found.subject_key.startswith("p:") and found.person_id == nobody.pk
    assert found.region_code == TANGXIA_VILLAGE and found.office_code == "330381101000"
    assert found.rule.discovery


# ---------------------------------------------------------------- 重度残疾


@pytest.mark.django_db
def test_severe_disability_without_allowance_and_discovery(world):
    _, (d1,), _ = world.family("杨重残")
    _, (d3,), _ = world.family("朱轻残")
    _, (lone,), _ = world.family("秦独居", enrol=False)
    _, (worker,), _ = world.family("尤工作", enrol=False)
    cert = {"kind": "limb", "issued_on": today() - dt.timedelta(days=10)}
    load("disability_certificate", [
        {"id_number": world.id(d1), "name": d1.name, "grade": 1, **cert},
        {"id_number": world.id(d3), "name": d3.name, "grade": 3, **cert},
        {"id_number": world.id(lone), "name": lone.name, "grade": 2, "kind": "mental",
         "issued_on": today() - dt.timedelta(days=100)},
        {"id_number": world.id(worker), "name": worker.name, "grade": 2, **cert},
    ])  # fmt: skip
    load("social_insurance", [
        {"id_number": world.id(worker), "name": worker.name, "insurance_type": "employee_pension",
         "month": months_ago(1).strftime("%Y-%m"), "monthly_wage_base": "3500.00"},
    ])  # fmt: skip
    result = run("disability_allowance", "disability_discovery")
    assert result["by_rule"] == {"disability_allowance": 1, "disability_discovery": 1}
    assert alerts("disability_allowance")[0].person_id == d1.pk
    found = alerts("disability_discovery")[0]
    assert found.person_id == lone.pk and found.evidence["kind"] == "mental"


# ---------------------------------------------------------------- 失业、学生


@pytest.mark.django_db
def test_registered_unemployment_in_a_low_income_family(world):
    _, (u1,), _ = world.family("许失业")
    _, (u2,), _ = world.family("何已就业")
    _, (u3,), _ = world.family("吕非保", enrol=False)
    load("unemployment", [
        {"id_number": world.id(u1), "name": u1.name, "registered_on": today() - dt.timedelta(days=40)},
        {"id_number": world.id(u2), "name": u2.name, "registered_on": today() - dt.timedelta(days=200),
         "cancelled_on": today() - dt.timedelta(days=30)},
        {"id_number": world.id(u3), "name": u3.name, "registered_on": today() - dt.timedelta(days=40)},
    ])  # fmt: skip
    assert run("unemployed_member")["by_rule"] == {"unemployed_member": 1}
    assert alerts("unemployed_member")[0].person_id == u1.pk


@pytest.mark.django_db
def test_students_without_aid_only_once_an_aid_list_exists_and_graduates(world):
    age12 = D(today().year - 12, 1, 15)
    _h, (_mum, kid, aided, grad), _ = world.family(
        "施母", "施子", "施女", "施长", births={"施子": age12, "施女": age12, "施长": D(today().year - 22, 1, 1)}
    )
    assert run("student_without_aid")["alerts_new"] == 0  # no 教育 list yet: the rule does not run
    school_year = today().year - (1 if today().month < 9 else 0)
    load("student_aid", [
        {"id_number": world.id(aided), "name": aided.name, "school": "瑞安市实验中学", "stage": "junior",
         "aid_type": "living_allowance", "annual_amount": "1000.00", "school_year": school_year},
        {"id_number": world.id(grad), "name": grad.name, "school": "温州大学", "stage": "higher",
         "aid_type": "grant", "school_year": school_year, "graduation_year": today().year},
    ])  # fmt: skip
    result = run("student_without_aid", "student_graduating")
    assert result["by_rule"] == {"student_without_aid": 1, "student_graduating": 1}
    assert alerts("student_without_aid")[0].person_id == kid.pk  # the mother (adult) and the aided girl are not
    assert alerts("student_graduating")[0].person_id == grad.pk


# ---------------------------------------------------------------- platform-only rules


@pytest.mark.django_db
def test_phase_out_ending_within_the_reminder_days(world):
    _, _, ending = world.family("邹渐退")
    _, _, later = world.family("喻渐退")
    benefits.enrollment_change(user=world.county, enrollment=ending, kind="phase_out", reason="income_over_line",
                               effective_month=months_ago(5))  # fmt: skip
    benefits.enrollment_change(user=world.county, enrollment=later, kind="phase_out", reason="income_over_line",
                               effective_month=months_ago(5))  # fmt: skip
    from minzheng.engines.benefits.models import Enrollment

    Enrollment.objects.filter(pk=ending.pk).update(phase_out_until=today() + dt.timedelta(days=20))
    Enrollment.objects.filter(pk=later.pk).update(phase_out_until=today() + dt.timedelta(days=90))
    assert run("phase_out_ending")["by_rule"] == {"phase_out_ending": 1}
    assert alerts("phase_out_ending")[0].household_id == ending.household_id


@pytest.mark.django_db
def test_members_turning_60_80_90_within_the_notice_days(world):
    t = today()
    soon = t + dt.timedelta(days=10)

    def born(age, when):
        try:
            return when.replace(year=when.year - age)
        except ValueError:  # 29 February
            return (when - dt.timedelta(days=1)).replace(year=when.year - age)

    _h, (p60, p80, _p70, _p90late), _ = world.family(
        "甲", "乙", "丙", "丁",
        births={"甲": born(60, soon), "乙": born(80, soon), "丙": born(70, soon), "丁": born(90, t + dt.timedelta(days=60))},
    )  # fmt: skip
    assert run("age_milestone")["by_rule"] == {"age_milestone": 2}
    assert {(a.person_id, a.evidence["age"]) for a in alerts("age_milestone")} == {(p60.pk, 60), (p80.pk, 80)}


@pytest.mark.django_db
def test_review_overdue_by_class(world):
    overdue_b, _, _ = world.family("B超期", start=months_ago(14), review_class="B")
    fine_b, _, _ = world.family("B未到", start=months_ago(6), review_class="B")
    overdue_c, _, _ = world.family("C超期", start=months_ago(4), review_class="C")  # urban C: quarterly
    _, _, reviewed = world.family("B已复核", start=months_ago(20), review_class="B")
    benefits.enrollment_review(user=world.county, enrollment=reviewed, outcome="unchanged",
                               reviewed_on=today() - dt.timedelta(days=60))  # fmt: skip
    assert run("review_overdue")["by_rule"] == {"review_overdue": 2}
    got = {a.household_id: a.evidence for a in alerts("review_overdue")}
    assert set(got) == {overdue_b.pk, overdue_c.pk}
    assert got[overdue_c.pk]["cadence_months"] == 3 and fine_b.pk not in got


@pytest.mark.django_db
def test_every_rule_of_the_catalog_has_a_registered_detector_and_chinese_texts():
    from minzheng.engines.monitoring.detectors import DETECTORS

    rules = list(MonitoringRule.objects.all())
    assert len(rules) >= 15
    for r in rules:
        assert r.detector in DETECTORS, r.code
        assert r.name and r.description and r.advice and r.due_days > 0
    assert {r.code for r in rules if r.discovery} == {"medical_discovery", "disability_discovery"}
    assert Decimal(0) < Decimal(str(MonitoringRule.objects.get(code="member_deceased").due_days))
