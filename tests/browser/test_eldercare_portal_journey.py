"""养老机构查询 and a care home's institution pages in real Chromium at phone width: a visitor finds a
home with free beds within a monthly fee and opens its public page (beds, vacancies, fee schedule);
the home's staff sign in with password and SMS code and report a resident's prepaid balance, which
breaches the 12-month limit, then see their residents."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from minzheng.business.eldercare import services
from minzheng.business.eldercare.models import PrepaidReport
from minzheng.engines.supervision import institutions
from minzheng.foundation.accounts.services import user_create
from minzheng.foundation.notify.models import Message
from minzheng.foundation.registry.models import Person
from tests.business.eldercare.homes import home_make

from .conftest import ANYANG, BROWSER_PASSWORD, PHONE, TANGXIA, browser_db, shot

pytestmark = [pytest.mark.browser, browser_db]
RUIAN = "330381000000"
INST_PASSWORD = "Jigou#2026pass"


def test_a_visitor_finds_a_home_and_the_home_reports_its_prepaid_fees(pages, world):
    today = timezone.localdate()
    county = user_create(username="ra_elder", password=BROWSER_PASSWORD, display_name="瑞安市养老机构监管员",
                         grants=[("eldercare_supervisor", RUIAN), ("approver", RUIAN), ("admin", RUIAN)])  # fmt: skip
    anyang_person = Person.objects.filter(region_code__startswith=ANYANG[:9]).order_by("pk").first()
    tangxia_person = Person.objects.filter(region_code__startswith=TANGXIA[:9]).order_by("pk").first()
    open_home = home_make(county, anyang_person.region_code, name="安阳福寿养老院", nature="private", level="other",
                          beds=(30, 10, 0, 0))  # fmt: skip
    full_home = home_make(county, tangxia_person.region_code, name="塘下康乐养老院", nature="private", level="other",
                          beds=(1, 0, 0, 0))  # fmt: skip
    for home, low, high in ((open_home, "2800", "3600"), (full_home, "2500", "3000")):
        services.care_home_attributes_set(user=county, supervised=home, values={
            "monthly_fee_min": low, "monthly_fee_max": high, "fee_schedule": f"床位费{low}元/月起，押金不超过12个月"})  # fmt: skip
    admission = services.admission_record(user=county, supervised=open_home, person=anyang_person, monthly_fee="3000",
                                          admitted_on=today - dt.timedelta(days=30))  # fmt: skip
    services.admission_record(user=county, supervised=full_home, person=tangxia_person, monthly_fee="2500",
                              admitted_on=today - dt.timedelta(days=30))  # fmt: skip
    institutions.account_create(user=county, supervised=open_home, username="anyang.fushou", name="陈主任",
                                phone="13955550021", password=INST_PASSWORD)  # fmt: skip

    # 1. a visitor on a phone: private homes with at least one free bed, at most 3000 元 a month
    public = pages.new(PHONE)
    public.goto(f"{pages.base_url}/portal/bodies/care_home/")
    public.select_option("#f-nature", "private")
    public.fill("#f-vacancies", "1")
    public.fill("#f-monthly_fee_min", "3000")
    public.get_by_role("button", name="查询").click()
    main = public.locator("main")
    expect(main).to_contain_text("安阳福寿养老院")
    expect(main).not_to_contain_text("塘下康乐养老院")  # its only bed is taken
    shot(public, "portal-care-homes-phone")
    public.get_by_role("link", name="安阳福寿养老院").click()
    expect(main).to_contain_text("29张")
    expect(main).to_contain_text("床位费2800元/月起")
    expect(main).not_to_contain_text(anyang_person.name)

    # 2. the home's staff sign in and report the resident's prepaid fees: 15 months, above the 12 allowed
    inst = pages.new(PHONE)
    inst.goto(f"{pages.base_url}/portal/institution/login/")
    inst.fill("#id_username", "anyang.fushou")
    inst.fill("#id_password", INST_PASSWORD)
    inst.get_by_role("button", name="下一步：短信验证").click()
    code = re.search(r"\b(\d{6})\b", Message.objects.get(related_type="portal.institution").body).group(1)
    inst.fill("#id_code", code)
    inst.get_by_role("button", name="登录").click()
    inst.get_by_role("link", name="预付费余额").click()
    inst.get_by_label(f"{anyang_person.name} 预收服务费余额").fill("45000")
    inst.get_by_label(f"{anyang_person.name} 押金").fill("6000")
    inst.get_by_role("button", name="报送").click()
    expect(inst.locator("main")).to_contain_text("已报送")
    expect(inst.locator("main")).to_contain_text("超限 1 项")
    shot(inst, "institution-prepaid-phone")
    report = PrepaidReport.objects.get()
    assert report.supervised_id == open_home.pk and report.lines.get().admission_id == admission.pk
    inst.get_by_role("link", name="返回").click()
    inst.get_by_role("link", name="入住退住").click()
    expect(inst.locator("main")).to_contain_text(anyang_person.name)
    expect(inst.locator("main")).not_to_contain_text(tangxia_person.name)
    assert not pages.js_errors, pages.js_errors
