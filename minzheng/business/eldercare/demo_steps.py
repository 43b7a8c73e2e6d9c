"""The eldercare line's share of the demo city (``minzheng demo``, ``foundation/demo.py``): about 40
care homes in the demo county of every nature — a 敬老院 (特困人员供养服务机构) in each township,
county 公办 homes, 公建民营 homes with their contracts and yearly reviews, 民办 homes — with beds by
type, 备案 and fire-safety permits, residents from the registry (the 特困 persons of a township in
its 敬老院, their 集中供养 asked for by the change case the admission opens), ability assessments,
a prepaid report with a breach and the custody ledger, an incident, care workers."""

from __future__ import annotations

import base64
import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from minzheng.foundation.demo import DemoCity, demo_step

from .policy import KIND

HOMES = 40
USCC_PREFIX = {"tekun": "12", "public": "12", "public_private": "52", "private": "52"}


def _uscc(nature: str, region6: str, n: int) -> str:
    from minzheng.foundation.codes.uscc import check_character

    body = f"{USCC_PREFIX[nature]}{region6}ML{n:07d}"
    return body + check_character(body)


def _plan(townships: list[tuple[str, str]], county_name: str, rnd: random.Random) -> list[dict]:
    """What to build: a 敬老院 per township (up to the total), 2 county 公办, 5 公建民营, the rest 民办."""
    homes = []
    for code, name in townships[: HOMES - 12]:
        total = rnd.choice((40, 50, 60, 80, 100))
        homes.append({"nature": "tekun", "level": "township", "region": code, "name": f"{county_name}{name}敬老院",
                      "beds": (total, total * rnd.choice((3, 4, 5, 6)) // 10, rnd.choice((0, 0, 10)), total // 2)})  # fmt: skip
    county_region = townships[0][0] if townships else ""
    for i, label in enumerate(("社会福利中心", "第二社会福利院")):
        homes.append({"nature": "public", "level": "county", "region": county_region, "name": f"{county_name}{label}",
                      "beds": (300 - 100 * i, 180 - 60 * i, 40, 20)})  # fmt: skip
    for i in range(5):
        code, name = townships[(i * 3) % len(townships)]
        total = rnd.choice((80, 120, 150))
        homes.append({"nature": "public_private", "level": "county" if i < 2 else "township", "region": code,
                      "name": f"{county_name}{name}颐养中心", "beds": (total, total * 6 // 10, 20, 10)})  # fmt: skip
    n = 0
    while len(homes) < HOMES:
        code, name = townships[n % len(townships)]
        total = rnd.choice((30, 50, 100, 200))
        homes.append({"nature": "private", "level": "other", "region": code,
                      "name": f"{county_name}{name}{('康乐', '福寿', '安康', '夕阳红', '松鹤')[n % 5]}养老院",
                      "beds": (total, total * rnd.choice((2, 4, 7)) // 10, rnd.choice((0, 10, 20)), 0)})  # fmt: skip
        n += 1
    return homes


@demo_step("eldercare.homes", order=60)
@transaction.atomic  # all or nothing: a re-run after a failure builds everything again
def homes_step(city: DemoCity) -> dict | None:
    from minzheng.engines.benefits.models import Enrollment
    from minzheng.engines.supervision.models import Supervised
    from minzheng.engines.supervision.services import permit_record
    from minzheng.foundation.accounts.models import User
    from minzheng.foundation.entities.models import Entity
    from minzheng.foundation.entities.services import entity_create
    from minzheng.foundation.regions.models import Level, Region
    from minzheng.foundation.registry.models import Person

    from . import services

    if Supervised.objects.filter(kind=KIND, entity__region_code__startswith=city.region_prefix).exists():
        return None  # once: a re-run adds nothing
    rnd = random.Random(city.seed + 16)
    user = User.objects.filter(username=f"{city.county_user}_eldercare_supervisor").first()
    county = Region.objects.filter(code=city.region_prefix.ljust(12, "0")).first()
    county_name = county.name if county else ""
    demo = sorted(city.townships)
    others = list(
        Region.objects.filter(code__startswith=city.region_prefix, level=Level.TOWNSHIP)
        .exclude(code__in=demo)
        .order_by("code")
        .values_list("code", "name")
    )
    names = dict(Region.objects.filter(code__in=demo).values_list("code", "name"))
    townships = [(c, names.get(c, c)) for c in demo] + others
    if not townships:
        return None
    today = timezone.localdate()
    opened = today - dt.timedelta(days=3 * 365)
    made = {"homes": 0, "residents": 0, "tekun_residents": 0, "support_cases": 0, "contracts": 0, "breaches": 0}
    homes = []
    for n, h in enumerate(_plan(townships, county_name, rnd), start=1):
        uscc = _uscc(h["nature"], city.region_prefix, n)
        entity = Entity.objects.filter(uscc=uscc).first() or entity_create(
            user=user, effective_on=opened,
            data={"uscc": uscc, "name": h["name"], "region_code": h["region"],
                  "kind": "public_institution" if USCC_PREFIX[h["nature"]] == "12" else "social_service",
                  "address": f"{names.get(h['region'], '')}养老路{n}号", "representative_name": "王院长",
                  "representative_phone": f"1385770{n:04d}"},
        )  # fmt: skip
        total, nursing, dementia, reserved = h["beds"]
        home = services.care_home_register(
            user=user, entity=entity, effective_on=opened,
            attributes={"nature": h["nature"], "level": h["level"], "beds_total": total, "beds_nursing": nursing,
                        "beds_dementia": dementia, "beds_reserved": reserved,
                        "medical_integration": h["nature"] != "tekun" or n % 3 == 0,
                        "operator": "某养老服务有限公司" if h["nature"] == "public_private" else ""},
        )  # fmt: skip
        permit_record(user=user, supervised=home, permit_type="filing", issued_on=opened, issued_by=f"{county_name}民政局",
                      number=f"瑞民养备{opened.year}{n:03d}号")  # fmt: skip
        if n % 7:  # a few homes lack their fire-safety approval
            permit_record(user=user, supervised=home, permit_type="fire_safety", issued_on=opened,
                          issued_by=f"{county_name}消防救援大队", number=f"瑞消验{n:04d}")  # fmt: skip
        if h["nature"] == "public_private":
            c = services.contract_record(
                user=user, supervised=home, operator_name="某养老服务有限公司", number=f"GJMY-{n:03d}",
                signed_on=opened, starts_on=opened, ends_on=opened.replace(year=opened.year + 5),
                annual_fee=Decimal(20000 + 1000 * n), terms="运营方按协议提供特困人员集中供养床位，接受年度绩效考核",
            )  # fmt: skip
            for year in range(opened.year, today.year):
                services.contract_review_record(user=user, contract=c, year=year, score=Decimal(80 + (n + year) % 15),
                                                result="pass", reviewed_on=dt.date(year + 1, 1, 20))  # fmt: skip
            made["contracts"] += 1
        homes.append((home, h))
        made["homes"] += 1

    # residents: the township's 特困 persons in its 敬老院, other elderly persons of the county elsewhere
    tekun = {}
    for e in Enrollment.objects.filter(program_id="tekun", person__isnull=False, region_code__startswith=city.region_prefix,
                                       person__death_date__isnull=True).exclude(state="exited").select_related("person"):  # fmt: skip
        tekun.setdefault(e.region_code[:9], []).append(e.person)
    taken = set()
    levels = ("intact", "mild", "moderate", "severe")
    for home, h in homes:
        if h["nature"] != "tekun":
            continue
        for p in tekun.get(h["region"][:9], [])[:3]:  # a few of them chose 集中供养
            a = services.admission_record(user=user, supervised=home, person=p, admitted_on=today - dt.timedelta(days=20),
                                          bed_type="nursing", monthly_fee="0", ability_level=rnd.choice(levels[1:]))  # fmt: skip
            taken.add(p.pk)
            made["residents"] += 1
            made["tekun_residents"] += 1
            made["support_cases"] += bool(a.support_case)
    born_before = today.replace(year=today.year - 70)
    elderly = list(
        Person.objects.filter(
            region_code__startswith=city.region_prefix, birth_date__lte=born_before, death_date__isnull=True
        )
        .exclude(pk__in=taken)
        .order_by("pk")[:120]
    )
    rnd.shuffle(elderly)
    others_homes = [(home, h) for home, h in homes if h["nature"] != "tekun"]
    first_private = None
    for i, p in enumerate(elderly):
        home, h = others_homes[i % len(others_homes)]
        fee = Decimal(rnd.choice((2800, 3500, 4200, 5600)))
        a = services.admission_record(user=user, supervised=home, person=p, monthly_fee=fee,
                                      admitted_on=today - dt.timedelta(days=rnd.randint(30, 900)),
                                      bed_type=rnd.choice(("general", "nursing", "nursing", "dementia")),
                                      ability_level=rnd.choice(levels))  # fmt: skip
        made["residents"] += 1
        if h["nature"] == "private" and h["region"] in city.townships and first_private is None:
            first_private = (home, a)
    # a prepaid report with a breach (15 months of fees prepaid, above the 12 allowed), and the custody ledger
    if first_private is not None:
        home, a = first_private
        fee = a.monthly_fee
        report = services.prepaid_report(user=user, supervised=home, as_of=today,
                                         lines=[{"admission": a, "monthly_fee": fee, "prepaid_balance": fee * 15,
                                                 "deposit": fee * 2}])  # fmt: skip
        made["breaches"] = report.breaches
        services.custody_book(user=user, supervised=home, kind="prepaid_in", amount=fee * 15, admission=a,
                              booked_on=a.admitted_on, note="预收服务费存入存管账户")  # fmt: skip
        services.custody_book(user=user, supervised=home, kind="deposit_in", amount=fee * 2, admission=a,
                              booked_on=a.admitted_on, note="押金存入存管账户")  # fmt: skip
        services.incident_report(user=user, supervised=home, kind="injury", description="老人夜间如厕跌倒，已送医",
                                 occurred_at=timezone.now() - dt.timedelta(days=2, hours=3),
                                 reported_at=timezone.now() - dt.timedelta(days=2, hours=2))  # fmt: skip
    made["hazards"] = _inspections(city, homes, today)
    city.log(f"已生成示范养老机构 {made['homes']} 家（在住 {made['residents']} 人，其中特困 {made['tekun_residents']} 人，"
             f"发起集中供养变更 {made['support_cases']} 件；公建民营合同 {made['contracts']} 份；预付费超限 {made['breaches']} 项；消防检查发现隐患 {made['hazards']} 处）")  # fmt: skip
    return made


# a 1×1 PNG: the demo inspector's signature
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
# days ago, the items failed; the first hazard of every other inspection is closed after re-inspection
_INSPECTIONS = [(70, ("F2", "F4")), (50, ("F1", "F3")), (40, ("F2",)), (25, ("F3", "S2")), (12, ("F1",)),
                (6, ("F4",)), (3, ("F2", "F3")), (1, ())]  # fmt: skip


def _inspections(city: DemoCity, homes, today: dt.date) -> int:
    """Fire-safety inspections of a few homes along the line's checklist by the county's inspector:
    hazards open, overdue (found long enough ago) and closed after re-inspection; the rectification
    limits of the demo county set where none are (示范值, cited as such)."""
    from minzheng.engines.supervision import services as sup
    from minzheng.engines.supervision.limits import ESCALATION_DAYS, RECTIFICATION_DAYS
    from minzheng.engines.supervision.models import TemplateItem
    from minzheng.foundation.accounts.models import User
    from minzheng.foundation.parameters.models import Standard
    from minzheng.foundation.parameters.services import standard_set

    from .checklists import fire_template_ensure

    inspector = User.objects.filter(username=f"{city.county_user}_inspector").first()
    if inspector is None or not homes:
        return 0
    county = city.region_prefix.ljust(12, "0")
    for key, mode, value in ((RECTIFICATION_DAYS.key, "general", 30), (RECTIFICATION_DAYS.key, "major", 7),
                             (ESCALATION_DAYS.key, "general", 15), (ESCALATION_DAYS.key, "major", 7)):  # fmt: skip
        if not Standard.objects.filter(key=key, mode=mode).exists():
            standard_set(user=None, key=key, region_code=county, mode=mode, value=str(value),
                         effective_from=dt.date(2020, 1, 1), source_document="示范数据（各地按消防安全专项整治要求设定）")  # fmt: skip
    template = fire_template_ensure(user=None)
    items = list(TemplateItem.objects.filter(section__template=template).order_by("section__order", "order"))
    found = 0
    for n, ((home, _h), (days, failed)) in enumerate(zip(homes, _INSPECTIONS, strict=False)):
        insp = sup.inspection_start(user=inspector, supervised=home, purpose="fire",
                                    inspected_on=today - dt.timedelta(days=days))  # fmt: skip
        for item in items:
            bad = item.code in failed
            sup.inspection_result_set(user=inspector, inspection=insp, item=item, outcome="fail" if bad else "pass",
                                      note="现场检查发现问题，已拍照留存" if bad else "")  # fmt: skip
        sign = sup.photo_store(user=inspector, data=_PNG, name="检查人员签名.png", region_code=home.entity.region_code)
        rep = sup.photo_store(user=inspector, data=_PNG, name="负责人签名.png", region_code=home.entity.region_code)
        insp = sup.inspection_complete(user=inspector, inspection=insp, conclusion="存在隐患的，责令限期整改",
                                       inspector_signature=sign, representative_signature=rep, representative_name=home.entity.representative_name)  # fmt: skip
        hazards = list(insp.hazards.order_by("pk"))
        found += len(hazards)
        if hazards and n % 2 == 0:
            sup.rectification_submit(user=inspector, hazard=hazards[0], text="已整改完毕，附整改照片",
                                     submitted_by_name=home.entity.representative_name)  # fmt: skip
            sup.reinspection_record(user=inspector, hazard=hazards[0], passed=True, note="复查合格，予以销号")
    sup.hazards_overdue_mark(on=today)
    return found
