"""Workbench pages of the benefits engine: standards, the assessment (测算), the roll with its
changes and reviews, the due-review list. Every page renders for an allowed user, another
township's enrollment is a 404, forms change data through the services (audited), refusals show
in Chinese."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from minzheng.business.assistance.assessment import assessment_run
from minzheng.engines.benefits import services
from minzheng.engines.benefits.models import Enrollment, EnrollmentState
from minzheng.foundation.audit.models import AuditEvent
from minzheng.foundation.parameters.models import Standard
from tests.conftest import ANYANG_VILLAGE, RUIAN

PAGES = [
    "/benefits/standards/",
    "/benefits/standards/dibao_monthly/",
    "/benefits/assess/",
    "/benefits/enrollments/",
    "/benefits/reviews-due/",
]


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def web(anyang_user):
    return client_for(anyang_user)


def enrol(user, household, *, amount="1180.00", persons=2, start=None, program="dibao", **kw) -> Enrollment:
    return services.enrollment_create(
        user=user,
        program=program,
        household=household,
        monthly_amount=Decimal(amount),
        persons_covered=persons,
        components=[{"item": "gap", "amount": amount}],
        start_month=start or dt.date(2026, 1, 1),
        **kw,
    )


@pytest.fixture
def enrollment(anyang_user, household_in, assistance_standards):
    return enrol(anyang_user, household_in[0])


@pytest.fixture
def other_enrollment(tangxia_user, household_other, assistance_standards):
    return enrol(tangxia_user, household_other[0], persons=1)


def text(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------ access


@pytest.mark.django_db
def test_login_required():
    for url in PAGES:
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.django_db
def test_every_page_renders_for_a_caseworker_and_the_nav_links_them(web, enrollment):
    for url in [*PAGES, f"/benefits/enrollments/{enrollment.pk}/"]:
        r = web.get(url)
        assert r.status_code == 200, url
    nav = text(web.get("/")).split("<nav>")[1].split("</nav>")[0]
    assert "测算" in nav and "保障对象" in nav and "保障标准" in nav


@pytest.mark.django_db
def test_a_user_without_benefit_permissions_is_refused(make_user, regions):
    from minzheng.foundation.accounts.models import Role

    Role.objects.create(code="clerk", name="登记员", permissions=["registry.view"])
    c = client_for(make_user("clerk", ("clerk", RUIAN)))
    assert "保障对象" not in text(c.get("/")).split("<nav>")[1].split("</nav>")[0]
    for url in PAGES:
        r = c.get(url)
        assert r.status_code == 403 and "您没有此项权限" in text(r), url


# ------------------------------------------------------------------ 保障标准


@pytest.mark.django_db
def test_standards_in_force_show_value_source_dates_and_document(web, assistance_standards):
    body = text(web.get("/benefits/standards/", {"region_code": ANYANG_VILLAGE, "as_of": "2026-11-01"}))
    row = re.search(r"低保标准</td>.*?</tr>", body, re.S).group(0)
    assert "1,180.00" in row and "元/人·月" in row and "温州市" in row and "2025-07-01 起" in row
    assert "示范数据：温州市低保标准（城乡统一）" in row
    # the 瑞安市 rounding rule wins over the nationwide one
    row = re.search(r"低保金额取整规则</td>.*?</tr>", body, re.S).group(0)
    assert "四舍五入到分" in row and "瑞安市" in row
    # before the 2025 raise the earlier row was in force
    body = text(web.get("/benefits/standards/", {"region_code": ANYANG_VILLAGE, "as_of": "2025-01-01"}))
    assert "1,120.00" in re.search(r"低保标准</td>.*?</tr>", body, re.S).group(0)
    body = text(web.get("/benefits/standards/", {"region_code": "999999999999"}))
    assert "不在可选范围内" in body or "不存在" in body


@pytest.mark.django_db
def test_standard_history_lists_versions_and_hides_the_form_without_standards_manage(web, assistance_standards):
    body = text(web.get("/benefits/standards/dibao_monthly/", {"region": ANYANG_VILLAGE}))
    assert body.count("温州市") >= 2 and "2024-07-01 起，2025-07-01 止" in body and "现行" in body
    assert "设定新值" not in body
    r = web.post(
        "/benefits/standards/dibao_monthly/", {"region_code": RUIAN, "value": "1", "effective_from": "2027-01-01"}
    )
    assert r.status_code == 403
    assert not Standard.objects.filter(region_code=RUIAN, key="dibao_monthly").exists()


@pytest.mark.django_db
def test_county_officer_sets_a_standard_audited(county_user, assistance_standards):
    c = client_for(county_user)
    page = text(c.get("/benefits/standards/dibao_monthly/", {"region": RUIAN}))
    assert "设定新值" in page and "瑞安市（330381000000）" in page
    data = {"region_code": RUIAN, "hukou_type": "", "value": "1250", "effective_from": "2027-01-01",
            "source_document": "瑞民〔2026〕88号"}  # fmt: skip
    r = c.post("/benefits/standards/dibao_monthly/", data, follow=True)
    body = text(r)
    assert "已保存：低保标准 自 2027-01-01 起为 1250" in body and "瑞民〔2026〕88号" in body
    row = Standard.objects.get(key="dibao_monthly", region_code=RUIAN)
    assert (row.value, row.effective_from, row.created_by) == (Decimal(1250), dt.date(2027, 1, 1), county_user)
    ev = AuditEvent.objects.filter(object_type="benefits.standard", object_id=str(row.pk)).get()
    assert ev.actor_name == "ruian" and "1250" in ev.summary
    # the page of 2027 now shows 瑞安市's own value
    body = text(c.get("/benefits/standards/", {"region_code": ANYANG_VILLAGE, "as_of": "2027-02-01"}))
    assert "1,250.00" in re.search(r"低保标准</td>.*?</tr>", body, re.S).group(0)


@pytest.mark.django_db
def test_standard_refusals_are_shown_in_chinese_and_write_nothing(county_user, assistance_standards):
    c = client_for(county_user)
    before = Standard.objects.count()
    base = {"region_code": RUIAN, "effective_from": "2027-01-01", "source_document": "测试"}
    body = text(c.post("/benefits/standards/dibao_monthly/", {**base, "value": "-5"}))
    assert "数值不能为负数" in body
    body = text(c.post("/benefits/standards/employment_cost_rate/", {**base, "value": "1.5"}))
    assert "比例须在 0 到 1 之间" in body
    # the region picker offers the officer's own regions only: not the city above, nor nationwide
    body = text(c.post("/benefits/standards/dibao_monthly/", {**base, "region_code": "330300000000", "value": "1"}))
    assert "不在可选范围内" in body
    body = text(c.post("/benefits/standards/dibao_monthly/", {**base, "region_code": "", "value": "1"}))
    assert "请填写此项" in body
    body = text(c.post("/benefits/standards/dibao_monthly/", {**base, "value": "1", "source_document": ""}))
    assert "请填写此项" in body
    assert Standard.objects.count() == before
    assert not AuditEvent.objects.filter(object_type="benefits.standard", actor_name="ruian").exists()


# ------------------------------------------------------------------ 测算


def assess_post(**over):
    """A bound assessment form: two members, the first with wages, a medical expense."""
    data = {
        "region_code": ANYANG_VILLAGE, "hukou_type": "urban", "as_of": "2026-11-01", "tekun_mode": "dispersed",
        "m-TOTAL_FORMS": "2", "m-INITIAL_FORMS": "0", "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "30",
        "m-0-name": "王建国", "m-0-relation": "head", "m-0-birth_date": "1970-05-17", "m-0-counted": "on",
        "m-0-self_care": "full", "m-0-income_wages": "12000",
        "m-1-name": "李秀英", "m-1-relation": "spouse", "m-1-birth_date": "1958-03-02", "m-1-counted": "on",
        "m-1-self_care": "partial", "m-1-serious_illness": "on", "m-1-income_basic_pension": "2400",
        "expense_medical": "3000", "financial_assets": "5000", "houses": "1",
    }  # fmt: skip
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_assessment_shows_classification_amount_components_and_the_explanation_verbatim(web, assistance_standards):
    r = web.post("/benefits/assess/", assess_post())
    assert r.status_code == 200
    body = text(r)
    expected = assessment_run(
        {"region_code": ANYANG_VILLAGE, "hukou_type": "urban", "as_of": "2026-11-01",
         "members": [
             {"name": "王建国", "relation": "head", "birth_date": "1970-05-17"},
             {"name": "李秀英", "relation": "spouse", "birth_date": "1958-03-02", "self_care": "partial",
              "serious_illness": True}],
         "incomes": [{"member": 0, "kind": "wages", "annual_amount": 12000},
                     {"member": 1, "kind": "basic_pension", "annual_amount": 2400}],
         "expenses": [{"kind": "medical", "annual_amount": 3000}],
         "property": {"financial_assets": 5000, "houses": 1}}
    )  # fmt: skip
    assert expected["classification"] == "dibao"
    assert 'class="verdict">低保' in body
    assert f"{Decimal(expected['monthly_amount']):,.2f} 元" in body
    assert "低保差额" in body and "分类施保加发" in body and "李秀英" in body
    for line in expected["explanation"]:
        assert f"<li>{escape(line)}</li>" in body
    for ref in expected["rule_refs"]:
        assert ref in body
    # the form keeps what was entered, to adjust and assess again
    assert 'value="12000"' in body
    # with a 临时救助 estimate: 1,180 × 2 persons × 2 months = 4,720, over the township limit of 3,540
    body = text(web.post("/benefits/assess/", assess_post(temp_kind="expenditure", temp_months="2")))
    assert "<h3>临时救助</h3>" in body and "4,720.00 元</strong>（支出型，2 个月，单次上限 20,000.00 元）" in body
    assert "超过乡镇审批限额，报县级民政部门审批" in body
    body = text(web.post("/benefits/assess/", assess_post(temp_kind="emergency", temp_months="30")))
    assert "不能大于 24" in body and "确保" not in body  # not Django's "确保该值小于或等于24"


@pytest.mark.django_db
def test_assessment_prefills_members_from_the_registry(web, household_in, assistance_standards):
    household, head, _ = household_in
    body = text(web.get("/benefits/assess/", {"household": household.pk}))
    assert household.number in body
    assert 'value="王建国"' in body and 'value="李秀英"' in body
    assert f'value="{head.birth_date:%Y-%m-%d}"' in body and 'name="m-TOTAL_FORMS" value="2"' in body
    assert head.id_number not in body  # prefill never decrypts the ID number


@pytest.mark.django_db
def test_assessment_can_save_the_households_means(web, household_in, assistance_standards):
    from minzheng.business.assistance.models import HouseholdMeans

    household, _head, _ = household_in
    body = text(web.get("/benefits/assess/", {"household": household.pk}))
    assert 'name="save_means"' in body
    web.post("/benefits/assess/", assess_post(household=str(household.pk)))
    assert not HouseholdMeans.objects.exists()  # only when asked
    web.post("/benefits/assess/", assess_post(household=str(household.pk), save_means="1"))
    means = HouseholdMeans.objects.get(household=household)
    assert (means.wages_annual, means.excluded_income_annual, means.rigid_expense_annual) == (12000, 2400, 3000)
    assert means.source == "assessment" and means.region_code == household.region_code
    event = AuditEvent.objects.get(object_type="assistance.householdmeans")
    assert event.changes["before"] is None and event.changes["after"]["financial_assets"] == "5000"


@pytest.mark.django_db
def test_assessment_of_another_townships_household_is_404(web, household_other):
    assert web.get("/benefits/assess/", {"household": household_other[0].pk}).status_code == 404


@pytest.mark.django_db
def test_assessment_bad_input_gives_chinese_field_messages_not_500(web, assistance_standards):
    r = web.post("/benefits/assess/", assess_post(**{"m-1-birth_date": "", "m-0-income_wages": "-1"}))
    body = text(r)
    assert r.status_code == 200 and "测算未完成" in body and "测算结果" not in body
    assert "不能小于 0" in body and "确保" not in body  # not Django's "确保该值大于或等于0"
    r = web.post("/benefits/assess/", assess_post(**{"m-1-birth_date": ""}))
    assert "缺少出生日期（无身份证号时必填）" in text(r)
    r = web.post("/benefits/assess/", assess_post(**{"m-0-id_number": "330381197005171230"}))
    assert "身份证号不正确" in text(r)
    r = web.post("/benefits/assess/", assess_post(**{"m-1-disability_kind": "limb"}))
    assert "残疾类别与残疾等级须同时填写" in text(r)
    # no standard in force on that date: the message names what is missing
    r = web.post("/benefits/assess/", assess_post(as_of="2020-01-01"))
    assert "未配置保障标准：低保标准（dibao_monthly）" in text(r)
    # every member deleted
    r = web.post("/benefits/assess/", assess_post(**{"m-0-DELETE": "on", "m-1-DELETE": "on"}))
    assert "至少需要一名家庭成员" in text(r)


@pytest.mark.django_db
def test_assessment_add_member_row_for_htmx(web):
    r = web.get("/benefits/assess/member/", {"m-TOTAL_FORMS": "2"}, headers={"hx-request": "true"})
    body = text(r)
    assert 'name="m-2-name"' in body and 'name="m-2-income_wages"' in body and 'name="m-2-DELETE"' in body
    assert 'id="id_m-TOTAL_FORMS" hx-swap-oob="true"' in body and 'value="3"' in body
    assert "最多30名家庭成员" in text(web.get("/benefits/assess/member/", {"m-TOTAL_FORMS": "30"}))


@pytest.mark.django_db
def test_assessment_household_search_is_scoped(web, household_in, household_other):
    body = text(web.get("/benefits/assess/households/", {"q": "陈志明"}))
    assert household_other[0].number not in body and "没有找到" in body
    body = text(web.get("/benefits/assess/households/", {"q": "王建国"}))
    assert household_in[0].number in body and f"?household={household_in[0].pk}" in body


# ------------------------------------------------------------------ 保障对象


@pytest.mark.django_db
def test_roll_is_scoped_filtered_and_other_townships_enrollment_is_404(web, county_user, enrollment, other_enrollment):
    body = text(web.get("/benefits/enrollments/"))
    assert enrollment.number in body and other_enrollment.number not in body
    assert "共 1 条" in body and "1,180.00" in body
    assert web.get(f"/benefits/enrollments/{other_enrollment.pk}/").status_code == 404
    r = web.post(f"/benefits/enrollments/{other_enrollment.pk}/change/", {"kind": "stop"})
    assert r.status_code == 404
    # filters
    household = enrollment.household
    assert enrollment.number in text(web.get("/benefits/enrollments/", {"q": household.number}, follow=True))
    assert enrollment.number in text(web.get("/benefits/enrollments/", {"q": enrollment.number[:9].lower()}))
    assert "共 0 条" in text(web.get("/benefits/enrollments/", {"state": "suspended"}))
    assert "共 0 条" in text(web.get("/benefits/enrollments/", {"program": "tekun"}))
    assert "共 1 条" in text(web.get("/benefits/enrollments/", {"region": ANYANG_VILLAGE, "program": "dibao"}))
    # a malformed region is a message, not an error page
    r = web.get("/benefits/enrollments/", {"region": "abc"})
    assert r.status_code == 200 and "区划代码应为不超过12位的数字" in text(r)
    r = web.get("/benefits/reviews-due/", {"region": "abc"})
    assert r.status_code == 200 and "区划代码应为不超过12位的数字" in text(r)
    assert web.get("/benefits/standards/dibao_monthly/", {"region": "x'"}).status_code == 200
    # the county sees both
    county = text(client_for(county_user).get("/benefits/enrollments/"))
    assert enrollment.number in county and other_enrollment.number in county


@pytest.mark.django_db
def test_roll_export_is_audited(web, enrollment):
    r = web.get("/benefits/enrollments/?state=active&export=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("保障编号", "保障项目", "户编号")
    assert rows[1][0] == enrollment.number and rows[1][1] == "低保" and rows[1][7] == "在保"
    ev = AuditEvent.objects.get(action="export", object_type="benefits.enrollment")
    assert ev.actor_name == "anyang"


@pytest.mark.django_db
def test_enrollment_detail_shows_history_reasons_actor_and_chain(web, enrollment, anyang_user, household_in):
    _, _, spouse = household_in
    services.enrollment_change(user=anyang_user, enrollment=enrollment, kind="suspend", reason="not_reported",
                               effective_month=dt.date(2026, 12, 1))  # fmt: skip
    body = text(web.get(f"/benefits/enrollments/{enrollment.pk}/"))
    assert "纳入" in body and "2026-01" in body and "暂停" in body and "2026-12" in body
    assert "重大变化超过3个月未报告" in body and "anyang" in body
    services.enrollment_change(
        user=anyang_user, enrollment=enrollment, kind="resume", effective_month=dt.date(2026, 12, 1)
    )
    new = services.enrollment_succeed(user=anyang_user, enrollment=enrollment, new_head=spouse, note="户主去世")
    body = text(web.get(f"/benefits/enrollments/{enrollment.pk}/"))
    assert new.number in body and "转出（接续）" in body and "户主死亡（停旧建新）" in body
    assert "发起变更" not in body  # an exited enrollment takes no more changes
    body = text(web.get(f"/benefits/enrollments/{new.pk}/"))
    assert "接续自 <a" in body and enrollment.number in body


@pytest.mark.django_db
def test_the_enrollment_page_changes_nothing_directly_it_opens_the_case(web, enrollment, household_in):
    """Issue 13 item 15: no stop, phase-out, amount or member change on the page itself; 发起变更
    opens the case of the right type and the roll is untouched until the county decides."""
    from minzheng.engines.cases.models import Case

    household, head, spouse = household_in
    body = text(web.get(f"/benefits/enrollments/{enrollment.pk}/"))
    assert "发起变更" in body and "办理变动" not in body and "记录定期复核" not in body
    for gone in ("review", "household"):
        assert web.post(f"/benefits/enrollments/{enrollment.pk}/{gone}/", {"outcome": "unchanged"}).status_code == 404
    before = enrollment.events.count()
    # the old direct form's data no longer changes anything
    r = web.post(f"/benefits/enrollments/{enrollment.pk}/change/",
                 {"kind": "suspend", "reason": "refused_cooperation", "effective_month": "2026-12"})  # fmt: skip
    assert r.status_code == 422 and enrollment.events.count() == before
    r = web.post(f"/benefits/enrollments/{enrollment.pk}/change/", {"kind": "stop", "opinion": "村委会报告已迁出"})
    case = Case.objects.get(case_type__code="assistance_stop", household=household)
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/"
    assert case.data["enrollment_number"] == enrollment.number and case.applicant == head
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE and enrollment.events.count() == before
    body = text(web.get(f"/benefits/enrollments/{enrollment.pk}/"))
    assert case.number in body and "停保（终止救助）" in body
    # a member leaving: the member is chosen from the household, a death needs its date
    r = web.post(f"/benefits/enrollments/{enrollment.pk}/change/",
                 {"kind": "member_remove", "person": spouse.pk, "reason": "death"})  # fmt: skip
    assert r.status_code == 422 and "成员死亡的，请填写死亡日期" in text(r)
    r = web.post(f"/benefits/enrollments/{enrollment.pk}/change/", {"kind": "member_add", "new_member": "110"})
    assert r.status_code == 422 and "找不到该身份证号的人员" in text(r)
    r = web.post(f"/benefits/enrollments/{enrollment.pk}/change/", {"kind": "member_remove",
                 "person": spouse.pk, "reason": "moved_away"})  # fmt: skip
    change = Case.objects.get(case_type__code="dibao_change")
    assert r.status_code == 302 and change.data["change"] == {
        "kind": "member_remove", "person_id": spouse.pk, "person_name": "李秀英", "reason": "moved_away",
        "death_date": ""}  # fmt: skip
    # the registry knows she left; the roll changes only by the county's decision in the case
    assert not household.memberships.filter(person=spouse, valid_to__isnull=True).exists()
    assert enrollment.events.count() == before


@pytest.mark.django_db
def test_leader_sees_the_roll_but_gets_no_change_forms(leader_user, enrollment):
    c = client_for(leader_user)
    body = text(c.get(f"/benefits/enrollments/{enrollment.pk}/"))
    assert enrollment.number in body and "发起变更" not in body
    r = c.post(f"/benefits/enrollments/{enrollment.pk}/change/", {"kind": "stop"})
    assert r.status_code == 403


@pytest.mark.django_db
def test_an_enrollment_of_a_program_no_line_opens_changes_for_shows_no_change_form(web, anyang_user, household_in):
    """The enrollment page knows no line: 发起变更 is what the program's line registered
    (``benefits.changes.ROLL_CHANGES``); a program nobody registered gets no form, and the
    change URL opens nothing."""
    from minzheng.engines.benefits.models import Program
    from minzheng.engines.cases.models import Case
    from minzheng.sites.workbench.benefits.changes import ROLL_CHANGES

    assert "dibao" in ROLL_CHANGES and "x_allowance" not in ROLL_CHANGES  # the assistance area's
    Program.objects.create(code="x_allowance", name="某项津贴", short_name="津贴", number_prefix="XA", sort=90)
    e = enrol(anyang_user, household_in[0], program="x_allowance")
    body = text(web.get(f"/benefits/enrollments/{e.pk}/"))
    assert e.number in body and "发起变更" not in body
    r = web.post(f"/benefits/enrollments/{e.pk}/change/", {"kind": "stop", "opinion": "村委会报告已迁出"})
    assert r.status_code == 404 and not Case.objects.exists()


@pytest.mark.django_db
def test_due_reviews_and_phase_out_reminders(web, anyang_user, enrollment, household_in, ids, assistance_standards):
    from minzheng.foundation.registry import services as registry

    today = timezone.localdate()
    Enrollment.objects.filter(pk=enrollment.pk).update(next_review=today - dt.timedelta(days=3))
    person = registry.person_create(
        user=anyang_user,
        data={"name": "赵大娘", "id_number": ids(birth=dt.date(1940, 1, 1), male=False), "hukou_type": "urban",
              "region_code": ANYANG_VILLAGE},
    )  # fmt: skip
    lone = registry.household_create(
        user=anyang_user, data={"region_code": ANYANG_VILLAGE, "hukou_type": "urban"}, head=person
    )
    later = enrol(anyang_user, lone, persons=1)
    Enrollment.objects.filter(pk=later.pk).update(
        state=EnrollmentState.PHASE_OUT, phase_out_until=today + dt.timedelta(days=10), next_review=None
    )
    # starting next month on a 12-month cadence: its first review is about a year away, not listed
    far = enrol(anyang_user, lone, program="tekun", persons=1, start=services.next_month(today))
    body = text(web.get("/benefits/reviews-due/"))
    assert enrollment.number in body and "逾期3天" in body
    assert later.number in body and "10天后" in body
    assert far.number not in body
    assert "安阳街道" in body


@pytest.mark.django_db
def test_due_reviews_are_scoped(web, other_enrollment):
    Enrollment.objects.filter(pk=other_enrollment.pk).update(next_review=timezone.localdate())
    assert other_enrollment.number not in text(web.get("/benefits/reviews-due/"))


# ------------------------------------------------------------------ 发放 and 统计

DEC = dt.date(2026, 12, 1)


@pytest.fixture
def finance(make_user):
    """Two county 财务 users: one calculates, the other approves."""
    return make_user("finance_a", ("finance", RUIAN)), make_user("finance_b", ("finance", RUIAN))


@pytest.fixture
def payroll_roll(county_user, household_in, household_other, assistance_standards):
    """安阳 (2 persons, 860.50, with a bank account) and 塘下 (1 person, 1,180, no account) from 2026-12."""
    a = enrol(county_user, household_in[0], amount="860.50", start=DEC)
    b = enrol(county_user, household_other[0], amount="1180.00", persons=1, start=DEC)
    return a, b


def generate(client, month="2026-12"):
    """Generate through the page; the job runs here (on_commit never fires inside a test transaction)."""
    from minzheng.foundation.jobs.services import job_run

    r = client.post("/benefits/payroll/generate/", {"program": "dibao", "month": month, "region_code": RUIAN})
    assert r.status_code == 302, text(r)
    job_id = int(r["Location"].rstrip("/").split("/")[-1])
    job_run(job_id)
    return job_id


def approval(cycle) -> dict:
    """The approve page's confirmation: the box ticked and the figures shown."""
    from minzheng.engines.benefits.payroll import approval_figures

    return {"confirm": "on", **approval_figures(cycle)}


def bank_result(export: bytes, fail: dict | None = None, edit=None) -> bytes:
    import csv

    rows = list(csv.reader(io.StringIO(export.decode("utf-8-sig"), newline="")))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([*rows[0], "处理结果", "失败原因"])
    for r in rows[1:]:
        row = [*r, *(("失败", fail[r[0]]) if fail and r[0] in fail else ("成功", ""))]
        w.writerow(edit(row) if edit else row)
    return out.getvalue().encode("utf-8-sig")


@pytest.mark.django_db
def test_payroll_generate_approve_export_reconcile_through_the_pages(finance, payroll_roll, tangxia_user, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from minzheng.engines.benefits.models import CycleState, LineStatus, PaymentCycle

    maker, checker = (client_for(u) for u in finance)
    page = text(maker.get("/benefits/payroll/"))
    assert "生成发放批次" in page and "还没有发放批次" in page
    assert "发放" in text(maker.get("/")).split("<nav>")[1].split("</nav>")[0]

    job_id = generate(maker)
    body = text(maker.get(f"/benefits/payroll/jobs/{job_id}/"))
    cycle = PaymentCycle.objects.get()
    assert "计算完成：2 笔，3 人，合计 2,040.50 元" in body and f"/benefits/payroll/{cycle.pk}/" in body
    assert "2026年12月" in text(maker.get("/benefits/payroll/")) and "已计算" in text(maker.get("/benefits/payroll/"))

    # maker-checker: the maker is refused in Chinese, another finance officer approves
    body = text(maker.get(f"/benefits/payroll/{cycle.pk}/"))
    assert "该批次由您计算，请由另一位财务人员审批" in body
    r = maker.post(f"/benefits/payroll/{cycle.pk}/approve/")
    assert r.status_code == 409 and "审批人不能是计算该批次的人（双人复核）" in text(r)
    r = checker.post(f"/benefits/payroll/{cycle.pk}/approve/", approval(cycle), follow=True)
    assert "已审批：2 笔，3 人，2,040.50 元；该月发放数据已冻结" in text(r)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.APPROVED and cycle.approved_by == finance[1]
    assert AuditEvent.objects.filter(action="approve", object_type="benefits.cycle", actor_name="finance_b").exists()
    # frozen: recalculating is refused by the job, with the message on the job page
    job_id = generate(maker)
    assert "数据已冻结，不能重新计算" in text(maker.get(f"/benefits/payroll/jobs/{job_id}/"))

    # township caseworkers do not see the county's cycle
    assert web.get(f"/benefits/payroll/{cycle.pk}/").status_code == 404
    assert client_for(tangxia_user).post(f"/benefits/payroll/{cycle.pk}/approve/").status_code == 403

    # bank file: the line without an account is not exported and is listed as failed
    r = maker.post(f"/benefits/payroll/{cycle.pk}/export/", {"format": "csv"})
    assert r["Content-Disposition"] == "attachment; filename=DB202612-330381.csv"
    export = r.content
    assert export.decode("utf-8-sig").count("\r\n") == 2  # header + one line
    assert AuditEvent.objects.filter(action="export", object_type="benefits.cycle").exists()
    body = text(maker.get(f"/benefits/payroll/{cycle.pk}/"))
    assert "发放失败（1）" in body and "未登记银行账号，未导出" in body and "陈志明" in body

    # a result file with a wrong amount is refused line by line and changes nothing
    bad = bank_result(export, edit=lambda row: [*row[:3], "1.00", *row[4:]])
    r = maker.post(f"/benefits/payroll/{cycle.pk}/reconcile/", {"file": SimpleUploadedFile("r.csv", bad)})
    body = text(r)
    assert r.status_code == 409 and "未做任何更改" in body and "第2行：金额“1.00”与应发金额 860.50 元不符" in body
    assert not cycle.entitlements.filter(status=LineStatus.PAID).exists()
    good = bank_result(export)
    r = maker.post(f"/benefits/payroll/{cycle.pk}/reconcile/", {"file": SimpleUploadedFile("r.csv", good)}, follow=True)
    assert "对账完成：到账 1 笔 860.50 元，失败 0 笔 0.00 元" in text(r)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RECONCILED
    body = text(maker.get(f"/benefits/payroll/{cycle.pk}/"))
    assert "已到账" in body and "860.50" in body  # ledger: paid


@pytest.mark.django_db
def test_statistics_page_and_export(finance, payroll_roll, web):
    maker, checker = (client_for(u) for u in finance)
    from minzheng.engines.benefits.models import PaymentCycle

    generate(maker)
    checker.post(f"/benefits/payroll/{PaymentCycle.objects.get().pk}/approve/", approval(PaymentCycle.objects.get()))
    body = text(maker.get("/benefits/statistics/", {"month": "2026-12", "level": "township"}))
    anyang = re.search(r"安阳街道</td>.*?</tr>", body, re.S).group(0)
    assert "低保" in anyang and "城镇" in anyang and "860.50" in anyang and "1,180.00" in anyang  # average standard
    assert "塘下镇" in body
    county = text(maker.get("/benefits/statistics/", {"month": "2026-12", "level": "county"}))
    assert "瑞安市" in county and "2,040.50" in county
    # a township sees its own rows only
    own = text(web.get("/benefits/statistics/", {"month": "2026-12"}))
    assert "安阳街道" in own and "塘下镇" not in own
    r = maker.get("/benefits/statistics/", {"month": "2026-12", "level": "township", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][0] == "区划代码" and len(rows) == 3
    assert AuditEvent.objects.filter(action="export", object_type="benefits.statistics").exists()
    assert "统计月份：月份格式应为" in text(web.get("/benefits/statistics/", {"month": "12/2026"}))


# ------------------------------------------------------------------ 提标测算


@pytest.fixture
def means(household_in, household_other, assistance_standards):
    """安阳: two persons with 2,400 元 a month (above 1,180 per person); 塘下: one person without income."""
    from minzheng.business.assistance.models import HouseholdMeans

    for household, wages in ((household_in[0], 2400 * 12 / 0.9), (household_other[0], 0)):
        HouseholdMeans.objects.create(
            household=household, region_code=household.region_code, hukou_type=household.hukou_type,
            as_of=dt.date(2026, 10, 1), source="declared", wages_annual=Decimal(f"{wages:.2f}"), houses=1,
            has_able_supporter=True,
        )  # fmt: skip


@pytest.mark.django_db
def test_simulation_form_runs_a_job_and_shows_the_report(county_user, means, web):
    from minzheng.foundation.jobs.services import job_run

    assert web.get("/benefits/simulation/").status_code == 403  # township acceptors do not simulate
    assert "提标测算" not in text(web.get("/")).split("<nav>")[1].split("</nav>")[0]
    c = client_for(county_user)
    assert "提标测算" in text(c.get("/")).split("<nav>")[1].split("</nav>")[0]
    body = text(c.get("/benefits/simulation/"))
    assert "开始测算" in body and "低保标准" in body
    data = {"as_of": "2027-01", "region_code": RUIAN, "key_0": "dibao_monthly", "change_0": "8%"}
    r = c.post("/benefits/simulation/", data)
    assert r.status_code == 302
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    running = c.get(f"/benefits/simulation/{pk}/", headers={"hx-request": "true"})
    assert 'hx-trigger="every 2s"' in text(running) and "排队中" in text(running)
    job = job_run(pk)
    assert job.state == "succeeded", job.error
    r = c.get(f"/benefits/simulation/{pk}/", headers={"hx-request": "true"})
    assert r["HX-Refresh"] == "true"
    body = text(c.get(f"/benefits/simulation/{pk}/"))
    assert "自 2027-01 起：低保标准提高 8%" in body
    assert "1,180.00" in body and "1,274.00" in body  # 1,180 × 1.08 = 1,274.40, announced in whole yuan
    assert "新增纳入</dt><dd><strong>1 户 2 人" in body
    assert "瑞安市" in body and "安阳街道" in body and "塘下镇" in body and "全年增加支出" in body
    assert "提标测算：自2027-01起低保标准提高 8%" in text(c.get("/benefits/simulation/"))  # the list of runs


@pytest.mark.django_db
def test_simulation_bad_input_in_chinese(county_user, leader_user, means):
    from minzheng.foundation.jobs.models import JobRun

    c = client_for(county_user)
    base = {"as_of": "2027-01", "region_code": RUIAN}
    body = text(c.post("/benefits/simulation/", {**base, "key_0": "dibao_monthly", "change_0": "八%"}))
    assert "格式不正确，应为 8%、+100 或 1300" in body
    body = text(c.post("/benefits/simulation/", {**base, "key_0": "dibao_monthly"}))
    assert "请填写调整幅度" in body
    body = text(c.post("/benefits/simulation/", {**base, "change_1": "+100"}))
    assert "请选择要调整的标准" in body
    body = text(c.post("/benefits/simulation/", base))
    assert "至少调整一项标准" in body
    body = text(c.post("/benefits/simulation/", {**base, "as_of": "2027", "key_0": "dibao_monthly", "change_0": "1"}))
    assert "月份格式应为 YYYY-MM" in body
    assert not JobRun.objects.exists()
    # a run is its maker's (or an administrator's): the county leader does not open the approver's run
    r = c.post("/benefits/simulation/", {**base, "key_0": "dibao_monthly", "change_0": "+50"})
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    assert client_for(leader_user).get(f"/benefits/simulation/{pk}/").status_code == 404
