"""Demo partner data (部门共享数据) for the demo city, so that verification and every monitoring
rule show real findings out of the box.

For the people of the demo roll and registry under ``region_prefix`` it builds one CSV per source
in memory (in the partners' format; never written to disk, where it would leave plaintext ID
numbers under ``MINZHENG_VAR_DIR`` — the loaded batches keep them encrypted), loads each through
:func:`~minzheng.engines.verification.store.batch_load` — the same path as a partner's file — and
runs monitoring once. The batches hold hits for every rule — a few members on the roll who died
(死亡登记, some also 火化), new cars, a house and companies registered after the last decision,
high wages and taxed income, big out-of-pocket medical bills (on the roll and off it), severe
disability certificates (members without the 两项补贴; people on no roll without wages), registered
unemployment, school-age children missing from the 教育 aid list and a graduating student — and
many clean rows (old registrations, small bills, grade 3–4 certificates, modest wages of people
not on a roll, deposits, 公积金).

Deterministic for a seed within a month (dates are anchored to the first of the current month);
running it again loads the same snapshot as new batches, and the monitoring raises nothing new.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.engines.monitoring.services import monitoring_run
from minzheng.engines.verification.store import batch_load
from minzheng.foundation.codes.uscc import check_character
from minzheng.foundation.registry.models import Membership, Person

from .sources import SOURCES

COLUMNS = {s["code"]: [c["name"] for c in s["columns"]] for s in SOURCES}
INTERNAL = {s["code"] for s in SOURCES if s.get("internal")}
ROLL_STATES = (EnrollmentState.ACTIVE, EnrollmentState.PHASE_OUT)


def _uscc(region6: str, n: int) -> str:
    body = f"91{region6}MA{n:07d}"
    return body + check_character(body)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _after(r: random.Random, since: dt.date, today: dt.date) -> dt.date | None:
    """A date after ``since`` and before today, or None when there is no room."""
    span = (today - since).days - 1
    return since + dt.timedelta(days=r.randint(1, span)) if span >= 1 else None


def _csv(code: str, rows: list[dict]) -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS[code], lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for row in rows:
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def demo_sources(*, region_prefix: str, seed: int = 2026, log=print) -> dict:
    """Write and load the demo batches of every source, then run monitoring once; returns
    ``{"batches": {code: rows}, "monitoring": <monitoring_run result>}``."""
    r = random.Random(seed)
    today = timezone.localdate()
    anchor = today.replace(day=1)
    region6 = (region_prefix or "330381")[:6].ljust(6, "0")

    # the roll: households and their current members, with the date of the last decision
    enrollments = list(
        Enrollment.objects.filter(region_code__startswith=region_prefix, state__in=ROLL_STATES)
        .annotate(last_review=Max("reviews__reviewed_on"))
        .order_by("pk")
        .values("pk", "household_id", "program_id", "start_month", "person_id", "last_review")
    )
    members: dict[int, list[Person]] = defaultdict(list)
    ms = Membership.objects.filter(household_id__in={e["household_id"] for e in enrollments}, valid_to__isnull=True)
    for m in ms.select_related("person").order_by("household_id", "person_id"):
        if m.person.death_date is None:
            members[m.household_id].append(m.person)
    roll = []  # (enrollment, members, since)
    for e in enrollments:
        people = members.get(e["household_id"], [])
        if e["person_id"]:
            people = [p for p in people if p.pk == e["person_id"]]
        if people:
            since = max(e["start_month"], e["last_review"] or e["start_month"])
            roll.append((e, people, since))
    r.shuffle(roll)
    on_roll = {p.pk for _, people, _ in roll for p in people}
    others = list(
        Person.objects.filter(region_code__startswith=region_prefix, death_date__isnull=True)
        .exclude(pk__in=on_roll)
        .order_by("pk")[:600]
    )
    r.shuffle(others)
    log(f"示范部门数据：在保家庭 {len(roll)} 户，其他人员样本 {len(others)} 人")

    rows: dict[str, list[dict]] = defaultdict(list)
    used: set[int] = set()

    def take(predicate=lambda e, p, since: True, n=1, *, adult=True):
        """``n`` members of different households on the roll, not used by another hit."""
        out = []
        for e, people, since in roll:
            if len(out) >= n:
                break
            if any(p.pk in used for p in people):
                continue
            cands = [p for p in people if (_age(p.birth_date, today) >= 18 or not adult) and predicate(e, p, since)]
            if cands:
                p = cands[0]
                used.update(x.pk for x in people)
                out.append((e, p, since))
        return out

    def who(p: Person) -> dict:
        return {"id_number": p.id_number, "name": p.name}

    pool = iter(others)

    def other() -> Person | None:
        return next(pool, None)

    # 死亡登记 / 火化: three members on the roll died last month; one also cremated; clean: others
    for i, (_e, p, _s) in enumerate(take(n=3)):
        died = anchor - dt.timedelta(days=10 + i * 7)
        rows["death"].append({**who(p), "death_date": died, "cancelled_on": died + dt.timedelta(days=5),
                              "region_code": p.region_code})  # fmt: skip
        if i == 0:
            rows["cremation"].append({**who(p), "death_date": died, "cremated_on": died + dt.timedelta(days=3),
                                      "funeral_home": "瑞安市殡仪馆"})  # fmt: skip
    for _e, p, _s in take(n=1):
        died = anchor - dt.timedelta(days=3)
        rows["cremation"].append({**who(p), "death_date": died, "cremated_on": died + dt.timedelta(days=2),
                                  "funeral_home": "瑞安市殡仪馆"})  # fmt: skip
    for _ in range(4):
        if p := other():
            died = anchor - dt.timedelta(days=r.randint(40, 300))
            rows["death"].append({**who(p), "death_date": died, "region_code": p.region_code})

    # 机动车: new cars after the last decision; clean: older cars, transferred cars, others' cars
    plates = iter(range(10001, 99999))
    for _e, p, since in take(lambda e, p, s: _after(r, s, today) is not None, n=4):
        rows["vehicle"].append({**who(p), "plate_no": f"浙C{next(plates)}", "vehicle_type": "small_passenger",
                                "registered_on": _after(r, since, today), "purchase_price": f"{r.randint(6, 20)}8000.00",
                                "status": "normal"})  # fmt: skip
    for e, p, _since in take(n=3):
        rows["vehicle"].append({**who(p), "plate_no": f"浙C{next(plates)}", "vehicle_type": "motorcycle",
                                "registered_on": e["start_month"] - dt.timedelta(days=400), "status": "normal"})  # fmt: skip
    for _ in range(12):
        if p := other():
            rows["vehicle"].append({**who(p), "plate_no": f"浙C{next(plates)}", "vehicle_type": "small_passenger",
                                    "registered_on": anchor - dt.timedelta(days=r.randint(30, 2000)),
                                    "purchase_price": f"{r.randint(8, 30)}0000.00",
                                    "status": r.choice(["normal", "normal", "transferred"])})  # fmt: skip

    # 不动产: one new house; clean: houses of others, an old one of a family on the roll
    for _e, p, since in take(lambda e, p, s: _after(r, s, today) is not None, n=1):
        rows["real_estate"].append({**who(p), "certificate_no": f"浙({today.year})瑞安市不动产权第{r.randint(1, 99999):07d}号",
                                    "property_type": "residential", "area": "96.40", "share": "100",
                                    "location": "瑞安市安阳街道万松路", "region_code": p.region_code,
                                    "registered_on": _after(r, since, today)})  # fmt: skip
    for e, p, _since in take(n=2):
        rows["real_estate"].append({**who(p), "certificate_no": f"浙(2015)瑞安市不动产权第{r.randint(1, 99999):07d}号",
                                    "property_type": "residential", "area": "48.00", "share": "100",
                                    "registered_on": min(e["start_month"], dt.date(2015, 6, 1))})  # fmt: skip
    for _ in range(15):
        if p := other():
            rows["real_estate"].append({**who(p), "certificate_no": f"浙(2019)瑞安市不动产权第{r.randint(1, 99999):07d}号",
                                        "property_type": r.choice(["residential", "residential", "non_residential"]),
                                        "area": f"{r.randint(40, 160)}.00", "registered_on": dt.date(2019, r.randint(1, 12), 1)})  # fmt: skip

    # 市场主体: two new companies; clean: a cancelled shop, others' companies
    n_uscc = iter(range(1, 9999))
    for _e, p, since in take(lambda e, p, s: _after(r, s, today) is not None, n=2):
        rows["business_registration"].append({**who(p), "role": "legal_rep", "entity_name": f"瑞安市{p.name}商贸有限公司",
                                              "uscc": _uscc(region6, next(n_uscc)), "entity_type": "company",
                                              "registered_capital": "100000.00", "status": "active",
                                              "registered_on": _after(r, since, today)})  # fmt: skip
    for e, p, _since in take(n=1):
        rows["business_registration"].append({**who(p), "role": "operator", "entity_name": f"{p.name}小吃店",
                                              "uscc": _uscc(region6, next(n_uscc)), "entity_type": "individual",
                                              "status": "cancelled", "registered_on": e["start_month"],
                                              "cancelled_on": e["start_month"] + dt.timedelta(days=200)})  # fmt: skip
    for _ in range(10):
        if p := other():
            rows["business_registration"].append({**who(p), "role": "shareholder", "entity_name": f"瑞安市某某实业有限公司{r.randint(1, 99)}",
                                                  "uscc": _uscc(region6, next(n_uscc)), "entity_type": "company",
                                                  "registered_capital": "500000.00", "status": "active",
                                                  "registered_on": dt.date(2018, r.randint(1, 12), 1)})  # fmt: skip

    # 社会保险 / 税务: three families on 低保 with wages well above the line, one by tax; clean: others
    last_month = (anchor - dt.timedelta(days=1)).replace(day=1)
    months = [(last_month - dt.timedelta(days=31 * i)).replace(day=1).strftime("%Y-%m") for i in range(3)]
    for _e, p, _since in take(lambda e, p, s: e["program_id"] == "dibao", n=3):
        for m in months:
            for kind in ("employee_pension", "unemployment"):
                rows["social_insurance"].append({**who(p), "insurance_type": kind, "month": m, "monthly_wage_base": "6800.00",
                                                 "contribution": "544.00", "employer": "瑞安市某汽摩配件有限公司"})  # fmt: skip
    for _e, p, _since in take(lambda e, p, s: e["program_id"] == "dibao", n=1):
        rows["tax"].append({**who(p), "tax_year": today.year - 1, "income_type": "business", "annual_income": "96000.00",
                            "tax_paid": "1200.00"})  # fmt: skip
    workers = []
    for _ in range(60):
        if p := other():
            workers.append(p)
            for m in months:
                rows["social_insurance"].append({**who(p), "insurance_type": "employee_pension", "month": m,
                                                 "monthly_wage_base": f"{r.randint(35, 90)}00.00", "contribution": "300.00",
                                                 "employer": "瑞安市某某有限公司"})  # fmt: skip
            if r.random() < 0.5:
                rows["tax"].append({**who(p), "tax_year": today.year - 1, "income_type": "wages",
                                    "annual_income": f"{r.randint(60, 150)}000.00", "tax_paid": "800.00"})  # fmt: skip
            if r.random() < 0.4:
                rows["housing_fund"].append({**who(p), "status": "paying", "wage_base": "6000.00", "monthly_deposit": "1440.00",
                                             "balance": f"{r.randint(5, 80)}000.00", "last_paid_month": months[0],
                                             "employer": "瑞安市某某有限公司"})  # fmt: skip
            if r.random() < 0.6:
                rows["bank"].append({**who(p), "institution": r.choice(["瑞安农商银行", "中国工商银行瑞安支行"]),
                                     "account_no": f"6228{r.randint(10**14, 10**15 - 1)}", "product_type": "deposit",
                                     "balance": f"{r.randint(1, 300)}000.00"})  # fmt: skip
    for _e, p, _since in take(n=5):  # small deposits of families on the roll: clean
        rows["bank"].append({**who(p), "institution": "瑞安农商银行", "account_no": f"6228{r.randint(10**14, 10**15 - 1)}",
                             "product_type": "deposit", "balance": f"{r.randint(1, 9)}000.00"})  # fmt: skip

    # 医保: big out-of-pocket bills on the roll and off any roll; clean: small bills
    def bill(p, oop, total, days):
        return {**who(p), "settled_on": anchor - dt.timedelta(days=days), "visit_type": "inpatient",
                "total_cost": f"{total}.00", "fund_paid": f"{total - oop}.00", "out_of_pocket": f"{oop}.00",
                "hospital": "瑞安市人民医院"}  # fmt: skip

    for _e, p, _since in take(n=2, adult=False):
        rows["medical_expense"] += [bill(p, 14000, 52000, 90), bill(p, 12000, 40000, 30)]
    found_sick = [p for p in (other(), other()) if p]
    for p in found_sick:
        rows["medical_expense"].append(bill(p, 36000, 120000, 45))
    for _ in range(40):
        if p := other():
            oop = r.randint(50, 3000)
            rows["medical_expense"].append({**bill(p, oop, oop * 3, r.randint(5, 300)), "visit_type": "outpatient",
                                            "hospital": "瑞安市中医院"})  # fmt: skip

    # 残联: severe certificates of members without the 两项补贴; people on no roll without wages; clean: grade 3–4
    for _e, p, _since in take(n=2, adult=False):
        rows["disability_certificate"].append({**who(p), "kind": r.choice(["limb", "intellectual"]), "grade": 2,
                                               "issued_on": anchor - dt.timedelta(days=60)})  # fmt: skip
    for _ in range(2):
        if p := other():
            rows["disability_certificate"].append({**who(p), "kind": "mental", "grade": 1,
                                                   "issued_on": anchor - dt.timedelta(days=200)})  # fmt: skip
    for p in workers[:3]:  # severe but earning: not a discovery
        rows["disability_certificate"].append(
            {**who(p), "kind": "hearing", "grade": 2, "issued_on": dt.date(2020, 3, 1)}
        )
    for _ in range(10):
        if p := other():
            rows["disability_certificate"].append({**who(p), "kind": r.choice(["visual", "limb", "hearing"]),
                                                   "grade": r.choice([3, 4]), "issued_on": dt.date(2019, 5, 1)})  # fmt: skip

    # 人社 失业登记: two members on the roll; clean: a cancelled registration, others
    for _e, p, _since in take(lambda e, p, s: _age(p.birth_date, today) < 60, n=2):
        rows["unemployment"].append({**who(p), "registered_on": anchor - dt.timedelta(days=75),
                                     "benefit_until": anchor + dt.timedelta(days=200), "monthly_benefit": "1800.00"})  # fmt: skip
    for _ in range(6):
        if p := other():
            rows["unemployment"].append({**who(p), "registered_on": dt.date(2023, 3, 1),
                                         "cancelled_on": dt.date(2023, 9, 1)})  # fmt: skip

    # 教育 学生资助: most school-age children on 低保/特困 are on the list, a few are not; a graduate
    school_year = today.year - (1 if today.month < 9 else 0)
    kids = [(e, p) for e, people, _ in roll if e["program_id"] in ("dibao", "tekun") for p in people
            if 6 <= _age(p.birth_date, today) <= 17]  # fmt: skip
    missing = max(1, len(kids) // 8)
    for i, (_e, p) in enumerate(kids):
        if i < missing:
            continue
        stage = (
            "primary" if _age(p.birth_date, today) < 12 else "junior" if _age(p.birth_date, today) < 15 else "senior"
        )
        rows["student_aid"].append({**who(p), "school": "瑞安市实验学校", "stage": stage, "aid_type": "living_allowance",
                                    "annual_amount": "1250.00", "school_year": school_year})  # fmt: skip
    cash = ("dibao", "tekun")
    graduates = take(lambda e, p, s: e["program_id"] in cash and 18 <= _age(p.birth_date, today) <= 30, n=1)
    graduates = graduates or take(lambda e, p, s: e["program_id"] in cash, n=1)
    for _e, p, _since in graduates:
        rows["student_aid"].append({**who(p), "school": "温州大学", "stage": "higher", "aid_type": "grant",
                                    "annual_amount": "3300.00", "school_year": school_year,
                                    "graduation_year": today.year})  # fmt: skip
    for _ in range(5):
        if p := other():
            rows["student_aid"].append({**who(p), "school": "瑞安中学", "stage": "senior", "aid_type": "tuition_waiver",
                                        "school_year": school_year})  # fmt: skip

    # load from memory; the plaintext CSVs earlier versions wrote under var/ are removed
    _remove_legacy_csvs()
    loaded = {}
    for code in COLUMNS:
        data = rows.get(code) or []
        if not data:
            log(f"  {code}：无数据，跳过")
            continue
        content = _csv(code, data)
        batch = batch_load(source=code, data=content, file_name=f"{code}.csv", user=None,
                           channel="internal" if code in INTERNAL else "cli", as_of=today)  # fmt: skip
        if batch.state != "accepted":
            raise RuntimeError(f"示范数据 {code} 被拒收：{batch.errors[:3]}")
        loaded[code] = batch.rows
        log(f"  {code}：{batch.rows} 行（第 {batch.version} 版）")
    result = monitoring_run(region_prefix=region_prefix)
    log(f"动态监测：新增预警 {result['alerts_new']} 条，未办结 {result['alerts_open']} 条")
    return {"batches": loaded, "monitoring": result}


def _remove_legacy_csvs() -> None:
    """Earlier versions left ``var/demo/sources/<code>.csv`` with plaintext ID numbers behind."""
    folder = Path(settings.VAR_DIR) / "demo" / "sources"
    if not folder.is_dir():
        return
    for path in folder.glob("*.csv"):
        path.unlink(missing_ok=True)
    for empty in (folder, folder.parent):
        try:
            empty.rmdir()
        except OSError:  # not empty: something else lives there
            break
