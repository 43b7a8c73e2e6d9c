"""The eldercare line's face on the portal: 养老机构查询 filters care homes by district, nature, grade,
vacancies (beds less today's residents, computed for the page and filtered in the database) and
monthly fee; a home's public page shows its grade, beds, vacancies and fee schedule; a care home's
institution account sees and reports the prepaid balances of its own residents only, and its own
admissions and discharges — another home's residents are neither shown nor accepted."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from minzheng.business.eldercare import services
from minzheng.business.eldercare.models import PrepaidReport
from minzheng.engines.supervision import institutions
from minzheng.engines.supervision.models import Grading, GradingGrade, GradingSheet
from minzheng.foundation.audit.models import AuditEvent
from tests.business.eldercare.homes import home_make
from tests.conftest import ANYANG, ANYANG_VILLAGE, RUIAN, TANGXIA, TANGXIA_VILLAGE

pytestmark = pytest.mark.django_db

PASSWORD = "Jigou#2026pass"
PUBLIC, CHEAP_PRIVATE, FULL_PRIVATE = "安阳公办颐养院", "安阳福寿养老院", "塘下康乐养老院"
NAMES = (PUBLIC, CHEAP_PRIVATE, FULL_PRIVATE)


def _fees(user, home, low, high, schedule=""):
    services.care_home_attributes_set(user=user, supervised=home, reason="公示收费",
                                      values={"monthly_fee_min": low, "monthly_fee_max": high,
                                              "fee_schedule": schedule})  # fmt: skip


def _graded(home, name: str, rank: int, today: dt.date):
    sheet = GradingSheet.objects.filter(kind="care_home", code="T-GRADE").first()
    if sheet is None:
        sheet = GradingSheet.objects.create(kind="care_home", code="T-GRADE", name="测试评分表", published=True,
                                            effective_from=today - dt.timedelta(days=400))  # fmt: skip
        for r, n in ((1, "一级"), (2, "二级"), (3, "三级")):
            GradingGrade.objects.create(sheet=sheet, rank=r, name=n, min_total=100 * r, min_section_share="0.5")
    Grading.objects.create(supervised=home, sheet=sheet, region_code=home.entity.region_code, state="decided",
                           self_total=0, self_assessed_on=today - dt.timedelta(days=60), grade=name, grade_rank=rank,
                           decided_on=today - dt.timedelta(days=30), valid_from=today - dt.timedelta(days=30),
                           valid_until=today + dt.timedelta(days=365))  # fmt: skip


@pytest.fixture
def world(make_user, household_in):
    today = timezone.localdate()
    county = make_user("pe_county", ("eldercare_supervisor", RUIAN), ("approver", RUIAN))
    _household, head, spouse = household_in
    public = home_make(county, ANYANG_VILLAGE, name=PUBLIC, nature="public", level="county", beds=(60, 30, 10, 20))
    cheap = home_make(county, ANYANG_VILLAGE, name=CHEAP_PRIVATE, nature="private", level="other", beds=(30, 10, 0, 0))
    full = home_make(county, TANGXIA_VILLAGE, name=FULL_PRIVATE, nature="private", level="other", beds=(2, 1, 0, 0))
    _fees(county, public, "1800", "2600", "床位费900元/月；护理费按等级300—1200元/月")
    _fees(county, cheap, "2500", "3500")
    _fees(county, full, "4000", "6000", "床位费2000元/月起；押金不超过月服务费的12倍")
    _graded(public, "二级", 2, today)
    _graded(cheap, "一级", 1, today)
    # the two residents of the full home: one since long ago, one admitted today — both count today
    a1 = services.admission_record(user=county, supervised=full, person=head, monthly_fee="4000",
                                   admitted_on=today - dt.timedelta(days=90))  # fmt: skip
    a2 = services.admission_record(user=county, supervised=full, person=spouse, monthly_fee="5000", admitted_on=today)
    account_full = institutions.account_create(user=county, supervised=full, username="tangxia.kangle", name="李院长",
                                               phone="13955550011", password=PASSWORD)  # fmt: skip
    account_public = institutions.account_create(user=county, supervised=public, username="anyang.gongban",
                                                 name="陈主任", phone="13955550012", password=PASSWORD)  # fmt: skip
    return {"county": county, "public": public, "cheap": cheap, "full": full, "a1": a1, "a2": a2,
            "head": head, "spouse": spouse, "account_full": account_full, "account_public": account_public}  # fmt: skip


def _found(params: dict) -> set[str]:
    r = Client().get("/portal/bodies/care_home/", params)
    assert r.status_code == 200
    html = r.content.decode()
    return {n for n in NAMES if n in html}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, set(NAMES)),
        ({"nature": "private"}, {CHEAP_PRIVATE, FULL_PRIVATE}),
        ({"nature": "public"}, {PUBLIC}),
        ({"vacancies": "1"}, {PUBLIC, CHEAP_PRIVATE}),  # the full home has 2 beds and 2 residents today
        ({"vacancies": "31"}, {PUBLIC}),
        ({"monthly_fee_min": "3000"}, {PUBLIC, CHEAP_PRIVATE}),
        ({"monthly_fee_min": "2000"}, {PUBLIC}),
        ({"grade": "二级"}, {PUBLIC}),
        ({"grade": "一级"}, {CHEAP_PRIVATE}),
        ({"district": TANGXIA}, {FULL_PRIVATE}),
        ({"district": ANYANG, "nature": "private", "vacancies": "1"}, {CHEAP_PRIVATE}),
        ({"vacancies": "abc"}, set(NAMES)),  # a bad value is ignored
    ],
)
def test_the_directory_filters_care_homes(world, params, expected):
    assert _found(params) == expected


def test_a_discharge_frees_a_bed_in_the_directory(world):
    assert FULL_PRIVATE not in _found({"vacancies": "1"})
    services.discharge_record(user=world["county"], admission=world["a1"], reason="home",
                              discharged_on=timezone.localdate())  # fmt: skip
    assert FULL_PRIVATE in _found({"vacancies": "1"})


def test_the_list_shows_vacancies_and_fees_set_based(world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        Client().get("/portal/bodies/care_home/")
    today = timezone.localdate()
    for n in range(5):  # more homes, graded and with fees: the page reads them in as many statements
        home = home_make(world["county"], TANGXIA_VILLAGE, name=f"塘下第{n}养老院", nature="private", level="other")
        _fees(world["county"], home, "3000", "4000")
        _graded(home, "三级", 3, today)
    with django_assert_num_queries(len(three)):
        r = Client().get("/portal/bodies/care_home/")
    html = re.sub(r"\s+", " ", r.content.decode())
    assert "空余床位" in html and "月收费（最低）" in html
    assert "4000元/月" in html and "1800元/月" in html


def test_the_public_page_shows_grade_beds_vacancies_and_fees(world):
    r = Client().get(f"/portal/bodies/care_home/{world['full'].pk}/")
    html = re.sub(r"\s+", " ", r.content.decode())
    assert r.status_code == 200
    assert "<dt>空余床位</dt><dd>0张</dd>" in html
    assert "<dt>床位总数</dt><dd>2张</dd>" in html
    assert "<dt>月收费（最高）</dt><dd>6000元/月</dd>" in html
    assert "押金不超过月服务费的12倍" in html
    assert "未评定" in html
    # nothing of the residents is public
    assert world["head"].name not in html and world["spouse"].name not in html
    r = Client().get(f"/portal/bodies/care_home/{world['public'].pk}/")
    html = re.sub(r"\s+", " ", r.content.decode())
    assert "<dt>空余床位</dt><dd>60张</dd>" in html and "二级" in html and "床位费900元/月" in html


def signed(account) -> Client:
    client = Client()
    session = client.session
    session["portal_institution"] = account.pk
    session.save()
    return client


def test_the_institution_pages_are_listed_for_a_care_home(world):
    html = signed(world["account_full"]).get("/portal/institution/").content.decode()
    assert "/portal/institution/p/eldercare_prepaid/" in html and "/portal/institution/p/eldercare_residents/" in html


def test_residents_page_shows_only_the_own_home(world):
    own = signed(world["account_full"]).get("/portal/institution/p/eldercare_residents/")
    assert own.status_code == 200
    html = own.content.decode()
    assert world["head"].name in html and world["spouse"].name in html and "在住 2 人" in html
    other = signed(world["account_public"]).get("/portal/institution/p/eldercare_residents/")
    assert other.status_code == 200
    assert world["head"].name not in other.content.decode() and "在住 0 人" in other.content.decode()
    assert signed(world["account_full"]).get("/portal/institution/p/eldercare_residents/1/").status_code == 404
    # not signed in: to the sign-in page
    assert Client().get("/portal/institution/p/eldercare_residents/").status_code == 302


def test_a_home_reports_its_prepaid_balances_through_its_account(world):
    client = signed(world["account_full"])
    page = client.get("/portal/institution/p/eldercare_prepaid/").content.decode()
    assert world["head"].name in page
    a1, a2 = world["a1"], world["a2"]
    today = timezone.localdate()
    r = client.post("/portal/institution/p/eldercare_prepaid/", {
        "as_of": today.isoformat(),
        f"fee-{a1.pk}": "4000", f"prepaid-{a1.pk}": "60000", f"deposit-{a1.pk}": "8000",  # 15 months: over 12
        f"fee-{a2.pk}": "5000", f"prepaid-{a2.pk}": "", f"deposit-{a2.pk}": "",  # not reported
    })  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:500]
    report = PrepaidReport.objects.get(supervised=world["full"])
    assert report.reported_by is None and report.breaches == 1
    line = report.lines.get()
    assert line.admission == a1 and line.prepaid_balance == Decimal("60000") and line.prepaid_limit == Decimal("48000")
    event = AuditEvent.objects.filter(action="eldercare.prepaid_report", object_id=str(report.pk)).get()
    assert event.actor_id is None and "tangxia.kangle" in event.actor_name and event.channel == "portal"
    shown = client.get(r["Location"]).content.decode()
    assert "已报送" in shown and "超限 1 项" in shown and "60000" in shown
    # the other home sees neither the report nor the residents
    other = signed(world["account_public"]).get("/portal/institution/p/eldercare_prepaid/").content.decode()
    assert world["head"].name not in other and "60000" not in other and "尚未报送" in other


def test_another_homes_resident_is_not_accepted(world):
    a1 = world["a1"]
    r = signed(world["account_public"]).post("/portal/institution/p/eldercare_prepaid/", {
        f"fee-{a1.pk}": "4000", f"prepaid-{a1.pk}": "100", f"deposit-{a1.pk}": "100",
    })  # fmt: skip
    assert r.status_code == 400
    assert "请至少填写一位老人" in r.content.decode()
    assert not PrepaidReport.objects.exists()


def test_a_bad_amount_is_refused_in_chinese(world):
    a1 = world["a1"]
    r = signed(world["account_full"]).post("/portal/institution/p/eldercare_prepaid/", {
        f"fee-{a1.pk}": "4000", f"prepaid-{a1.pk}": "-5", f"deposit-{a1.pk}": "0",
    })  # fmt: skip
    assert r.status_code == 400 and "不能为负数" in r.content.decode()
    assert not PrepaidReport.objects.exists()


def test_the_public_page_shows_published_inspection_results_only(world, make_user):
    from minzheng.engines.supervision.models import DrawPair, DrawPlan, Inspection
    from tests.business.eldercare.homes import fire_template, inspect
    from tests.engines.supervision.helpers import limits_set

    limits_set()
    inspector = make_user("pe_inspector", ("inspector", RUIAN))
    fire_template(None)
    today = timezone.localdate()
    for home, number, published in ((world["full"], "SJ-EC-1", True), (world["cheap"], "SJ-EC-2", False)):
        hazards = inspect(inspector, home, today - dt.timedelta(days=3), fail=("F1", "F2"))
        plan = DrawPlan.objects.create(
            number=number, name=f"{number} 双随机抽查", kind="care_home", region_code=RUIAN, inspectors_per_entity=1,
            entity_count=1, seed="s", algorithm="test", drawn_on=today - dt.timedelta(days=10),
            entity_pool=[[home.entity.uscc, "normal"]], published_at=timezone.now(),
            findings_summary="发现隐患" if published else "", findings_published_at=timezone.now() if published else None,
        )  # fmt: skip
        DrawPair.objects.create(plan=plan, order=1, supervised=home, uscc=home.entity.uscc, risk_class="normal",
                                inspection=Inspection.objects.get(pk=hazards[0].inspection_id))  # fmt: skip
    shown = re.sub(r"\s+", " ", Client().get(f"/portal/bodies/care_home/{world['full'].pk}/").content.decode())
    assert "发现隐患 2 项，2 项整改中" in shown
    hidden = Client().get(f"/portal/bodies/care_home/{world['cheap'].pk}/").content.decode()
    assert "发现隐患" not in hidden and "暂无公开的检查结果" in hidden


def test_a_computed_value_is_checked_when_registered():
    from minzheng.sites.portal.directory import DIRECTORY, Computed, Filter, directory_register

    shown_only = Computed("occupied", "在住人数", values=lambda ids, on: {})
    with DIRECTORY.temporarily("care_home", DIRECTORY["care_home"]):
        with pytest.raises(ValueError, match="没有筛选方法"):
            directory_register("care_home", title="t", filters=(Filter("occupied", "min"),), computed=(shown_only,))
        with pytest.raises(ValueError, match="同名"):
            directory_register("care_home", title="t", computed=(Computed("beds_total", "床位", values=dict),))
        with pytest.raises(ValueError, match="没有属性"):
            directory_register("care_home", title="t", columns=("occupied",))
    entry = DIRECTORY["care_home"]
    assert entry.computed_get("vacancies").label == "空余床位" and entry.computed_get("occupied") is None
